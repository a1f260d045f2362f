//! Following a folder: IDLE when the server has it (restarted before the server's 30-minute
//! limit), NOOP polling otherwise; after each wake-up the folder's flags are read again and
//! compared with the last snapshot, so what comes out is typed changes, not raw IMAP responses.

use std::collections::BTreeMap;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::types::Fetch;
use futures::{Stream, TryStreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::ops::{self, Conn, flags_of};
use super::store::ImapStore;
use crate::error::Error;
use crate::listing::Flags;
use crate::message::MessageId;

/// A change in a watched folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxChange {
    /// The watch has a session and a first snapshot (after start and after each reconnect);
    /// `messages` is the number of messages in the folder.
    Connected {
        /// Messages in the folder.
        messages: u32,
    },
    /// The session broke (or the first connect failed); the watch reconnects with backoff and
    /// says this once per outage. State is unknown until the next `Connected`.
    Disconnected {
        /// Why, in words.
        reason: String,
    },
    /// A message appeared.
    Added(MessageId),
    /// A message went away (deleted, moved, expunged elsewhere).
    Removed(MessageId),
    /// A message's heard or urgent state changed (e.g. heard on another device).
    FlagsChanged {
        /// The message.
        id: MessageId,
        /// `\Seen` now.
        heard: bool,
        /// `\Flagged` now.
        flagged: bool,
    },
    /// The folder was renumbered (UIDVALIDITY changed): list it again.
    Reset,
    /// The server refused the account's password: the watch does not try again (a retry with
    /// the same password only risks a lockout) and the stream ends after this. A new watch,
    /// started when the settings change, tries again.
    Stopped {
        /// Why, in words, with what to do.
        reason: String,
    },
}

/// The folder's state: UIDVALIDITY and the flags of each UID.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Snapshot {
    uid_validity: u32,
    flags: BTreeMap<u32, Flags>,
}

impl Snapshot {
    /// The changes from `self` to `next`.
    fn diff(&self, next: &Snapshot) -> Vec<MailboxChange> {
        if self.uid_validity != next.uid_validity {
            return vec![MailboxChange::Reset];
        }
        let id = |uid| MessageId {
            uid_validity: next.uid_validity,
            uid,
        };
        let mut out = Vec::new();
        for uid in self.flags.keys().filter(|u| !next.flags.contains_key(u)) {
            out.push(MailboxChange::Removed(id(*uid)));
        }
        for (uid, f) in &next.flags {
            match self.flags.get(uid) {
                None => out.push(MailboxChange::Added(id(*uid))),
                Some(old) if old != f => out.push(MailboxChange::FlagsChanged {
                    id: id(*uid),
                    heard: f.seen,
                    flagged: f.flagged,
                }),
                Some(_) => {}
            }
        }
        out
    }
}

async fn snapshot(c: &mut Conn, folder: &str) -> Result<Snapshot, Error> {
    let sel = ops::select(c, folder).await?;
    let mut snap = Snapshot {
        uid_validity: sel.uid_validity,
        flags: BTreeMap::new(),
    };
    if sel.exists > 0 {
        let ctx = c.ctx.clone();
        let fetches: Vec<Fetch> = ctx
            .step("UID FETCH", async {
                c.session
                    .uid_fetch("1:*", "(UID FLAGS)")
                    .await?
                    .try_collect()
                    .await
            })
            .await?;
        for f in &fetches {
            if let Some(uid) = f.uid {
                snap.flags.insert(uid, flags_of(f));
            }
        }
    }
    Ok(snap)
}

impl ImapStore {
    /// Follows `folder` on a session of its own and yields its changes, within about a second of
    /// the server's notice when it has IDLE, else within `ImapTiming::poll_interval`.
    ///
    /// The stream runs until dropped; connection failures come out as `Disconnected` and are
    /// retried with exponential backoff (`backoff_min` .. `backoff_max`), reset only by a session
    /// that stayed up for `stable_after`. A refused password ends the stream with `Stopped`: it
    /// is not tried again (a new watch is, once the settings change). Must be called within a
    /// tokio runtime: the watch is a spawned task that ends when the stream is dropped.
    pub fn watch(&self, folder: &str) -> impl Stream<Item = MailboxChange> + Send + 'static {
        let (tx, rx) = mpsc::channel(64);
        let worker = Worker {
            store: self.sibling(),
            folder: folder.to_owned(),
            tx,
        };
        tokio::spawn(worker.run());
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) })
    }
}

struct Worker {
    store: ImapStore,
    folder: String,
    tx: mpsc::Sender<MailboxChange>,
}

/// Why a watch session ended.
enum End {
    /// The stream's reader is gone: stop.
    Closed,
    /// The session failed: reconnect.
    Failed(Error),
}

impl From<Error> for End {
    fn from(e: Error) -> Self {
        End::Failed(e)
    }
}

impl Worker {
    async fn run(self) {
        let store = &self.store;
        let mut last: Option<Snapshot> = None;
        let mut delay = store.timing.backoff_min;
        // `Disconnected` is said once per outage (and once if the first connect fails), not on
        // every failed retry.
        let mut announce = true;
        loop {
            let mut up_since = None;
            match self.session(store, &mut last, &mut up_since).await {
                End::Closed => return,
                End::Failed(e) => {
                    if let Some(since) = up_since {
                        // The session had connected: a new outage, said again. Only a session
                        // that stayed up resets the delay; one dropped right after the snapshot
                        // is retried ever more slowly, like a failed connect.
                        announce = true;
                        if since.elapsed() >= store.timing.stable_after {
                            delay = store.timing.backoff_min;
                        }
                    }
                    if e.is_auth_refused() {
                        let reason = refused(&store.account, &e);
                        tracing::warn!(folder = %self.folder, "watch stopped: {reason}");
                        let _ = self.tx.send(MailboxChange::Stopped { reason }).await;
                        return;
                    }
                    tracing::info!(folder = %self.folder, "watch: {e}; retrying in {delay:?}");
                    if announce {
                        announce = false;
                        let gone = MailboxChange::Disconnected {
                            reason: e.to_string(),
                        };
                        if self.tx.send(gone).await.is_err() {
                            return;
                        }
                    }
                    tokio::select! {
                        () = tokio::time::sleep(jitter(delay)) => {}
                        () = self.tx.closed() => return,
                    }
                    delay = (delay * 2).min(store.timing.backoff_max);
                }
            }
        }
    }

    async fn emit(&self, changes: Vec<MailboxChange>) -> Result<(), End> {
        for c in changes {
            self.tx.send(c).await.map_err(|_| End::Closed)?;
        }
        Ok(())
    }

    /// One session: connect, snapshot, then wait for changes until something fails.
    async fn session(
        &self,
        store: &ImapStore,
        last: &mut Option<Snapshot>,
        up_since: &mut Option<Instant>,
    ) -> End {
        match self.session_inner(store, last, up_since).await {
            Ok(()) => End::Closed,
            Err(end) => end,
        }
    }

    async fn session_inner(
        &self,
        store: &ImapStore,
        last: &mut Option<Snapshot>,
        up_since: &mut Option<Instant>,
    ) -> Result<(), End> {
        let mut conn = tokio::select! {
            c = store.open() => c?,
            () = self.tx.closed() => return Err(End::Closed),
        };
        let snap = snapshot(&mut conn, &self.folder).await?;
        *up_since = Some(Instant::now());
        let messages = u32::try_from(snap.flags.len()).unwrap_or(u32::MAX);
        let mut changes = vec![MailboxChange::Connected { messages }];
        if let Some(prev) = last.as_ref() {
            changes.extend(prev.diff(&snap));
        }
        *last = Some(snap);
        self.emit(changes).await?;

        loop {
            conn = if conn.caps.idle && store.timing.use_idle {
                self.idle(store, conn).await?
            } else {
                tokio::select! {
                    () = tokio::time::sleep(store.timing.poll_interval) => {}
                    () = self.tx.closed() => return Err(End::Closed),
                }
                let ctx = conn.ctx.clone();
                ctx.step("NOOP", conn.session.noop()).await?;
                conn
            };
            let snap = snapshot(&mut conn, &self.folder).await?;
            let changes = last.as_ref().map(|p| p.diff(&snap)).unwrap_or_default();
            *last = Some(snap);
            self.emit(changes).await?;
        }
    }

    /// One IDLE round: returns the session when the server reported something or the refresh
    /// period passed.
    async fn idle(&self, store: &ImapStore, conn: Conn) -> Result<Conn, End> {
        let Conn { session, caps, ctx } = conn;
        // Notifications that came with the snapshot or while IDLE starts go to this channel, not
        // to the IDLE wait: if there are any, look again at once instead of idling past them.
        let unsolicited = session.unsolicited_responses.clone();
        let mut handle = session.idle();
        ctx.step("IDLE", handle.init()).await?;
        if !unsolicited.is_empty() {
            tracing::debug!(folder = %self.folder, "IDLE: a change came in before idling");
            let session = ctx.step("DONE", handle.done()).await?;
            return Ok(Conn { session, caps, ctx });
        }
        let outcome = {
            let (wait, _stop) = handle.wait_with_timeout(store.timing.idle_refresh);
            // The refresh is a deadline for the whole IDLE, whatever the server says meanwhile
            // (keepalives such as `* OK Still here` must not stretch it past RFC 2177's 29 min).
            let wait = tokio::time::timeout(store.timing.idle_refresh, wait);
            tokio::pin!(wait);
            tokio::select! {
                r = &mut wait => Some(r.unwrap_or(Ok(IdleResponse::Timeout))),
                () = self.tx.closed() => None,
            }
        };
        match outcome {
            None => return Err(End::Closed),
            Some(Err(e)) => return Err(End::Failed(ctx.imap_error("IDLE", e))),
            Some(Ok(IdleResponse::NewData(_))) => {
                tracing::debug!(folder = %self.folder, "IDLE: server reported a change");
            }
            Some(Ok(IdleResponse::Timeout | IdleResponse::ManualInterrupt)) => {
                tracing::debug!(folder = %self.folder, "IDLE: refreshing");
            }
        }
        let session = ctx.step("DONE", handle.done()).await?;
        Ok(Conn { session, caps, ctx })
    }
}

/// Why a watch stopped on a refused login, in words that say what to do.
fn refused(account: &crate::account::ImapAccount, e: &Error) -> String {
    let detail = match e {
        Error::AuthFailed { detail, .. } if !detail.is_empty() => format!(" ({detail})"),
        _ => String::new(),
    };
    format!(
        "the mail server {} refused the password for {}{detail}; correct it in Settings \
         (not tried again until the settings change)",
        account.host, account.user
    )
}

/// `delay` spread by ±20 %, so that many clients do not reconnect in step after an outage.
fn jitter(delay: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    // Each RandomState has fresh keys, so hashing anything gives a random number.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    let unit = (h.finish() % 1000) as f64 / 1000.0; // 0.0 .. 1.0
    delay.mul_f64(0.8 + 0.4 * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(v: u32, entries: &[(u32, bool, bool)]) -> Snapshot {
        Snapshot {
            uid_validity: v,
            flags: entries
                .iter()
                .map(|&(u, seen, flagged)| (u, Flags { seen, flagged }))
                .collect(),
        }
    }

    #[test]
    fn jitter_stays_within_a_fifth() {
        for _ in 0..100 {
            let d = jitter(Duration::from_secs(10));
            assert!(
                d >= Duration::from_secs(8) && d <= Duration::from_secs(12),
                "{d:?}"
            );
        }
    }

    #[test]
    fn diff_reports_added_removed_and_flag_changes() {
        let a = snap(5, &[(1, false, false), (2, false, true), (3, true, false)]);
        let b = snap(5, &[(2, true, true), (3, true, false), (4, false, false)]);
        let id = |uid| MessageId {
            uid_validity: 5,
            uid,
        };
        assert_eq!(
            a.diff(&b),
            vec![
                MailboxChange::Removed(id(1)),
                MailboxChange::FlagsChanged {
                    id: id(2),
                    heard: true,
                    flagged: true
                },
                MailboxChange::Added(id(4)),
            ]
        );
        assert!(a.diff(&a).is_empty());
        assert_eq!(a.diff(&snap(6, &[])), vec![MailboxChange::Reset]);
    }
}

//! `JournaledStore`: a [`VoicemailStore`] wrapper that never loses a person's change.
//!
//! Design: a change (heard, new, delete, move) goes to the server at once when it can. When the
//! server cannot be reached, or refuses the account until its settings are fixed (wrong password,
//! untrusted certificate: [`Error::is_retryable`]), the change is appended to the durable
//! [`Journal`] and the call succeeds as [`Applied::Queued`]; once anything is queued, later changes
//! queue behind it so that the server sees them in the order they were made.
//!
//! Replay happens in [`JournaledStore::sync`], which the app calls when the connection is back
//! (e.g. on `MailboxChange::Connected` from a watch) and which every call through this wrapper
//! tries first while entries are pending. Entries are applied oldest first; each one is removed
//! from the journal as soon as the server confirmed it. An entry whose message is gone (deleted
//! elsewhere, folder renumbered) or that the server refuses for good is dropped with a logged
//! reason; a retryable failure (the server away, the account refused until its settings change,
//! a refusal for now such as `NO [UNAVAILABLE]`) stops the replay and keeps the rest for next
//! time. Replaying a change the
//! server had in fact already applied is harmless: flag changes are idempotent, and a second move
//! finds the message gone.
//!
//! [`list`](VoicemailStore::list) shows pending changes on top of the server's answer, so the UI
//! shows the person's own mark at once.

use std::path::Path;

use time::OffsetDateTime;
use tokio::sync::Mutex;

use crate::error::Error;
use crate::journal::{Change, Entry, Journal};
use crate::message::{MessageId, Voicemail};
use crate::store::{UnseenCounts, VoicemailStore};

/// What became of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The server confirmed it.
    Done,
    /// The server was unreachable; it is in the journal and will be replayed.
    Queued,
}

/// The outcome of a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Entries the server confirmed.
    pub applied: usize,
    /// Entries dropped, with the reason (message gone, refused).
    pub dropped: Vec<(Entry, String)>,
    /// Entries still queued because the server is unreachable or refuses the account.
    pub remaining: usize,
    /// Why they wait, when they do.
    pub waiting: Option<String>,
}

/// A store whose changes survive being offline. See the module documentation.
#[derive(Debug)]
pub struct JournaledStore<S> {
    inner: S,
    journal: Mutex<Journal>,
}

impl<S: VoicemailStore> JournaledStore<S> {
    /// Wraps `inner`, with its journal in `dir` (created 0700 if missing); entries left by an
    /// earlier run are kept for replay.
    pub fn open(inner: S, dir: &Path) -> Result<Self, Error> {
        Ok(Self {
            inner,
            journal: Mutex::new(Journal::open(dir)?),
        })
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Changes not yet confirmed by the server, oldest first.
    pub async fn pending(&self) -> Vec<Entry> {
        self.journal.lock().await.entries().to_vec()
    }

    /// Makes a change now, or queues it when the server is unreachable.
    pub async fn apply(
        &self,
        folder: &str,
        id: MessageId,
        change: Change,
    ) -> Result<Applied, Error> {
        let mut journal = self.journal.lock().await;
        let entry = Entry {
            folder: folder.to_owned(),
            id,
            change,
            at: OffsetDateTime::now_utc(),
        };
        if !journal.is_empty() {
            self.replay(&mut journal).await?;
        }
        if journal.is_empty() {
            match self.run(&entry).await {
                Ok(()) => return Ok(Applied::Done),
                Err(e) if e.is_retryable() => {
                    tracing::info!("{e}; {:?} of {} queued", entry.change, entry.id);
                }
                Err(e) => return Err(e),
            }
        }
        journal.append(entry)?;
        Ok(Applied::Queued)
    }

    /// Queues a change to message `id` whose folder is not known because the server cannot be
    /// reached to find it (a message id carries its folder's UIDVALIDITY, not the folder). The
    /// replay looks for the message in every folder, INBOX first and Trash last, and applies the
    /// change where it is; if no folder holds it any more, the change is dropped.
    pub async fn queue_unlocated(&self, id: MessageId, change: Change) -> Result<Applied, Error> {
        let mut journal = self.journal.lock().await;
        journal.append(Entry {
            folder: String::new(),
            id,
            change,
            at: OffsetDateTime::now_utc(),
        })?;
        Ok(Applied::Queued)
    }

    /// Replays the journal. Errors only when the journal file cannot be written.
    pub async fn sync(&self) -> Result<SyncReport, Error> {
        let mut journal = self.journal.lock().await;
        self.replay(&mut journal).await
    }

    async fn replay(&self, journal: &mut Journal) -> Result<SyncReport, Error> {
        let mut report = SyncReport::default();
        while let Some(entry) = journal.entries().first().cloned() {
            match self.run(&entry).await {
                Ok(()) => report.applied += 1,
                Err(e) if e.is_retryable() => {
                    report.waiting = Some(e.to_string());
                    break;
                }
                Err(e) => {
                    tracing::warn!(
                        "offline journal: dropping {:?} of {} in {} made at {}: {e}",
                        entry.change,
                        entry.id,
                        if entry.folder.is_empty() {
                            "its folder"
                        } else {
                            &entry.folder
                        },
                        entry.at
                    );
                    report.dropped.push((entry, e.to_string()));
                }
            }
            let rest = journal.entries()[1..].to_vec();
            journal.replace(rest)?;
        }
        report.remaining = journal.entries().len();
        Ok(report)
    }

    async fn run(&self, e: &Entry) -> Result<(), Error> {
        let found;
        let folder = if e.folder.is_empty() {
            found = self.locate(e.id).await?;
            found.as_str()
        } else {
            e.folder.as_str()
        };
        match &e.change {
            Change::MarkHeard => self.inner.mark_heard(folder, e.id).await,
            Change::MarkNew => self.inner.mark_new(folder, e.id).await,
            Change::Delete => self.inner.delete(folder, e.id).await,
            Change::MoveTo { target } => self.inner.move_to(folder, e.id, target).await,
        }
    }

    /// The folder that lists message `id`: INBOX first, Trash last, the others in the server's
    /// order (the order the app shows them in).
    async fn locate(&self, id: MessageId) -> Result<String, Error> {
        let mut folders = self.inner.folders().await?;
        folders.sort_by_key(|f| match f.to_ascii_lowercase().as_str() {
            "inbox" => 0,
            "trash" => 2,
            _ => 1,
        });
        for folder in folders {
            match self.inner.list(&folder).await {
                Ok(list) if list.iter().any(|v| v.id == id) => return Ok(folder),
                Ok(_) => {}
                Err(e) if e.is_gone() => {}
                Err(e) => return Err(e),
            }
        }
        Err(Error::MessageGone {
            folder: "any folder".into(),
            id,
            reason: "no folder lists it (deleted or moved elsewhere)".into(),
        })
    }

    /// Replays pending entries before a read, ignoring failures (the read reports its own).
    async fn settle(&self) {
        let mut journal = self.journal.lock().await;
        if !journal.is_empty()
            && let Err(e) = self.replay(&mut journal).await
        {
            tracing::warn!("{e}");
        }
    }
}

impl<S: VoicemailStore> VoicemailStore for JournaledStore<S> {
    async fn folders(&self) -> Result<Vec<String>, Error> {
        self.settle().await;
        self.inner.folders().await
    }

    async fn list(&self, folder: &str) -> Result<Vec<Voicemail>, Error> {
        self.settle().await;
        let mut list = self.inner.list(folder).await?;
        for e in self.journal.lock().await.entries() {
            // An entry whose folder is not known yet applies to its message wherever it is.
            if !e.folder.is_empty() && e.folder != folder {
                continue;
            }
            match &e.change {
                Change::MarkHeard | Change::MarkNew => {
                    for v in list.iter_mut().filter(|v| v.id == e.id) {
                        v.heard = e.change == Change::MarkHeard;
                    }
                }
                Change::Delete | Change::MoveTo { .. } => list.retain(|v| v.id != e.id),
            }
        }
        Ok(list)
    }

    async fn fetch_audio(&self, folder: &str, id: MessageId) -> Result<Vec<u8>, Error> {
        self.settle().await;
        self.inner.fetch_audio(folder, id).await
    }

    async fn mark_heard(&self, folder: &str, id: MessageId) -> Result<(), Error> {
        self.apply(folder, id, Change::MarkHeard).await.map(drop)
    }

    async fn mark_new(&self, folder: &str, id: MessageId) -> Result<(), Error> {
        self.apply(folder, id, Change::MarkNew).await.map(drop)
    }

    async fn delete(&self, folder: &str, id: MessageId) -> Result<(), Error> {
        self.apply(folder, id, Change::Delete).await.map(drop)
    }

    async fn move_to(&self, folder: &str, id: MessageId, target: &str) -> Result<(), Error> {
        let change = Change::MoveTo {
            target: target.to_owned(),
        };
        self.apply(folder, id, change).await.map(drop)
    }

    async fn unseen_counts(&self, folder: &str) -> Result<UnseenCounts, Error> {
        self.settle().await;
        self.inner.unseen_counts(folder).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex as StdMutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// An in-memory store whose changes can be made to fail as if offline (reads keep working);
    /// messages are uid → heard.
    #[derive(Default)]
    struct Fake {
        offline: AtomicBool,
        heard: StdMutex<BTreeMap<u32, bool>>,
        log: StdMutex<Vec<String>>,
        refuse: StdMutex<bool>,
        /// Changes still to refuse with `NO [UNAVAILABLE]`.
        unavailable: StdMutex<u32>,
    }

    fn id(uid: u32) -> MessageId {
        MessageId {
            uid_validity: 1,
            uid,
        }
    }

    impl Fake {
        fn with(uids: &[u32]) -> Self {
            let f = Fake::default();
            f.heard
                .lock()
                .unwrap()
                .extend(uids.iter().map(|u| (*u, false)));
            f
        }

        fn op(
            &self,
            what: &str,
            folder: &str,
            id: MessageId,
            heard: Option<bool>,
        ) -> Result<(), Error> {
            if self.offline.load(Ordering::SeqCst) {
                return Err(Error::Unreachable {
                    host: "fake".into(),
                    port: 1,
                    detail: "offline".into(),
                });
            }
            {
                let mut unavailable = self.unavailable.lock().unwrap();
                if *unavailable > 0 {
                    *unavailable -= 1;
                    return Err(Error::Protocol {
                        command: "UID STORE",
                        detail: "[UNAVAILABLE] Temporary failure, try again later".into(),
                    });
                }
            }
            if *self.refuse.lock().unwrap() {
                return Err(Error::AuthFailed {
                    user: "1001".into(),
                    detail: "no".into(),
                });
            }
            let mut map = self.heard.lock().unwrap();
            let Some(h) = map.get_mut(&id.uid) else {
                return Err(Error::MessageGone {
                    folder: folder.into(),
                    id,
                    reason: "missing".into(),
                });
            };
            match heard {
                Some(v) => *h = v,
                None => {
                    map.remove(&id.uid);
                }
            }
            self.log.lock().unwrap().push(format!("{what} {}", id.uid));
            Ok(())
        }
    }

    impl VoicemailStore for Fake {
        async fn folders(&self) -> Result<Vec<String>, Error> {
            Ok(vec!["INBOX".into()])
        }
        async fn list(&self, folder: &str) -> Result<Vec<Voicemail>, Error> {
            Ok(self
                .heard
                .lock()
                .unwrap()
                .iter()
                .map(|(uid, heard)| Voicemail {
                    id: id(*uid),
                    folder: folder.into(),
                    caller_number: None,
                    caller_name: None,
                    received_at: OffsetDateTime::UNIX_EPOCH,
                    duration_s: None,
                    urgent: false,
                    heard: *heard,
                    size: 0,
                    audio: None,
                })
                .collect())
        }
        async fn fetch_audio(&self, _: &str, _: MessageId) -> Result<Vec<u8>, Error> {
            Ok(Vec::new())
        }
        async fn mark_heard(&self, f: &str, id: MessageId) -> Result<(), Error> {
            self.op("heard", f, id, Some(true))
        }
        async fn mark_new(&self, f: &str, id: MessageId) -> Result<(), Error> {
            self.op("new", f, id, Some(false))
        }
        async fn delete(&self, f: &str, id: MessageId) -> Result<(), Error> {
            self.op("delete", f, id, None)
        }
        async fn move_to(&self, f: &str, id: MessageId, _: &str) -> Result<(), Error> {
            self.op("move", f, id, None)
        }
        async fn unseen_counts(&self, _: &str) -> Result<UnseenCounts, Error> {
            Ok(UnseenCounts::default())
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_temporary_refusal_keeps_the_change_queued() {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let fake = Fake::with(&[1, 2]);
            fake.offline.store(true, Ordering::SeqCst);
            let s = JournaledStore::open(fake, dir.path()).unwrap();
            s.mark_heard("INBOX", id(1)).await.unwrap();
            s.mark_heard("INBOX", id(2)).await.unwrap();

            // Back, but busy: the first replayed change is refused for now.
            s.inner.offline.store(false, Ordering::SeqCst);
            *s.inner.unavailable.lock().unwrap() = 1;
            let report = s.sync().await.unwrap();
            assert!(report.dropped.is_empty(), "{:?}", report.dropped);
            assert_eq!(report.remaining, 2);
            assert!(
                report
                    .waiting
                    .as_deref()
                    .unwrap_or("")
                    .contains("[UNAVAILABLE]"),
                "{report:?}"
            );

            // A later sync applies both, in order.
            let report = s.sync().await.unwrap();
            assert_eq!((report.applied, report.remaining), (2, 0), "{report:?}");
            assert_eq!(*s.inner.log.lock().unwrap(), ["heard 1", "heard 2"]);

            // Online, a temporary refusal queues the change instead of losing it.
            *s.inner.unavailable.lock().unwrap() = 1;
            assert_eq!(
                s.apply("INBOX", id(2), Change::MarkNew).await.unwrap(),
                Applied::Queued
            );
            assert_eq!(s.pending().await.len(), 1);
        });
    }

    #[test]
    fn online_changes_go_straight_through() {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let s = JournaledStore::open(Fake::with(&[1]), dir.path()).unwrap();
            assert_eq!(
                s.apply("INBOX", id(1), Change::MarkHeard).await.unwrap(),
                Applied::Done
            );
            assert!(s.pending().await.is_empty());
            let e = s.mark_heard("INBOX", id(7)).await.unwrap_err();
            assert!(e.is_gone(), "a gone message is an error, not queued");
        });
    }

    #[test]
    fn offline_changes_survive_a_restart_and_replay_in_order() {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let fake = Fake::with(&[1, 2, 3]);
            fake.offline.store(true, Ordering::SeqCst);
            let s = JournaledStore::open(fake, dir.path()).unwrap();
            assert_eq!(
                s.apply("INBOX", id(1), Change::MarkHeard).await.unwrap(),
                Applied::Queued
            );
            s.mark_heard("INBOX", id(2)).await.unwrap();
            s.mark_new("INBOX", id(2)).await.unwrap();
            s.delete("INBOX", id(9)).await.unwrap(); // gone by the time it is replayed
            s.delete("INBOX", id(3)).await.unwrap();
            assert_eq!(s.pending().await.len(), 5);
            drop(s); // the app quits (or crashes: every entry was fsynced on append)

            let s = JournaledStore::open(Fake::with(&[1, 2, 3]), dir.path()).unwrap();
            assert_eq!(s.pending().await.len(), 5);
            let report = s.sync().await.unwrap();
            assert_eq!(report.applied, 4);
            assert_eq!(report.dropped.len(), 1);
            assert_eq!(report.dropped[0].0.id, id(9));
            assert_eq!(report.remaining, 0);
            assert_eq!(
                *s.inner().log.lock().unwrap(),
                ["heard 1", "heard 2", "new 2", "delete 3"]
            );
            drop(s);
            assert!(Journal::open(dir.path()).unwrap().is_empty());
        });
    }

    #[test]
    fn a_refused_login_keeps_the_journal_until_it_is_fixed() {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let s = JournaledStore::open(Fake::with(&[1]), dir.path()).unwrap();
            *s.inner().refuse.lock().unwrap() = true;
            assert_eq!(
                s.apply("INBOX", id(1), Change::MarkHeard).await.unwrap(),
                Applied::Queued
            );
            let report = s.sync().await.unwrap();
            assert_eq!((report.applied, report.remaining), (0, 1));
            assert!(report.waiting.unwrap().contains("check the password"));
            *s.inner().refuse.lock().unwrap() = false;
            let report = s.sync().await.unwrap();
            assert_eq!(
                (report.applied, report.remaining, report.waiting),
                (1, 0, None)
            );
        });
    }

    #[test]
    fn pending_marks_show_in_the_list_and_queue_behind_each_other() {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let s = JournaledStore::open(Fake::with(&[1, 2]), dir.path()).unwrap();
            s.inner().offline.store(true, Ordering::SeqCst);
            s.mark_heard("INBOX", id(1)).await.unwrap();
            s.delete("INBOX", id(2)).await.unwrap();
            // The list shows the person's own changes before the server has them.
            let list = s.list("INBOX").await.unwrap();
            assert_eq!(list.len(), 1);
            assert!(list[0].heard);
            assert_eq!(s.pending().await.len(), 2);
            s.inner().offline.store(false, Ordering::SeqCst);
            // Back online: the next change first replays the queue, then goes through.
            s.mark_new("INBOX", id(1)).await.unwrap();
            assert!(s.pending().await.is_empty());
            assert_eq!(
                *s.inner().log.lock().unwrap(),
                ["heard 1", "delete 2", "new 1"]
            );
            let list = s.list("INBOX").await.unwrap();
            assert_eq!(list.len(), 1);
            assert!(!list[0].heard);
        });
    }

    #[test]
    fn a_change_queued_without_its_folder_is_applied_where_the_message_is() {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let s = JournaledStore::open(Fake::with(&[1, 2]), dir.path()).unwrap();
            s.inner().offline.store(true, Ordering::SeqCst);
            assert_eq!(
                s.queue_unlocated(id(2), Change::MarkHeard).await.unwrap(),
                Applied::Queued
            );
            s.queue_unlocated(id(9), Change::MarkHeard).await.unwrap();
            let list = s.list("INBOX").await.unwrap();
            assert!(list.iter().find(|v| v.id == id(2)).unwrap().heard);
            drop(s);

            let s = JournaledStore::open(Fake::with(&[1, 2]), dir.path()).unwrap();
            let report = s.sync().await.unwrap();
            assert_eq!((report.applied, report.remaining), (1, 0));
            assert_eq!(report.dropped.len(), 1, "no folder holds 9");
            assert_eq!(*s.inner().log.lock().unwrap(), ["heard 2"]);
        });
    }
}

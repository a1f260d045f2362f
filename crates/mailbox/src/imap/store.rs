//! `ImapStore`: the [`VoicemailStore`] over one IMAP account, with one lazily opened session that
//! is reopened when it breaks.

use std::sync::Arc;

use tokio::sync::Mutex;
use tokio_rustls::rustls::ClientConfig;

use super::connect::{Ctx, connect};
use super::ops::{self, Conn, Known};
use super::tls::client_config;
use crate::account::{ImapAccount, ImapTiming};
use crate::error::Error;
use crate::filter::VoicemailFilter;
use crate::message::{MessageId, Voicemail};
use crate::store::{UnseenCounts, VoicemailStore};

/// A voicemail box on an IMAP server.
///
/// Commands share one session, opened on first use. When a command finds the session broken
/// (connection lost, timeout), the session is dropped and the command is tried once more on a
/// fresh one; if that fails too the error (`Error::is_offline`) goes to the caller, and the next
/// command connects again. [`ImapStore::watch`] uses a session of its own.
#[derive(Debug)]
pub struct ImapStore {
    pub(super) account: ImapAccount,
    pub(super) timing: ImapTiming,
    pub(super) tls: Arc<ClientConfig>,
    conn: Mutex<Option<Conn>>,
    known: Known,
    max_audio_bytes: u64,
}

/// Runs `$body` with `$c: &mut Conn`, connecting first if needed and retrying once on a fresh
/// session when a reused one turns out broken.
macro_rules! with_conn {
    ($self:ident, |$c:ident| $body:expr) => {{
        let mut guard = $self.conn.lock().await;
        let mut retried = false;
        loop {
            let reused = guard.is_some();
            if guard.is_none() {
                *guard = Some($self.open().await?);
            }
            let $c = guard.as_mut().expect("connected above");
            let result = $body;
            match result {
                Err(e) if e.is_offline() => {
                    *guard = None;
                    if reused && !retried {
                        tracing::debug!("IMAP session broke ({e}); reconnecting once");
                        retried = true;
                        continue;
                    }
                    break Err(e);
                }
                other => break other,
            }
        }
    }};
}

impl ImapStore {
    /// A store for `account` with default timing. Fails only on unusable TLS settings (e.g. an
    /// unreadable CA file); nothing is connected yet.
    pub fn new(account: ImapAccount) -> Result<Self, Error> {
        Self::with_timing(account, ImapTiming::default())
    }

    /// A store with the given timing.
    pub fn with_timing(account: ImapAccount, timing: ImapTiming) -> Result<Self, Error> {
        let tls = client_config(&account)?;
        Ok(Self {
            account,
            timing,
            tls,
            conn: Mutex::new(None),
            known: Known::default(),
            max_audio_bytes: ops::MAX_AUDIO_PART_BYTES,
        })
    }

    /// Refuses audio attachments larger than `bytes` (encoded) instead of
    /// [`MAX_AUDIO_PART_BYTES`](crate::imap::MAX_AUDIO_PART_BYTES).
    pub fn with_max_audio_bytes(mut self, bytes: u64) -> Self {
        self.max_audio_bytes = bytes;
        self
    }

    /// Also takes as voicemail the messages `filter` matches (besides those with Asterisk
    /// headers or an audio attachment); every other message is neither listed nor counted.
    pub fn with_filter(mut self, filter: VoicemailFilter) -> Self {
        self.known.filter = filter;
        self
    }

    /// The account.
    pub fn account(&self) -> &ImapAccount {
        &self.account
    }

    /// Connects and logs in now (or checks the open session with NOOP): a way to test settings.
    pub async fn check(&self) -> Result<(), Error> {
        with_conn!(self, |c| {
            let ctx = c.ctx.clone();
            ctx.step("NOOP", c.session.noop()).await
        })
    }

    /// Closes the shared session (LOGOUT), if open.
    pub async fn close(&self) {
        if let Some(mut c) = self.conn.lock().await.take() {
            let _ = c.ctx.step("LOGOUT", c.session.logout()).await;
        }
    }

    /// A store for the same account sharing the TLS configuration, with a session of its own.
    pub(super) fn sibling(&self) -> ImapStore {
        ImapStore {
            account: self.account.clone(),
            timing: self.timing.clone(),
            tls: self.tls.clone(),
            conn: Mutex::new(None),
            known: Known {
                filter: self.known.filter.clone(),
                ..Known::default()
            },
            max_audio_bytes: self.max_audio_bytes,
        }
    }

    pub(super) fn ctx(&self) -> Ctx {
        Ctx {
            host: self.account.host.clone(),
            limit: self.timing.step_timeout,
        }
    }

    /// Opens a new authenticated session.
    pub(super) async fn open(&self) -> Result<Conn, Error> {
        let ctx = self.ctx();
        let (session, caps) = connect(&self.account, &self.tls, &ctx).await?;
        Ok(Conn { session, caps, ctx })
    }
}

impl VoicemailStore for ImapStore {
    async fn folders(&self) -> Result<Vec<String>, Error> {
        with_conn!(self, |c| ops::folders(c).await)
    }

    async fn list(&self, folder: &str) -> Result<Vec<Voicemail>, Error> {
        with_conn!(self, |c| ops::list(c, folder, &self.known).await)
    }

    async fn fetch_audio(&self, folder: &str, id: MessageId) -> Result<Vec<u8>, Error> {
        with_conn!(self, |c| ops::fetch_audio(
            c,
            folder,
            id,
            self.max_audio_bytes
        )
        .await)
    }

    async fn mark_heard(&self, folder: &str, id: MessageId) -> Result<(), Error> {
        with_conn!(self, |c| ops::set_seen(c, folder, id, true).await)
    }

    async fn mark_new(&self, folder: &str, id: MessageId) -> Result<(), Error> {
        with_conn!(self, |c| ops::set_seen(c, folder, id, false).await)
    }

    async fn delete(&self, folder: &str, id: MessageId) -> Result<(), Error> {
        with_conn!(self, |c| ops::delete(c, folder, id).await)
    }

    async fn move_to(&self, folder: &str, id: MessageId, target: &str) -> Result<(), Error> {
        with_conn!(self, |c| ops::move_to(c, folder, id, target).await)
    }

    async fn unseen_counts(&self, folder: &str) -> Result<UnseenCounts, Error> {
        with_conn!(self, |c| ops::unseen_counts(c, folder, &self.known).await)
    }
}

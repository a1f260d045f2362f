//! Where an account's voicemail is kept (IMAP) and how to reach it: the configuration's
//! `[accounts.voicemail]` section turned into a `voicelamp_mailbox` account, with its password
//! from the account's password source and the offline journal and audio cache in the OS data and
//! cache directories.
//!
//! [`open_store`] is the one entry point for the app and the CLI: it returns a [`Mailbox`], a
//! journaled IMAP store plus the account's audio cache, without connecting yet (a change made
//! while the server is away is journaled, not lost). Every error is worded for a person.
//!
//! ```no_run
//! # async fn demo() -> Result<(), voicelamp_core::voicemail::VoicemailError> {
//! use voicelamp_core::{Config, MemoryStore};
//! let config = Config::load_default()?;
//! let mailbox = voicelamp_core::voicemail::open_store(&config, "office", &MemoryStore::new()).await?;
//! for vm in mailbox.list(None).await? {
//!     println!("{} {:?} heard={}", vm.id, vm.caller_number, vm.heard);
//! }
//! # Ok(())
//! # }
//! ```

use std::path::PathBuf;

/// The mailbox types a front end needs, so it can use this module without naming the crate.
pub use voicelamp_mailbox::{
    Applied, Change, Error as StoreError, MailboxChange, MessageId, Stream, Voicemail,
};
use voicelamp_mailbox::{
    AudioCache, ImapAccount, ImapStore, ImapTiming, JournaledStore, Security, SyncReport,
    VoicemailFilter, VoicemailStore,
};

use crate::config::{AccountConfig, Config, ConfigError, ImapSecurity, LampFeed, VoicemailConfig};
use crate::secrets::{Secret, SecretError, SecretStore, resolve_password};
use crate::sip_uri::SipUri;

/// Replaces `<OS data dir>/voicelamp` (journals) when set, e.g. for tests.
pub const DATA_DIR_ENV: &str = "VOICELAMP_DATA_DIR";
/// Replaces `<OS cache dir>/voicelamp` (decoded audio) when set, e.g. for tests.
pub const CACHE_DIR_ENV: &str = "VOICELAMP_CACHE_DIR";
/// Largest size of one account's audio cache.
pub const AUDIO_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// Decoded audio not played for this long leaves the disk (the server keeps the message).
pub const AUDIO_CACHE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// Why the voicemail of an account cannot be reached. No variant carries a password.
#[derive(Debug, thiserror::Error)]
pub enum VoicemailError {
    /// The configuration cannot be read.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No account has this id.
    #[error("no account {id:?} in the configuration (accounts: {known})")]
    NoSuchAccount {
        /// The id asked for.
        id: String,
        /// The ids there are, comma-separated.
        known: String,
    },
    /// The account has no `[accounts.voicemail]` section.
    #[error(
        "account {account} has no voicemail store; add an [accounts.voicemail] section with \
         imap = \"imaps://your-mail-server\" (see docs/config.md)"
    )]
    NotConfigured {
        /// Account id.
        account: String,
    },
    /// The IMAP password cannot be had.
    #[error(transparent)]
    Password(#[from] SecretError),
    /// There is no data or cache directory for the journal or the audio.
    #[error("this system has no {what} directory (is HOME set?); set {env} to a directory for it")]
    NoDirectory {
        /// `"data"` or `"cache"`.
        what: &'static str,
        /// The variable that overrides it.
        env: &'static str,
    },
    /// No listed folder holds the message.
    #[error("account {account} has no message {id} in {folders}; list the mailbox again")]
    MessageNotFound {
        /// Account id.
        account: String,
        /// The id.
        id: MessageId,
        /// The folders looked in, comma-separated.
        folders: String,
    },
    /// The store failed (server, TLS, login, message, audio, journal).
    #[error(transparent)]
    Store(#[from] voicelamp_mailbox::Error),
}

impl VoicemailError {
    /// True when the fix is in the configuration or the environment (a usage error for the
    /// CLI), not on the server.
    pub fn is_setup(&self) -> bool {
        matches!(
            self,
            Self::Config(_)
                | Self::NoSuchAccount { .. }
                | Self::NotConfigured { .. }
                | Self::Password(_)
                | Self::NoDirectory { .. }
        )
    }
}

/// The login name: `voicemail.user`, else the account's auth user, else the AOR's user.
pub fn login_user(account: &AccountConfig, vm: &VoicemailConfig) -> String {
    vm.user
        .clone()
        .or_else(|| account.auth_user.clone())
        .or_else(|| SipUri::parse(&account.aor).ok().and_then(|u| u.user))
        .unwrap_or_else(|| account.id.clone())
}

/// The IMAP password: the section's own source (keyring key `<id>.voicemail`), else the
/// account's SIP password source.
pub fn resolve_voicemail_password(
    account: &AccountConfig,
    vm: &VoicemailConfig,
    secrets: &dyn SecretStore,
) -> Result<Secret, SecretError> {
    match &vm.password {
        None => resolve_password(account, secrets),
        Some(source) => {
            let mut own = account.clone();
            own.id = format!("{}.voicemail", account.id);
            own.password = source.clone();
            resolve_password(&own, secrets)
        }
    }
}

/// The `voicelamp_mailbox` account for a configured account and its password.
pub fn imap_account(
    account: &AccountConfig,
    vm: &VoicemailConfig,
    password: &Secret,
) -> ImapAccount {
    let tls = vm.tls.as_ref().unwrap_or(&account.tls);
    ImapAccount {
        host: vm.host.clone(),
        port: vm.port,
        security: match vm.security {
            ImapSecurity::Tls => Security::Tls,
            ImapSecurity::StartTls => Security::StartTls,
            ImapSecurity::Plain => Security::Plain,
        },
        user: login_user(account, vm),
        password: password.expose().into(),
        ca_file: tls.ca_file.clone(),
        insecure_skip_verify: tls.insecure_skip_verify,
    }
}

/// The account's own rules for voicemail without Asterisk headers or audio: `match_from` and
/// `match_subject`.
pub fn filter(vm: &VoicemailConfig) -> VoicemailFilter {
    VoicemailFilter {
        from: vm.match_from.clone(),
        subject: vm.match_subject.clone(),
    }
}

fn app_dir(
    env: &'static str,
    os: Option<PathBuf>,
    what: &'static str,
) -> Result<PathBuf, VoicemailError> {
    match std::env::var_os(env).filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => os
            .map(|d| d.join(crate::config::DIR_NAME))
            .ok_or(VoicemailError::NoDirectory { what, env }),
    }
}

/// Where the account's offline journal lives: `<data>/voicemail/<id>`.
pub fn journal_dir(account_id: &str) -> Result<PathBuf, VoicemailError> {
    Ok(app_dir(DATA_DIR_ENV, dirs::data_dir(), "data")?
        .join("voicemail")
        .join(account_id))
}

/// Where the account's decoded audio is cached: `<cache>/voicemail/<id>`.
pub fn audio_cache_dir(account_id: &str) -> Result<PathBuf, VoicemailError> {
    Ok(app_dir(CACHE_DIR_ENV, dirs::cache_dir(), "cache")?
        .join("voicemail")
        .join(account_id))
}

/// The voicemail of one account, ready to use: see [`open_store`].
#[derive(Debug)]
pub struct Mailbox {
    account_id: String,
    folders: Vec<String>,
    lamp_feeds: Vec<LampFeed>,
    store: JournaledStore<ImapStore>,
    cache: AudioCache,
}

/// Opens the voicemail store of `account_id` with default timing. Nothing is connected yet;
/// errors here are about the configuration, the password source or the local directories.
pub async fn open_store(
    config: &Config,
    account_id: &str,
    secrets: &dyn SecretStore,
) -> Result<Mailbox, VoicemailError> {
    open_store_with_timing(config, account_id, secrets, ImapTiming::default()).await
}

/// [`open_store`] with the IMAP client's timing (timeouts, polling, backoff).
pub async fn open_store_with_timing(
    config: &Config,
    account_id: &str,
    secrets: &dyn SecretStore,
    timing: ImapTiming,
) -> Result<Mailbox, VoicemailError> {
    let account = config
        .account(account_id)
        .ok_or_else(|| VoicemailError::NoSuchAccount {
            id: account_id.to_owned(),
            known: config
                .accounts
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let vm = account
        .voicemail
        .as_ref()
        .ok_or_else(|| VoicemailError::NotConfigured {
            account: account.id.clone(),
        })?;
    let password = resolve_voicemail_password(account, vm, secrets)?;
    let imap = ImapStore::with_timing(imap_account(account, vm, &password), timing)?
        .with_filter(filter(vm));
    let journal = journal_dir(&account.id)?;
    let cache = audio_cache_dir(&account.id)?;
    // Opening the journal and the cache touches the disk: keep it off the async threads.
    let (store, cache) = tokio::task::spawn_blocking(move || {
        Ok::<_, voicelamp_mailbox::Error>((
            JournaledStore::open(imap, &journal)?,
            AudioCache::open(&cache, AUDIO_CACHE_BYTES)?.with_max_age(AUDIO_CACHE_MAX_AGE),
        ))
    })
    .await
    .map_err(|e| voicelamp_mailbox::Error::Config(e.to_string()))??;
    Ok(Mailbox {
        account_id: account.id.clone(),
        folders: vm.folders.clone(),
        lamp_feeds: account.lamp_feeds(),
        store,
        cache,
    })
}

impl Mailbox {
    /// The account's id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// What drives this account's lamp (`lamp_sources` or its default).
    pub fn lamp_feeds(&self) -> &[LampFeed] {
        &self.lamp_feeds
    }

    /// The journaled IMAP store, for anything not wrapped here.
    pub fn store(&self) -> &JournaledStore<ImapStore> {
        &self.store
    }

    /// The folders to show: the configured ones, else every folder the server has (INBOX first).
    pub async fn folders(&self) -> Result<Vec<String>, VoicemailError> {
        if !self.folders.is_empty() {
            return Ok(self.folders.clone());
        }
        let mut all = self.store.folders().await?;
        // INBOX first, Trash last, the rest in the server's order.
        all.sort_by_key(|f| match f.to_ascii_lowercase().as_str() {
            "inbox" => 0,
            "trash" => 2,
            _ => 1,
        });
        Ok(all)
    }

    /// The messages of `folder`, or of every shown folder (in folder order, then oldest first).
    pub async fn list(&self, folder: Option<&str>) -> Result<Vec<Voicemail>, VoicemailError> {
        let folders = match folder {
            Some(f) => vec![f.to_owned()],
            None => self.folders().await?,
        };
        let mut out = Vec::new();
        for f in &folders {
            out.extend(self.store.list(f).await?);
        }
        Ok(out)
    }

    /// The folder holding message `id`: `folder` when given, else the first shown folder that
    /// lists it.
    pub async fn locate(
        &self,
        id: MessageId,
        folder: Option<&str>,
    ) -> Result<String, VoicemailError> {
        if let Some(f) = folder {
            return Ok(f.to_owned());
        }
        let folders = self.folders().await?;
        for f in &folders {
            if self.store.list(f).await?.iter().any(|v| v.id == id) {
                return Ok(f.clone());
            }
        }
        Err(VoicemailError::MessageNotFound {
            account: self.account_id.clone(),
            id,
            folders: folders.join(", "),
        })
    }

    /// The message's audio as 16-bit PCM WAV: from the cache, else fetched (audio part only),
    /// decoded and cached.
    pub async fn fetch_wav(&self, folder: &str, id: MessageId) -> Result<Vec<u8>, VoicemailError> {
        Ok(self.cache.fetch_wav(&self.store, folder, id).await?)
    }

    /// The length of the message's playable WAV (decoded and cached first when needed).
    pub async fn wav_len(&self, folder: &str, id: MessageId) -> Result<u64, VoicemailError> {
        Ok(self.cache.cached_wav_len(&self.store, folder, id).await?)
    }

    /// Up to `len` bytes of the message's playable WAV from `offset` (fewer at its end), read
    /// off the async threads; decoded again first if the cache let it go meanwhile.
    pub async fn read_wav(
        &self,
        folder: &str,
        id: MessageId,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, VoicemailError> {
        for _ in 0..2 {
            let cache = self.cache.clone();
            let key = folder.to_owned();
            let read = tokio::task::spawn_blocking(move || cache.read_wav(&key, id, offset, len))
                .await
                .map_err(|e| {
                    voicelamp_mailbox::Error::Config(format!("reading the audio stopped: {e}"))
                })?;
            if let Some(bytes) = read {
                return Ok(bytes);
            }
            self.wav_len(folder, id).await?;
        }
        Err(voicelamp_mailbox::Error::Config(
            "the message's audio left the cache while it was played; play it again".to_owned(),
        )
        .into())
    }

    /// Marks the message heard, new, deleted or moved: at once, or journaled while the server
    /// is away. A deleted or moved message's cached audio is removed.
    pub async fn apply(
        &self,
        folder: &str,
        id: MessageId,
        change: Change,
    ) -> Result<Applied, VoicemailError> {
        let removes = matches!(change, Change::Delete | Change::MoveTo { .. });
        let applied = self.store.apply(folder, id, change).await?;
        if removes {
            self.cache.remove(folder, id);
        }
        Ok(applied)
    }

    /// Makes `change` to message `id` in `folder`, or when no folder is given in the shown folder
    /// that lists it. When the server cannot be reached to find that folder, the change is
    /// journaled without one and its replay finds the folder (the id carries the folder's
    /// UIDVALIDITY): a change is never refused only because the server is away. Returns the
    /// folder when it is known.
    pub async fn apply_to(
        &self,
        id: MessageId,
        folder: Option<&str>,
        change: Change,
    ) -> Result<(Option<String>, Applied), VoicemailError> {
        let folder = match self.locate(id, folder).await {
            Ok(folder) => folder,
            Err(VoicemailError::Store(e)) if e.is_retryable() => {
                tracing::info!("{e}; {change:?} of {id} queued until its folder can be found");
                return Ok((None, self.store.queue_unlocated(id, change).await?));
            }
            Err(e) => return Err(e),
        };
        let applied = self.apply(&folder, id, change).await?;
        Ok((Some(folder), applied))
    }

    /// Replays changes journaled while the server was away.
    pub async fn sync(&self) -> Result<SyncReport, VoicemailError> {
        Ok(self.store.sync().await?)
    }

    /// Follows `folder` on a session of its own (IDLE, else polling); runs until dropped.
    pub fn watch(&self, folder: &str) -> impl Stream<Item = MailboxChange> + Send + 'static {
        self.store.inner().watch(folder)
    }

    /// Logs out of the shared session.
    pub async fn close(&self) {
        self.store.inner().close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;
    use crate::config::PasswordSource;

    fn config() -> Config {
        Config::from_toml_str(
            "[[accounts]]\nid = \"office\"\naor = \"sip:alice@pbx.example.com\"\n\
             password_env = \"VL_TEST_NEVER_SET\"\n[accounts.tls]\nca_file = \"/ca.pem\"\n\
             [accounts.voicemail]\nimap = \"imap://mail.example.com:1143\"\n\
             password_keyring = true\n\n[[accounts]]\nid = \"bare\"\naor = \"sip:b@h\"\n",
            "c.toml".as_ref(),
        )
        .expect("valid")
    }

    #[test]
    fn account_from_config() {
        let config = config();
        let account = &config.accounts[0];
        let vm = account.voicemail.as_ref().unwrap();
        let imap = imap_account(account, vm, &Secret::from("hunter2"));
        assert_eq!(
            (
                imap.host.as_str(),
                imap.port,
                imap.security,
                imap.user.as_str()
            ),
            ("mail.example.com", 1143, Security::StartTls, "alice")
        );
        assert_eq!(imap.ca_file.as_deref(), Some("/ca.pem".as_ref()));
        assert!(!format!("{imap:?}").contains("hunter2"));
        let mut own = vm.clone();
        own.user = Some("vm".into());
        own.tls = Some(Default::default());
        let imap = imap_account(account, &own, &Secret::from("x"));
        assert_eq!((imap.user.as_str(), imap.ca_file), ("vm", None));
    }

    #[test]
    fn password_sources() {
        let config = config();
        let account = &config.accounts[0];
        let mut vm = account.voicemail.clone().unwrap();
        let secrets = MemoryStore::new();
        secrets
            .set("office.voicemail", &Secret::from("imap-pw"))
            .unwrap();
        secrets.set("office", &Secret::from("sip-pw")).unwrap();
        let pw = resolve_voicemail_password(account, &vm, &secrets).unwrap();
        assert_eq!(pw.expose(), "imap-pw");
        vm.password = None; // the account's own source: an unset variable
        let e = resolve_voicemail_password(account, &vm, &secrets).unwrap_err();
        assert!(e.to_string().contains("VL_TEST_NEVER_SET"), "{e}");
        let mut keyring_account = account.clone();
        keyring_account.password = PasswordSource::Keyring;
        let pw = resolve_voicemail_password(&keyring_account, &vm, &secrets).unwrap();
        assert_eq!(pw.expose(), "sip-pw");
    }

    #[test]
    fn open_store_errors_are_in_words() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let config = config();
        let secrets = MemoryStore::new();
        let e = rt
            .block_on(open_store(&config, "nope", &secrets))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "no account \"nope\" in the configuration (accounts: office, bare)"
        );
        assert!(e.is_setup());
        let e = rt
            .block_on(open_store(&config, "bare", &secrets))
            .unwrap_err();
        assert!(e.to_string().contains("[accounts.voicemail]"), "{e}");
        let e = rt
            .block_on(open_store(&config, "office", &secrets))
            .unwrap_err();
        assert!(e.to_string().contains("office.voicemail"), "{e}");
    }
}

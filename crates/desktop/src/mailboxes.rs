//! The voicemail stores the window browses: one `voicelamp_core::voicemail::Mailbox` per account
//! with an `[accounts.voicemail]` section, opened on first use and kept while the configuration
//! stays the same, plus a watch of each account's INBOX that feeds the engine (counts for the
//! lamps it drives, a new message's caller for its notification) and tells the window when the
//! mailbox changed elsewhere ([`HostEvent::Mailbox`]).

use crate::protocol::HostEvent;
use crate::shell::Shell;
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;
use voicelamp_core::MessageHint;
use voicelamp_core::runtime::ImapReport;
use voicelamp_core::voicemail::{Mailbox, VoicemailError, open_store};
use voicelamp_core::{Config, SecretStore};
use voicelamp_mailbox::{MailboxChange, VoicemailStore as _};

/// An account's voicemail changed on the server (a message arrived, was heard or deleted,
/// possibly on another device), or its connection came or went.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MailboxUpdate {
    /// Account id.
    pub account: String,
    /// Folder.
    pub folder: String,
    /// The store cannot be reached now (why, in words); `None` when connected.
    pub offline: Option<String>,
}

/// Open stores by account id.
#[derive(Debug, Clone)]
pub struct Mailboxes {
    open: Arc<Mutex<HashMap<String, Arc<Mailbox>>>>,
    watches: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    engine: crate::engine::EngineService,
}

impl Mailboxes {
    /// No store open yet; changes are reported to `engine`.
    pub fn new(engine: crate::engine::EngineService) -> Self {
        Self {
            open: Arc::default(),
            watches: Arc::default(),
            engine,
        }
    }

    /// The store of `account`, opened with the configuration at `config_path` when needed.
    pub async fn get(
        &self,
        config_path: &std::path::Path,
        account: &str,
    ) -> Result<Arc<Mailbox>, VoicemailError> {
        let mut open = self.open.lock().await;
        if let Some(mailbox) = open.get(account) {
            return Ok(mailbox.clone());
        }
        let config = crate::engine::load_config(config_path)?;
        let secrets = secrets_for(&config);
        let mailbox = Arc::new(open_store(&config, account, secrets.as_ref()).await?);
        open.insert(account.to_owned(), mailbox.clone());
        Ok(mailbox)
    }

    /// Closes every store and watch (the configuration changed), then watches the INBOX of
    /// every account of `config` that has a store. This is also what tries a refused password
    /// again: a watch stops on it (`MailboxChange::Stopped`) until the settings change.
    pub async fn restart(&self, shell: &Arc<dyn Shell>, config: &Config, config_path: PathBuf) {
        for handle in self
            .watches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
        {
            handle.abort();
        }
        let closing: Vec<Arc<Mailbox>> = self.open.lock().await.drain().map(|(_, m)| m).collect();
        for mailbox in closing {
            mailbox.close().await;
        }
        let accounts: Vec<String> = config
            .accounts
            .iter()
            .filter(|a| a.voicemail.is_some())
            .map(|a| a.id.clone())
            .collect();
        for account in accounts {
            let me = self.clone();
            let shell = shell.clone();
            let path = config_path.clone();
            let handle = tokio::spawn(async move {
                me.watch(shell.as_ref(), &path, &account).await;
            });
            self.watches
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(handle);
        }
    }

    async fn watch(&self, shell: &dyn Shell, path: &std::path::Path, account: &str) {
        let mailbox = match self.get(path, account).await {
            Ok(mailbox) => mailbox,
            Err(e) => {
                tracing::warn!(account, error = %e, "voicemail store not watched");
                return;
            }
        };
        let folder = "INBOX";
        let mut changes = Box::pin(mailbox.watch(folder));
        while let Some(change) = changes.next().await {
            report_to_engine(&self.engine, &mailbox, account, folder, &change).await;
            let offline = match &change {
                MailboxChange::Disconnected { reason } | MailboxChange::Stopped { reason } => {
                    Some(reason.clone())
                }
                MailboxChange::Connected { .. } => {
                    // Back online: replay what was journaled while the server was away.
                    match mailbox.sync().await {
                        Ok(report) if !report.dropped.is_empty() => {
                            tracing::warn!(account, dropped = ?report.dropped, "journal entries dropped");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(account, error = %e, "journal replay"),
                    }
                    None
                }
                _ => None,
            };
            shell.tell_window(HostEvent::Mailbox(MailboxUpdate {
                account: account.to_owned(),
                folder: folder.to_owned(),
                offline,
            }));
        }
    }
}

/// Tells the engine the INBOX's unheard counts (for lamps the store drives) and a new message's
/// caller and duration (for its notification).
async fn report_to_engine(
    engine: &crate::engine::EngineService,
    mailbox: &Mailbox,
    account: &str,
    folder: &str,
    change: &MailboxChange,
) {
    match change {
        MailboxChange::Disconnected { reason } => {
            engine.imap_report(account, ImapReport::Lost(reason.clone()));
            return;
        }
        MailboxChange::Stopped { reason } => {
            engine.imap_report(account, ImapReport::Refused(reason.clone()));
            return;
        }
        _ => {}
    }
    match mailbox.store().unseen_counts(folder).await {
        Ok(counts) => engine.imap_report(
            account,
            ImapReport::Counts {
                unseen: counts.unseen,
                urgent_unseen: counts.urgent_unseen,
            },
        ),
        Err(e) => engine.imap_report(account, ImapReport::Lost(e.to_string())),
    }
    if let MailboxChange::Added(id) = change
        && let Ok(messages) = mailbox.list(Some(folder)).await
        && let Some(message) = messages.iter().find(|m| m.id == *id)
        && !message.heard
    {
        engine.message_hint(MessageHint {
            account: account.to_owned(),
            mailbox: String::new(),
            message_id: format!("{folder}/{}", message.id),
            caller_number: message.caller_number.clone(),
            caller_name: message.caller_name.clone(),
            duration_s: message.duration_s,
            urgent: message.urgent,
        });
        // A click on its notification should play at once: decode it into the cache now.
        if let Err(e) = mailbox.fetch_wav(folder, message.id).await {
            tracing::debug!(account, error = %e, "new message not cached ahead");
        }
    }
}

/// The OS keyring when an account uses it, else a store that says why not.
fn secrets_for(config: &Config) -> Box<dyn SecretStore> {
    voicelamp_core::runtime::secret_store(config)
}

//! The answers to everything the window asks ([`Call`] → [`Reply`]): the lines, the settings
//! (accounts with their password in the OS keyring), the mailbox browser, start at login,
//! diagnostics. Each operation validates its input, calls core's rules and maps errors to words a
//! person can act on; the window's Tauri commands only forward to here.

pub mod mailbox;
pub mod settings;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::calls::dtmf_key;
use crate::engine::{CallCommand, EngineService};
use crate::mailboxes::Mailboxes;
use crate::navigation::PendingNavigation;
use crate::protocol::{Call, Reply};
use crate::sip_trace::SipTrace;
use voicelamp_core::CallCommand as CoreCall;

/// Name and versions of the running app, shown in Diagnostics and in bug reports.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub engine_version: String,
}

/// What answers the window.
#[derive(Debug, Clone)]
pub struct Backend {
    /// The engine.
    pub engine: EngineService,
    /// The voicemail stores.
    pub mailboxes: Mailboxes,
    /// Recent SIP messages.
    pub trace: SipTrace,
    /// Where a starting window goes first.
    pub pending: PendingNavigation,
    /// The program started at login (the tray process), with `--minimized`.
    pub login_program: std::path::PathBuf,
}

impl Backend {
    /// Answers `call`; `Err` is the reason in words.
    pub async fn handle(&self, call: Call) -> Result<Reply, String> {
        Ok(match call {
            Call::AppInfo => Reply::AppInfo(app_info()),
            Call::LinesView => Reply::Lines(self.engine.view()),
            Call::TakeNavigation => Reply::Navigation(self.pending.take()),
            Call::SettingsGet => Reply::Settings(settings::get(&self.engine)?),
            Call::AccountSave { change } => {
                settings::save_account(&self.engine, change).await?;
                Reply::Done
            }
            Call::AccountRemove { id } => {
                settings::remove(&self.engine, &id).await?;
                Reply::Done
            }
            Call::AccountTest { change } => {
                Reply::Check(settings::test(&self.engine, change).await?)
            }
            Call::NotificationsSave { form } => {
                settings::save_notifications(&self.engine, &form).await?;
                Reply::Done
            }
            Call::MailboxStores => Reply::Stores(mailbox::stores(&self.engine)?),
            Call::MailboxList { account, folder } => Reply::Messages(
                mailbox::list(&self.engine, &self.mailboxes, &account, folder.as_deref()).await?,
            ),
            Call::MailboxAudio {
                account,
                folder,
                id,
            } => Reply::Audio(
                mailbox::audio(&self.engine, &self.mailboxes, &account, &folder, &id).await?,
            ),
            Call::MailboxAudioChunk {
                account,
                folder,
                id,
                offset,
                len,
            } => Reply::AudioChunk(
                mailbox::audio_chunk(
                    &self.engine,
                    &self.mailboxes,
                    &account,
                    &folder,
                    &id,
                    offset,
                    len,
                )
                .await?,
            ),
            Call::MailboxAct {
                account,
                folder,
                id,
                action,
            } => Reply::Outcome(
                mailbox::act(
                    &self.engine,
                    &self.mailboxes,
                    &account,
                    &folder,
                    &id,
                    action,
                )
                .await?,
            ),
            Call::AutostartGet => Reply::Flag(
                self.autostart()?
                    .is_enabled()
                    .map_err(|e| format!("the login items cannot be read: {e}"))?,
            ),
            Call::AutostartSet { enabled } => Reply::Flag(self.set_autostart(enabled)?),
            Call::DiagnosticsReport => Reply::Text(self.report().await),
            Call::SipTrace => Reply::Trace(self.trace.recent()),
            Call::CallsView => Reply::Calls(self.engine.calls()),
            Call::CallStart { line, target } => {
                let target = target.trim().to_owned();
                if target.is_empty() {
                    return Err("type the number or address to call".to_owned());
                }
                self.call(CoreCall::Start { line, target }).await?
            }
            Call::CallVoicemail { line } => self.call(CoreCall::Voicemail { line }).await?,
            Call::CallHangUp => self.call(CoreCall::HangUp).await?,
            Call::CallAnswer => self.call(CoreCall::Answer).await?,
            Call::CallDecline => self.call(CoreCall::Decline).await?,
            Call::CallDtmf { digit } => {
                self.call(CoreCall::Dtmf {
                    digit: dtmf_key(&digit)?,
                })
                .await?
            }
            Call::CallMute { on } => self.call(CoreCall::Mute { on }).await?,
            Call::CallHold { on } => self.call(CoreCall::Hold { on }).await?,
            Call::CallVolume { percent } => {
                self.command(CallCommand::Volume(percent.min(100))).await?
            }
            Call::MissedClear => self.command(CallCommand::ClearMissed).await?,
        })
    }

    /// Does core's `command` to the call; `Done`, or why not in words.
    async fn call(&self, command: CoreCall) -> Result<Reply, String> {
        self.command(CallCommand::Call(command)).await
    }

    /// Does `command`; `Done`, or why not in words.
    async fn command(&self, command: CallCommand) -> Result<Reply, String> {
        self.engine.call(command).await.map(|()| Reply::Done)
    }

    /// A support report in words: versions, the configuration file, and every account's
    /// registration and subscriptions with what to fix. It holds no password (none is kept
    /// where the report is made) and no caller details.
    async fn report(&self) -> String {
        let accounts = self.engine.report().await;
        format!(
            "{} {} (engine {})\nconfiguration: {}\n\n{accounts}",
            voicelamp_core::PRODUCT_NAME,
            env!("CARGO_PKG_VERSION"),
            voicelamp_core::VERSION,
            self.engine.config_path().display(),
        )
    }

    fn autostart(&self) -> Result<auto_launch::AutoLaunch, String> {
        let program = std::env::var("APPIMAGE")
            .ok()
            .filter(|p| cfg!(target_os = "linux") && !p.is_empty())
            .unwrap_or_else(|| self.login_program.display().to_string());
        let mut builder = auto_launch::AutoLaunchBuilder::new();
        builder
            .set_app_name(voicelamp_core::PRODUCT_NAME)
            .set_app_path(&program)
            .set_args(&[crate::MINIMIZED_FLAG]);
        #[cfg(target_os = "macos")]
        builder.set_macos_launch_mode(auto_launch::MacOSLaunchMode::LaunchAgent);
        builder
            .build()
            .map_err(|e| format!("the login items cannot be used: {e}"))
    }

    /// Turns starting at login on or off; the state now in effect.
    fn set_autostart(&self, enabled: bool) -> Result<bool, String> {
        let launcher = self.autostart()?;
        let result = if enabled {
            launcher.enable()
        } else {
            launcher.disable()
        };
        result.map_err(|e| format!("the login item cannot be changed: {e}"))?;
        launcher
            .is_enabled()
            .map_err(|e| format!("the login items cannot be read: {e}"))
    }
}

/// Name and version of the running app and engine.
pub fn app_info() -> AppInfo {
    AppInfo {
        name: voicelamp_core::PRODUCT_NAME.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        engine_version: voicelamp_core::VERSION.to_owned(),
    }
}

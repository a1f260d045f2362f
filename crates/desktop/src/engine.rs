//! The engine of `voicelamp-core` running in the desktop app: one task owns the [`Engine`], and
//! every change it reports is published — at once, then at most every [`PUBLISH_EVERY`], so a
//! burst of NOTIFYs costs few redraws — to the tray lamp, the tray tooltip and menu, and the
//! window (the whole view, [`HostEvent::Lines`]).
//!
//! Commands reach the task through [`EngineService`]: the current view, reload after the
//! configuration changed, and a graceful shutdown (unsubscribe, unregister) when the app quits.

use crate::badge::Badge;
use crate::calls::CallsView;
use crate::mailboxes::Mailboxes;
use crate::notify::Notifier;
use crate::probe::TrayProbe;
use crate::protocol::HostEvent;
use crate::ringing::Ringing;
use crate::shell::Shell;
use crate::tray_menu::TrayMenu;
use crate::volume::Volume;

mod calls;
pub use calls::CallCommand;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use voicelamp_core::runtime::{Engine, ImapReport, secret_store};
use voicelamp_core::view::LinesView;
use voicelamp_core::{Config, ConfigError, EngineEvent, MessageHint, NotificationPolicy};

/// Changes closer together than this are published together.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(50);

/// The longest the app waits on quit for unsubscribing and unregistering.
pub const SHUTDOWN_LIMIT: Duration = Duration::from_secs(3);

/// The engine as the window sees it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct EngineView {
    /// Lines, accounts, totals.
    pub lines: LinesView,
    /// Why the configuration cannot be used, in words (file, line, field).
    pub config_error: Option<String>,
    /// The configuration file in use.
    pub config_path: String,
}

enum Control {
    Reload,
    /// The notification settings changed (the accounts restart only if they changed too).
    ReloadNotifications,
    Shutdown(oneshot::Sender<()>),
    /// An account's voicemail store reported counts or lost its server.
    Imap(String, ImapReport),
    /// A new message's details (its mailbox is filled in by the engine: the account's own).
    Hint(MessageHint),
    /// Every account's diagnosis in words, for a support report.
    Report(oneshot::Sender<String>),
    /// Something to do with a call; answered with why not, in words.
    Call(CallCommand, oneshot::Sender<Result<(), String>>),
}

/// The handle the rest of the app uses.
#[derive(Debug, Clone)]
pub struct EngineService {
    control: mpsc::UnboundedSender<Control>,
    view: Arc<Mutex<EngineView>>,
    calls: Arc<Mutex<CallsView>>,
    config_path: PathBuf,
    config_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Control::Reload => "Reload",
            Control::ReloadNotifications => "ReloadNotifications",
            Control::Shutdown(_) => "Shutdown",
            Control::Imap(..) => "Imap",
            Control::Hint(_) => "Hint",
            Control::Report(_) => "Report",
            Control::Call(..) => "Call",
        })
    }
}

impl EngineService {
    /// The service for the configuration at `config_path`, and the task to start once the app
    /// exists ([`EngineTask::start`]); commands can be answered (from the last view) before.
    pub fn new(config_path: PathBuf) -> (Self, EngineTask) {
        let (control, rx) = mpsc::unbounded_channel();
        let view = Arc::new(Mutex::new(EngineView {
            config_path: config_path.display().to_string(),
            ..EngineView::default()
        }));
        let calls = Arc::new(Mutex::new(CallsView::default()));
        let config_lock = Arc::default();
        let task = EngineTask {
            view: view.clone(),
            calls: calls.clone(),
            config_path: config_path.clone(),
            control: rx,
            sender: control.downgrade(),
            config_lock: Arc::clone(&config_lock),
        };
        let service = Self {
            control,
            view,
            calls,
            config_path,
            config_lock,
        };
        (service, task)
    }

    /// Held while the configuration file is read, changed and written.
    pub async fn config_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.config_lock.lock().await
    }

    /// The current view.
    pub fn view(&self) -> EngineView {
        self.view
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The call in progress and the missed calls.
    pub fn calls(&self) -> CallsView {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Does `command` to the call; why not, in words.
    pub async fn call(&self, command: CallCommand) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.control
            .send(Control::Call(command, reply))
            .map_err(|_| "Voicelamp's engine is not running; restart Voicelamp".to_owned())?;
        answer
            .await
            .unwrap_or_else(|_| Err("the engine did not answer; try again".to_owned()))
    }

    /// The configuration file in use.
    pub fn config_path(&self) -> &std::path::Path {
        &self.config_path
    }

    /// What an account's voicemail store reported, for the lamps it drives.
    pub fn imap_report(&self, account: &str, report: ImapReport) {
        let _ = self.control.send(Control::Imap(account.to_owned(), report));
    }

    /// Details of a new message for its notification (caller, duration).
    pub fn message_hint(&self, hint: MessageHint) {
        let _ = self.control.send(Control::Hint(hint));
    }

    /// Every running account's diagnosis in words (registration, subscriptions, what to fix).
    pub async fn report(&self) -> String {
        let (reply, answer) = oneshot::channel();
        if self.control.send(Control::Report(reply)).is_err() {
            return "The engine is not running.\n".to_owned();
        }
        answer
            .await
            .unwrap_or_else(|_| "The engine did not answer.\n".to_owned())
    }

    /// Reads the configuration again and restarts the accounts (an account or its password
    /// changed: a password in the keyring leaves the file as it was).
    pub fn reload(&self) {
        let _ = self.control.send(Control::Reload);
    }

    /// Reads the configuration again after the notification settings changed: applied to the
    /// running lines, which restart only if their accounts changed in the file too.
    pub fn reload_notifications(&self) {
        let _ = self.control.send(Control::ReloadNotifications);
    }

    /// Unsubscribes and unregisters every account; returns when done or after `limit`.
    pub async fn shutdown(&self, limit: Duration) {
        let (done, wait) = oneshot::channel();
        if self.control.send(Control::Shutdown(done)).is_ok() {
            let _ = tokio::time::timeout(limit, wait).await;
        }
    }
}

/// The engine's task, not started yet.
#[derive(Debug)]
pub struct EngineTask {
    view: Arc<Mutex<EngineView>>,
    calls: Arc<Mutex<CallsView>>,
    config_path: PathBuf,
    control: mpsc::UnboundedReceiver<Control>,
    /// The task's own door, weak: it does not keep the task running.
    sender: mpsc::WeakUnboundedSender<Control>,
    config_lock: Arc<tokio::sync::Mutex<()>>,
}

impl EngineTask {
    /// Starts the engine on the current Tokio runtime, publishing to `shell` (and `probe`) and
    /// (re)starting `mailboxes` with each configuration.
    pub fn start(self, shell: Arc<dyn Shell>, mailboxes: Mailboxes, probe: Arc<TrayProbe>) {
        let task = Task {
            shell,
            mailboxes,
            probe,
            view: self.view,
            calls: self.calls,
            config_path: self.config_path,
            control: self.sender,
            config_lock: self.config_lock,
            volume: Volume::default(),
            ringing: Ringing::default(),
            ringer_device: None,
            stores: Default::default(),
            shown: None,
            notifier: Notifier::default(),
            last_publish: None,
            policy: None,
        };
        tokio::spawn(task.run(self.control));
    }
}

/// The configuration file: `--config PATH`, else `VOICELAMP_CONFIG`, else the OS default.
pub fn config_path_from(args: &[String]) -> Result<PathBuf, ConfigError> {
    if let Some(i) = args.iter().position(|a| a == "--config")
        && let Some(path) = args.get(i + 1)
    {
        return Ok(PathBuf::from(path));
    }
    if let Some(path) = std::env::var_os("VOICELAMP_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    Config::default_path()
}

/// Reads the configuration; a missing file is an empty one (a first start).
pub fn load_config(path: &std::path::Path) -> Result<Config, ConfigError> {
    match Config::load(path) {
        Err(ConfigError::NotFound { .. }) => Ok(Config::default()),
        other => other,
    }
}

struct Task {
    shell: Arc<dyn Shell>,
    mailboxes: Mailboxes,
    probe: Arc<TrayProbe>,
    view: Arc<Mutex<EngineView>>,
    calls: Arc<Mutex<CallsView>>,
    config_path: PathBuf,
    control: mpsc::WeakUnboundedSender<Control>,
    config_lock: Arc<tokio::sync::Mutex<()>>,
    /// The far end's volume, applied to each call's sound.
    volume: Volume,
    /// The incoming call ringing here.
    ringing: Ringing,
    /// `[audio] ringer` of the configuration in use.
    ringer_device: Option<String>,
    /// The accounts with a voicemail store (their notifications' "Listen" plays).
    stores: std::collections::HashSet<String>,
    /// What the tray shows now.
    shown: Option<(Badge, String, TrayMenu)>,
    notifier: Notifier,
    last_publish: Option<tokio::time::Instant>,
    /// The notification policy, kept when the accounts restart after a Settings save (what the
    /// lines already announced is not announced again).
    policy: Option<NotificationPolicy>,
}

enum After {
    Reload,
    Stop(Option<oneshot::Sender<()>>),
}

impl Task {
    async fn run(mut self, mut control: mpsc::UnboundedReceiver<Control>) {
        loop {
            let after = match load_config(&self.config_path) {
                Ok(config) => self.serve(config, &mut control).await,
                Err(e) => {
                    tracing::error!(error = %e, "configuration");
                    self.publish(LinesView::default(), Some(e.to_string()));
                    wait_for_control(&mut control).await
                }
            };
            match after {
                After::Reload => continue,
                After::Stop(done) => {
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                    return;
                }
            }
        }
    }

    /// Runs the accounts of `config` until a reload, or the end. A reload of the notification
    /// settings that leaves the accounts as they were applies them here, without restarting
    /// anything: no line is unregistered, the tray does not change, nothing is announced again.
    async fn serve(
        &mut self,
        mut config: Config,
        control: &mut mpsc::UnboundedReceiver<Control>,
    ) -> After {
        self.ringer_device.clone_from(&config.audio.ringer);
        self.stores = config
            .accounts
            .iter()
            .filter(|a| a.voicemail.is_some())
            .map(|a| a.id.clone())
            .collect();
        self.mailboxes
            .restart(&self.shell, &config, self.config_path.clone())
            .await;
        let secrets = secret_store(&config);
        let user_agent = format!("Voicelamp/{}", env!("CARGO_PKG_VERSION"));
        let (mut engine, _early) = match Engine::start(&config, None, secrets.as_ref(), &user_agent)
        {
            Ok(started) => started,
            Err(e) => {
                self.publish(LinesView::default(), Some(e.to_string()));
                return wait_for_control(control).await;
            }
        };
        self.publish(engine.view(), None);
        let mut policy = match self.policy.take() {
            Some(mut kept) => {
                kept.reconfigure(std::time::Instant::now(), &config);
                kept
            }
            None => NotificationPolicy::for_config(&config),
        };
        policy.name_lines(&engine.model);
        let mut due: Option<tokio::time::Instant> = None;
        loop {
            let notify_at = policy.poll_timeout().map(tokio::time::Instant::from_std);
            tokio::select! {
                message = control.recv() => {
                    let after = match message {
                        Some(Control::Reload) => After::Reload,
                        Some(Control::ReloadNotifications) => match load_config(&self.config_path) {
                            Ok(next) if next.accounts == config.accounts => {
                                policy.reconfigure(std::time::Instant::now(), &next);
                                config = next;
                                tracing::info!("notification settings applied");
                                self.notify(&mut policy);
                                continue;
                            }
                            _ => After::Reload,
                        },
                        Some(Control::Shutdown(done)) => After::Stop(Some(done)),
                        None => After::Stop(None),
                        Some(Control::Imap(account, report)) => {
                            let changes = engine.apply_imap(&account, &report);
                            self.changed(&changes, &mut policy, &mut due);
                            continue;
                        }
                        Some(Control::Hint(mut hint)) => {
                            if let Some(own) = engine.own_mailbox(&hint.account) {
                                hint.mailbox = own;
                                policy.handle_hint(std::time::Instant::now(), hint);
                            }
                            continue;
                        }
                        Some(Control::Report(reply)) => {
                            let _ = reply.send(engine.report());
                            continue;
                        }
                        Some(Control::Call(command, reply)) => {
                            let result = self.call(&mut engine, command).await;
                            let changes = match result {
                                Ok(changes) => {
                                    let _ = reply.send(Ok(()));
                                    changes
                                }
                                Err(reason) => {
                                    let _ = reply.send(Err(reason));
                                    Vec::new()
                                }
                            };
                            self.changed(&changes, &mut policy, &mut due);
                            continue;
                        }
                    };
                    engine.shutdown().await;
                    self.publish(engine.view(), None);
                    self.policy = Some(policy);
                    return after;
                }
                changes = engine.next() => match changes {
                    Some(changes) => self.changed(&changes, &mut policy, &mut due),
                    None => {
                        tracing::error!("the network driver stopped");
                        return wait_for_control(control).await;
                    }
                },
                () = sleep_until(due) => {
                    due = None;
                    self.publish(engine.view(), None);
                }
                () = sleep_until(notify_at) => self.notify(&mut policy),
            }
        }
    }

    /// Feeds `changes` to the policy and schedules a publish.
    fn changed(
        &mut self,
        changes: &[EngineEvent],
        policy: &mut NotificationPolicy,
        due: &mut Option<tokio::time::Instant>,
    ) {
        let now = std::time::Instant::now();
        for change in changes {
            tracing::debug!(event = %change.to_json_line(), "engine");
            policy.handle_event(now, change);
        }
        self.call_events(changes);
        self.notify(policy);
        if !changes.is_empty() && due.is_none() {
            // The first change shows at once; more within PUBLISH_EVERY of a publish wait for
            // the next one.
            let now = tokio::time::Instant::now();
            let earliest = self.last_publish.map_or(now, |last| last + PUBLISH_EVERY);
            *due = Some(earliest.max(now));
        }
    }

    /// Shows what the policy has due and closes what it withdrew.
    fn notify(&mut self, policy: &mut NotificationPolicy) {
        let now = std::time::Instant::now();
        let minute = local_minute_of_day();
        while let Some(notification) = policy.poll_notification(now, minute) {
            self.probe.notified(&notification);
            let store = notification
                .target
                .as_ref()
                .is_some_and(|t| self.stores.contains(&t.account));
            let actions = crate::notify::Actions {
                store,
                engine: self.service(),
            };
            self.notifier.show(&self.shell, notification, actions);
        }
        while let Some(id) = policy.poll_withdrawal() {
            self.notifier.withdraw(&id);
        }
    }

    /// Shows `lines` in the tray and the window.
    fn publish(&mut self, lines: LinesView, config_error: Option<String>) {
        self.last_publish = Some(tokio::time::Instant::now());
        self.show_tray(&lines, config_error.as_deref());
        let view = {
            let mut current = self.view.lock().unwrap_or_else(PoisonError::into_inner);
            current.lines = lines;
            current.config_error = config_error;
            current.clone()
        };
        self.shell.tell_window(HostEvent::Lines(view));
    }
}

/// Minutes since local midnight, for quiet hours.
fn local_minute_of_day() -> u16 {
    use chrono::Timelike as _;
    let now = chrono::Local::now();
    u16::try_from(now.hour() * 60 + now.minute()).unwrap_or(0)
}

async fn wait_for_control(control: &mut mpsc::UnboundedReceiver<Control>) -> After {
    loop {
        match control.recv().await {
            Some(Control::Reload | Control::ReloadNotifications) => return After::Reload,
            Some(Control::Shutdown(done)) => return After::Stop(Some(done)),
            None => return After::Stop(None),
            Some(Control::Report(reply)) => {
                let _ = reply.send("No account is running.\n".to_owned());
            }
            Some(Control::Call(_, reply)) => {
                let _ = reply.send(Err(
                    "no account is running: add one in Settings, or correct the configuration"
                        .to_owned(),
                ));
            }
            Some(Control::Imap(..) | Control::Hint(_)) => {}
        }
    }
}

async fn sleep_until(due: Option<tokio::time::Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_path_flag_wins() {
        let args = vec!["voicelamp".to_owned(), "--config".into(), "x.toml".into()];
        assert_eq!(
            config_path_from(&args).expect("path"),
            PathBuf::from("x.toml")
        );
    }

    #[test]
    fn a_missing_file_is_a_first_start() {
        let dir = std::env::temp_dir().join("voicelamp-no-such-dir-for-test");
        let config = load_config(&dir.join("config.toml")).expect("empty");
        assert!(config.accounts.is_empty());
    }
}

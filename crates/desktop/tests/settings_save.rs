//! A Settings save while messages wait, through the real engine task and the lab's Kamailio:
//! saving the notification settings the way the Settings page does (`save_notifications`:
//! write the file, reload) leaves the lines registered, the tray unchanged, and announces nothing
//! again; the next real message is announced as news.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use voicelamp_core::settings::PrivacyForm;
use voicelamp_desktop::backend::settings;
use voicelamp_desktop::badge::Badge;
use voicelamp_desktop::engine::EngineService;
use voicelamp_desktop::mailboxes::Mailboxes;
use voicelamp_desktop::navigation::Navigation;
use voicelamp_desktop::probe::TrayProbe;
use voicelamp_desktop::protocol::HostEvent;
use voicelamp_desktop::shell::Shell;
use voicelamp_desktop::tray_menu::TrayMenu;

const USER: &str = "1023";
const DEADLINE: Duration = Duration::from_secs(30);

/// A desktop with no window: the tray is read through the probe.
struct NoWindow;

impl Shell for NoWindow {
    fn show_tray(&self, _: &Badge, _: &str, _: &TrayMenu) {}
    fn tell_window(&self, _: HostEvent) {}
    fn navigate(&self, _: Navigation) {}
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn publish(new: u32, urgent: u32) {
    let output = tokio::process::Command::new(repo_root().join("tests/lab/publish-mwi"))
        .args(["--user", USER, "--new", &new.to_string()])
        .args(["--old", "0", "--urgent-new", &urgent.to_string()])
        .output()
        .await
        .expect("run tests/lab/publish-mwi");
    assert!(
        output.status.success(),
        "publish-mwi failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn write_config(path: &Path) {
    let host = var("LAB_SIP_HOST", "127.0.0.1");
    let port = var("LAB_SIP_UDP_PORT", "35060");
    let domain = var("LAB_SIP_DOMAIN", "127.0.0.1");
    let text = format!(
        "# Written by the settings-save test.\n\
         [notifications]\n\
         privacy = \"caller\"\n\
         urgent_reminder_minutes = 15\n\
         coalesce_seconds = 1\n\
         \n\
         [[accounts]]\n\
         id = \"desk\"\n\
         aor = \"sip:{USER}@{domain}\"\n\
         registrar = \"sip:{host}:{port}\"\n\
         password_file = \"password\"\n"
    );
    std::fs::write(path, text).expect("write the configuration");
    let secret = path.with_file_name("password");
    std::fs::write(&secret, format!("pw-{USER}\n")).expect("write the password");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("mode");
}

/// Waits (bounded) until `done` holds for the probe.
async fn until(probe: &TrayProbe, what: &str, done: impl Fn(&TrayProbe) -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !done(probe) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {what} within {DEADLINE:?}: tray {:?}, notifications {:?}",
            probe.last(),
            probe.notifications()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn shows(probe: &TrayProbe, new: u32) -> bool {
    probe
        .last()
        .is_some_and(|t| t.new == new && !t.not_known && t.urgent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_settings_save_while_messages_wait_changes_nothing_on_the_lines() {
    publish(2, 1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    write_config(&path);

    let (engine, task) = EngineService::new(path.clone());
    let probe = Arc::new(TrayProbe::new(None));
    let shell: Arc<dyn Shell> = Arc::new(NoWindow);
    task.start(shell, Mailboxes::new(engine.clone()), probe.clone());

    until(&probe, "lit lamp with 2 messages", |p| shows(p, 2)).await;
    until(&probe, "startup summary", |p| {
        p.notifications().iter().any(|n| n.starts_with("Waiting"))
    })
    .await;
    let changes = probe.changes();
    let announced = probe.notifications();

    // The Settings page's save: only the privacy changes.
    let mut form = settings::get(&engine).expect("settings").notifications;
    assert_eq!(form.privacy, PrivacyForm::Caller);
    form.privacy = PrivacyForm::CountOnly;
    settings::save_notifications(&engine, &form)
        .await
        .expect("saved");
    let written = std::fs::read_to_string(&path).expect("config");
    assert!(
        written.contains("count_only") || written.contains("count-only"),
        "{written}"
    );
    assert!(
        written.starts_with("# Written by the settings-save test."),
        "{written}"
    );
    // The engine answers in order: once it reports, the reload has been handled.
    let report = engine.report().await;
    assert!(report.contains("desk"), "{report}");
    assert_eq!(
        probe.changes(),
        changes,
        "the tray changed on a save: {:?}",
        probe.last()
    );
    assert!(shows(&probe, 2));

    // The next real message is news (and only news): nothing waiting was announced again.
    publish(3, 1).await;
    until(&probe, "lit lamp with 3 messages", |p| shows(p, 3)).await;
    until(&probe, "news of the third message", |p| {
        p.notifications().len() > announced.len()
    })
    .await;
    let after: Vec<String> = probe.notifications()[announced.len()..].to_vec();
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(after[0].starts_with("NewMessages"), "{after:?}");
    engine.shutdown(Duration::from_secs(3)).await;
}

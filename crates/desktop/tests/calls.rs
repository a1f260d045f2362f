//! Calls through the real `Backend` and engine task, as the window asks them: words for what
//! cannot be done, the volume kept within 0–100 % and sent to the window, the missed calls
//! cleared, the tray's voicemail rows for each line and its tooltip; no network needed.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use voicelamp_desktop::backend::Backend;
use voicelamp_desktop::badge::Badge;
use voicelamp_desktop::engine::EngineService;
use voicelamp_desktop::mailboxes::Mailboxes;
use voicelamp_desktop::navigation::{Navigation, PendingNavigation};
use voicelamp_desktop::probe::TrayProbe;
use voicelamp_desktop::protocol::{Call, HostEvent, Reply};
use voicelamp_desktop::shell::Shell;
use voicelamp_desktop::tray_menu::TrayMenu;

const DEADLINE: Duration = Duration::from_secs(20);

/// A desktop that keeps what the window is told and what the tray menu shows.
#[derive(Default)]
struct Recorder {
    told: Mutex<Vec<HostEvent>>,
    menus: Mutex<Vec<TrayMenu>>,
}

impl Shell for Recorder {
    fn show_tray(&self, _: &Badge, _: &str, menu: &TrayMenu) {
        self.menus.lock().expect("lock").push(menu.clone());
    }
    fn tell_window(&self, event: HostEvent) {
        self.told.lock().expect("lock").push(event);
    }
    fn navigate(&self, _: Navigation) {}
}

fn backend(config: &Path) -> (Backend, Arc<Recorder>, Arc<TrayProbe>) {
    let (engine, task) = EngineService::new(config.to_owned());
    let recorder = Arc::new(Recorder::default());
    let probe = Arc::new(TrayProbe::new(None));
    let mailboxes = Mailboxes::new(engine.clone());
    task.start(recorder.clone(), mailboxes.clone(), probe.clone());
    let backend = Backend {
        engine,
        mailboxes,
        trace: Default::default(),
        pending: PendingNavigation::default(),
        login_program: "voicelamp".into(),
    };
    (backend, recorder, probe)
}

async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {what} within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A line that never registers (a port nobody listens on, subscribe only) with a voicemail code.
fn write_config(path: &Path) {
    std::fs::write(
        path,
        "[[accounts]]\n\
         id = \"desk\"\n\
         display_name = \"Front desk\"\n\
         aor = \"sip:1001@127.0.0.1\"\n\
         registrar = \"sip:127.0.0.1:9\"\n\
         register = false\n\
         voicemail_access_code = \"*97\"\n\
         password_file = \"password\"\n",
    )
    .expect("write the configuration");
    let secret = path.with_file_name("password");
    std::fs::write(&secret, "not-used\n").expect("write the password");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("mode");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_asks_and_is_answered_in_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    write_config(&config);
    let (backend, recorder, probe) = backend(&config);
    until("the line in the tray", || {
        probe.last().is_some_and(|t| t.rows.len() == 1)
    })
    .await;

    match backend.handle(Call::CallsView).await {
        Ok(Reply::Calls(view)) => {
            assert!(view.call.is_none());
            assert!(view.missed.is_empty());
            assert_eq!(view.volume, 100);
        }
        other => panic!("calls view: {other:?}"),
    }

    // What cannot be dialled or sent is refused in words, before anything is tried.
    let empty = backend
        .handle(Call::CallStart {
            line: "desk".into(),
            target: "  ".into(),
        })
        .await
        .expect_err("nothing to dial");
    assert!(empty.contains("number"), "{empty}");
    let key = backend
        .handle(Call::CallDtmf { digit: "x".into() })
        .await
        .expect_err("not a key");
    assert!(key.contains("keypad"), "{key}");

    // The engine's refusals come back in its words.
    let nobody = backend
        .handle(Call::CallVoicemail {
            line: "nobody".into(),
        })
        .await
        .expect_err("no such line");
    assert!(nobody.contains("no line"), "{nobody}");

    // No call: hanging up or answering says so in words (never a Debug dump).
    for call in [Call::CallHangUp, Call::CallAnswer, Call::CallDecline] {
        let reason = backend.handle(call).await.expect_err("no call");
        assert!(!reason.is_empty() && !reason.contains('{'), "{reason}");
    }

    // The volume is kept within 0–100 % and the window is told.
    assert!(matches!(
        backend.handle(Call::CallVolume { percent: 250 }).await,
        Ok(Reply::Done)
    ));
    until("the volume told to the window", || {
        recorder
            .told
            .lock()
            .expect("lock")
            .iter()
            .any(|e| matches!(e, HostEvent::Call(view) if view.volume == 100))
    })
    .await;
    assert!(matches!(
        backend.handle(Call::CallVolume { percent: 40 }).await,
        Ok(Reply::Done)
    ));
    match backend.handle(Call::CallsView).await {
        Ok(Reply::Calls(view)) => assert_eq!(view.volume, 40),
        other => panic!("calls view: {other:?}"),
    }
    assert!(matches!(
        backend.handle(Call::MissedClear).await,
        Ok(Reply::Done)
    ));

    // The tray menu has the line's voicemail row; no call, so no Hang up.
    let menu = recorder
        .menus
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a menu");
    assert_eq!(menu.voicemail, ["Call voicemail — Front desk"]);
    assert!(menu.call.is_none());
    assert!(!menu.labels().iter().any(|l| l == "Hang up"));

    backend.engine.shutdown(Duration::from_secs(3)).await;
}

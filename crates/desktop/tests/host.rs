//! The Linux tray process over its real socket: a window connects and asks, a second launch hands
//! its link over (and the window is told where to go), a message that cannot be read ends only
//! its own connection, and the single instance holds while it runs.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use voicelamp_desktop::AppOptions;
use voicelamp_desktop::client::HostClient;
use voicelamp_desktop::host::{Paths, serve};
use voicelamp_desktop::navigation::ViewId;
use voicelamp_desktop::protocol::{Call, HostEvent, Reply};

const DEADLINE: Duration = Duration::from_secs(20);

fn options(dir: &Path) -> AppOptions {
    AppOptions {
        open_window: false,
        config_path: dir.join("config.toml"),
        tray_probe: None,
        navigation: None,
        sip_trace: Default::default(),
    }
}

async fn wait_for_socket(paths: &Paths) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while tokio::net::UnixStream::connect(&paths.socket)
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the tray process never listened"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_asks_and_a_second_launch_hands_its_link_over() {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = Paths::in_dir(dir.path().join("run"));
    let running = tokio::spawn(serve(
        options(dir.path()),
        paths.clone(),
        vec!["voicelamp".into(), "--minimized".into()],
    ));
    wait_for_socket(&paths).await;

    let (client, mut events) = HostClient::connect(&paths.socket)
        .await
        .expect("the window connects");
    match client.call(Call::AppInfo).await {
        Ok(Reply::AppInfo(info)) => assert_eq!(info.name, "Voicelamp"),
        other => panic!("app info: {other:?}"),
    }
    match client.call(Call::SettingsGet).await {
        Ok(Reply::Settings(settings)) => assert!(settings.accounts.is_empty()),
        other => panic!("settings: {other:?}"),
    }
    // Bad input gets an answer in words, not a dropped connection.
    match client
        .call(Call::MailboxList {
            account: "nobody".into(),
            folder: None,
        })
        .await
    {
        Err(reason) => assert!(!reason.is_empty()),
        other => panic!("an unknown account must be refused: {other:?}"),
    }

    // A second launch while this one runs: it hands over its link and exits 0.
    let second = serve(
        options(dir.path()),
        paths.clone(),
        vec!["voicelamp".into(), "tel:+1-555-0100".into()],
    )
    .await;
    assert_eq!(second, 0, "the second launch handed over");
    let navigation = tokio::time::timeout(DEADLINE, async {
        loop {
            match events.recv().await {
                Some(HostEvent::Navigate(navigation)) => return navigation,
                Some(_) => continue,
                None => panic!("the tray process went away"),
            }
        }
    })
    .await
    .expect("the window is told where to go");
    assert_eq!(navigation.view, ViewId::Lines);
    assert_eq!(navigation.dial.as_deref(), Some("+1-555-0100"));

    // Garbage from some other local program ends its connection, not the tray process.
    let mut stranger = tokio::net::UnixStream::connect(&paths.socket)
        .await
        .expect("connect");
    stranger
        .write_all(b"{ this is not a message }\n")
        .await
        .expect("write");
    drop(stranger);
    match client.call(Call::LinesView).await {
        Ok(Reply::Lines(view)) => assert!(view.lines.lines.is_empty()),
        other => panic!("lines: {other:?}"),
    }
    assert!(!running.is_finished(), "the tray process keeps running");
    running.abort();
}

/// A uid that is not this process's (the running user's folder must be refused when another
/// user owns it).
fn someone_else() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    let status = std::fs::read_to_string("/proc/self/status").expect("process status");
    let euid: u32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse().ok())
        .expect("effective uid");
    let root = std::fs::metadata("/").expect("root folder").uid();
    if euid == root { 65534 } else { root }
}

/// The folder of the lock and socket is refused (exit code 1, nothing created in it) unless it
/// is a real folder of this user's with mode 0700: another user's folder in the shared temporary
/// folder, a symlink planted there, or a folder others may enter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsafe_private_folder_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("temp dir");

    // A symlink to a folder of the attacker's choosing.
    let target = dir.path().join("elsewhere");
    std::fs::create_dir(&target).expect("target");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700)).expect("mode");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let code = serve(options(dir.path()), Paths::in_dir(link), vec![]).await;
    assert_eq!(code, 1, "a symlinked folder must be refused");
    assert!(
        std::fs::read_dir(&target).expect("target").next().is_none(),
        "nothing may be created through the symlink"
    );

    // A folder others may enter.
    let open = dir.path().join("open");
    std::fs::create_dir(&open).expect("open");
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).expect("mode");
    let code = serve(options(dir.path()), Paths::in_dir(open.clone()), vec![]).await;
    assert_eq!(code, 1, "a folder with mode 0755 must be refused");
    assert!(std::fs::read_dir(&open).expect("open").next().is_none());

    // Another user's folder (as root: one given to nobody; otherwise one root owns).
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("other");
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o700)).expect("mode");
    let uid = someone_else();
    let foreign = if std::os::unix::fs::chown(&other, Some(uid), None).is_ok() {
        other
    } else {
        // Not root: the filesystem's root folder belongs to someone else.
        std::path::PathBuf::from("/")
    };
    let code = serve(options(dir.path()), Paths::in_dir(foreign.clone()), vec![]).await;
    assert_eq!(
        code,
        1,
        "{} is another user's and must be refused",
        foreign.display()
    );
    assert!(!foreign.join("host.sock").exists());

    // A folder that does not exist yet is made private.
    let fresh = dir.path().join("fresh");
    let paths = Paths::in_dir(fresh.clone());
    let running = tokio::spawn(serve(
        options(dir.path()),
        paths.clone(),
        vec!["voicelamp".into(), "--minimized".into()],
    ));
    wait_for_socket(&paths).await;
    let mode = std::fs::symlink_metadata(&fresh)
        .expect("fresh")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    running.abort();
}

/// A window that asks and never reads its answers: the tray process stops reading from it once
/// a bounded number of answers wait (its queue and the socket's buffers), instead of queueing
/// answers without end; and once it reads again, it is answered and the tray still serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_that_does_not_read_cannot_grow_the_tray() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncBufReadExt as _;
    use voicelamp_desktop::protocol::{ToHost, encode};

    /// Far more calls than the socket's buffers hold (about 60 bytes each).
    const CALLS: usize = 200_000;
    /// Calls the tray may take before it stops reading: its queue, the calls in flight, and
    /// the kernel's buffers of both directions (a few hundred kilobytes each).
    const BOUND: usize = 20_000;

    let dir = tempfile::tempdir().expect("temp dir");
    let paths = Paths::in_dir(dir.path().join("run"));
    let running = tokio::spawn(serve(
        options(dir.path()),
        paths.clone(),
        vec!["voicelamp".into(), "--minimized".into()],
    ));
    wait_for_socket(&paths).await;

    let stream = tokio::net::UnixStream::connect(&paths.socket)
        .await
        .expect("connect");
    let (read, mut write) = stream.into_split();
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let written = written.clone();
        tokio::spawn(async move {
            write
                .write_all(&encode(&ToHost::Window))
                .await
                .expect("hello");
            let call = |id: u64| {
                encode(&ToHost::Call {
                    id,
                    call: Box::new(Call::LinesView),
                })
            };
            for id in 0..CALLS as u64 {
                write.write_all(&call(id)).await.expect("call");
                written.fetch_add(1, Ordering::SeqCst);
            }
            // Kept open: a window that closes its side has gone, and its answers with it.
            write
        })
    };

    // Wait until the writes stop advancing (the tray no longer reads) or all went through.
    let mut last = usize::MAX;
    let mut still = 0;
    while !writer.is_finished() && still < 20 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = written.load(Ordering::SeqCst);
        if now == last {
            still += 1;
        } else {
            still = 0;
            last = now;
        }
    }
    let taken = written.load(Ordering::SeqCst);
    eprintln!("the tray took {taken} of {CALLS} calls before it stopped reading");
    assert!(
        taken < BOUND,
        "the tray took {taken} calls from a window that reads none of its answers (bound {BOUND})"
    );

    // The window reads again: its answers come, and the tray still serves the rest.
    let mut read = tokio::io::BufReader::new(read);
    let mut line = String::new();
    let mut answers = 0usize;
    tokio::time::timeout(DEADLINE * 6, async {
        while answers < CALLS {
            line.clear();
            if read.read_line(&mut line).await.expect("read") == 0 {
                break;
            }
            if line.contains("\"reply\"") {
                answers += 1;
            }
        }
    })
    .await
    .expect("every call is answered once the window reads");
    assert_eq!(answers, CALLS, "every call is answered");
    let _write = writer.await.expect("every call was written");
    assert!(!running.is_finished(), "the tray process keeps running");
    running.abort();
}

//! `voicelamp --version` prints the workspace version and the revision it was built from, and
//! starts nothing: no tray, no window, no hand-over to a running instance.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn version_is_printed_without_starting_the_tray() {
    for flag in ["--version", "-V"] {
        let runtime = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_voicelamp"))
            .args(["--minimized", flag])
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("VOICELAMP_CONFIG", runtime.path().join("config.toml"))
            // A window program that would fail loudly if it were started.
            .env("VOICELAMP_WINDOW_PROGRAM", "/nonexistent/voicelamp-window")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("`voicelamp {flag}` did not exit: it started the app");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let output = child.wait_with_output().unwrap();
        assert!(status.success(), "{flag}: {status:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(
            stdout,
            format!("{}\n", voicelamp_version::line("voicelamp"))
        );
        assert!(
            stdout.starts_with(&format!("voicelamp {}", env!("CARGO_PKG_VERSION"))),
            "{stdout}"
        );
        let left: Vec<_> = std::fs::read_dir(runtime.path()).unwrap().collect();
        assert!(left.is_empty(), "it made {left:?} in the runtime folder");
    }
}

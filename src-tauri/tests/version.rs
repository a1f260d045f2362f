//! `voicelamp-window --version` prints the workspace version and the revision it was built from,
//! whether or not the tray process started it, and starts nothing (it would otherwise become
//! `voicelamp` or connect to the tray process).

use std::process::Command;

#[test]
fn version_is_printed_without_becoming_the_tray_or_opening_a_window() {
    for started_by_tray in [false, true] {
        let runtime = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_voicelamp-window"));
        command
            .arg("--version")
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        if started_by_tray {
            command.env(voicelamp_desktop::host::STARTED_BY_TRAY_ENV, "1");
        } else {
            command.env_remove(voicelamp_desktop::host::STARTED_BY_TRAY_ENV);
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(
            stdout,
            format!("{}\n", voicelamp_version::line("voicelamp-window"))
        );
        assert!(
            stdout.starts_with(&format!("voicelamp-window {}", env!("CARGO_PKG_VERSION"))),
            "{stdout}"
        );
        let left: Vec<_> = std::fs::read_dir(runtime.path()).unwrap().collect();
        assert!(left.is_empty(), "it made {left:?} in the runtime folder");
    }
}

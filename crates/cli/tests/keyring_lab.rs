//! The built `voicelamp-cli` reading an account's password from the OS keyring (the default
//! password source) and registering with it at the real lab: the Secret Service on Linux (run in
//! `tests/with-keyring` by `scripts/test`), the Credential Manager when the test runs as a Windows
//! program (`scripts/check-targets`, under Wine).
#![cfg(any(target_os = "linux", windows))]

use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;
use voicelamp_core::secrets::{KeyringStore, Secret, SecretStore};

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::test]
#[ignore = "needs the lab and an unlocked keyring: scripts/test runs it, or tests/lab/lab start then tests/with-keyring cargo test -- --include-ignored"]
async fn check_registers_with_the_password_in_the_os_keyring() {
    let host = var("LAB_SIP_HOST", "127.0.0.1");
    let port = var("LAB_SIP_TCP_PORT", "35060");
    let domain = var("LAB_SIP_DOMAIN", "127.0.0.1");
    let addr = format!("{host}:{port}")
        .parse()
        .expect("LAB_SIP_HOST is an IP address");
    if std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
        panic!(
            "the lab's Kamailio does not answer on {addr}: start it with \
             `tests/lab/lab start --expires 10` and `eval \"$(tests/lab/lab env)\"`"
        );
    }
    let user = "1019";
    // The account id is the keyring key: one of its own, so no other test's entry is touched.
    let id = "keyring-lab-line";
    let store = KeyringStore::open().expect("the OS keyring can be opened");
    store
        .set(id, &Secret::from(format!("pw-{user}").as_str()))
        .expect("store the password");

    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    // No password_env or password_file: the keyring is the account's password source.
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nid = \"{id}\"\naor = \"sip:{user}@{domain}\"\n\
             registrar = \"sip:{host}:{port};transport=tcp\"\n"
        ),
    )
    .expect("write config");
    let check = |wait: &'static str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_voicelamp-cli"));
        command
            .arg("--config")
            .arg(&config)
            .args(["check", id, "--wait", wait])
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        command
    };
    let output = check("10").output().await.expect("run the CLI");
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert!(report.contains("registration: registered"), "{report}");

    // A wrong password in the keyring is refused by the server: the password really came from it.
    store
        .set(id, &Secret::from("not the password"))
        .expect("replace the password");
    let output = check("10").output().await.expect("run the CLI");
    let report = String::from_utf8_lossy(&output.stdout);
    store.delete(id).expect("remove the password");
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("registration: FAILED: the server refused the user name or password"),
        "{report}"
    );
    assert_eq!(store.get(id).expect("read after delete"), None);
}

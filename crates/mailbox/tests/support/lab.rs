//! The lab (real Dovecot) from the tests: accounts, seeding, a reachability check.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use voicelamp_mailbox::{ImapAccount, ImapStore, ImapTiming, Security};

/// A `LAB_*` variable with the lab's default.
pub fn env(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The repository's `tests/lab` directory.
pub fn lab_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab")
}

/// Host of the lab's Dovecot.
pub fn host() -> String {
    env("LAB_IMAP_HOST", "127.0.0.1")
}

/// Plain (STARTTLS-capable) IMAP port.
pub fn imap_port() -> u16 {
    env("LAB_IMAP_PORT", "31143")
        .parse()
        .expect("LAB_IMAP_PORT is a port")
}

/// IMAPS port.
pub fn imaps_port() -> u16 {
    env("LAB_IMAPS_PORT", "31993")
        .parse()
        .expect("LAB_IMAPS_PORT is a port")
}

/// The lab CA.
pub fn ca_file() -> PathBuf {
    let dir = env("VOICELAMP_LAB_DIR", "/tmp/voicelamp-lab");
    PathBuf::from(env("LAB_CA_FILE", &format!("{dir}/tls/ca.pem")))
}

/// Fails the test with a clear message when Dovecot does not answer.
pub fn require_lab() {
    let addr = format!("{}:{}", host(), imap_port());
    let ok = addr
        .parse()
        .ok()
        .and_then(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(3)).ok())
        .is_some();
    assert!(
        ok,
        "the lab's Dovecot does not answer on {addr}: run tests/lab/lab start (and \
         eval \"$(tests/lab/lab env)\") before cargo test -- --include-ignored"
    );
}

/// The account of a lab user over IMAPS, trusting the lab CA.
pub fn account(user: &str) -> ImapAccount {
    ImapAccount {
        host: host(),
        port: imaps_port(),
        security: Security::Tls,
        user: user.to_owned(),
        password: format!("pw-{user}").into(),
        ca_file: Some(ca_file()),
        insecure_skip_verify: false,
    }
}

#[path = "../../../../tests/lab/tls_front.rs"]
mod tls_front;
pub use tls_front::TlsFront;

/// `tests/lab/tls-front` in front of the lab's plain IMAP port, its self-signed `CA:TRUE`
/// certificate made out to `names`, and the account of `user` reaching Dovecot through it over
/// IMAPS, its `ca_file` listing exactly that certificate.
pub fn via_tls_front(names: &str, user: &str) -> (TlsFront, ImapAccount) {
    let front = TlsFront::start(
        &lab_dir().join("../.."),
        names,
        &format!("{}:{}", host(), imap_port()),
    );
    let mut account = account(user);
    account.port = front.port;
    account.ca_file = Some(front.cert.clone());
    (front, account)
}

/// Short timeouts so a broken test fails quickly.
pub fn timing() -> ImapTiming {
    ImapTiming {
        step_timeout: Duration::from_secs(10),
        poll_interval: Duration::from_secs(1),
        backoff_min: Duration::from_millis(200),
        backoff_max: Duration::from_secs(2),
        ..ImapTiming::default()
    }
}

/// A store for a lab user.
pub fn store(user: &str) -> ImapStore {
    require_lab();
    ImapStore::with_timing(account(user), timing()).expect("lab account settings are usable")
}

/// Runs `tests/lab/seed-voicemail --user USER ARGS…` and returns the UIDs it printed.
pub fn seed(user: &str, args: &[&str]) -> Vec<u32> {
    let out = Command::new(lab_dir().join("seed-voicemail"))
        .args(["--user", user])
        .args(args)
        .output()
        .expect("tests/lab/seed-voicemail runs");
    assert!(
        out.status.success(),
        "seed-voicemail {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Runs `tests/lab/lab ARGS…` (with this process's lab environment).
pub fn lab(args: &[&str]) -> String {
    let out = Command::new(lab_dir().join("lab"))
        .args(args)
        .output()
        .expect("tests/lab/lab runs");
    assert!(
        out.status.success(),
        "lab {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

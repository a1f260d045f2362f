//! `voicelamp-cli check` beside a desk phone, against the lab's real Kamailio: a desk phone
//! (`tests/lab/siplab.py register`, a raw REGISTER with digest) registers the line first, then
//! `check` registers Voicelamp on it. For `deskline` the lab's registrar keeps one registration
//! per extension (the newest replaces the others): `check` warns that it replaced the desk
//! phone and says what to do. For `deskshared` both stay bound: `check` lists the desk phone.
//! Written for `tests/lab/lab start --expires 10` (the desk phone's binding lasts 10 s).

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;
use tokio::process::Command;

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Lab {
    host: String,
    udp_port: String,
    domain: String,
}

impl Lab {
    fn get() -> Self {
        let lab = Self {
            host: var("LAB_SIP_HOST", "127.0.0.1"),
            udp_port: var("LAB_SIP_UDP_PORT", "35060"),
            domain: var("LAB_SIP_DOMAIN", "127.0.0.1"),
        };
        let addr = format!("{}:{}", lab.host, var("LAB_SIP_TCP_PORT", "35060"))
            .parse()
            .expect("LAB_SIP_HOST is an IP address");
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
            panic!(
                "the lab's Kamailio does not answer on {addr}: start it with \
                 `tests/lab/lab start --expires 10` and `eval \"$(tests/lab/lab env)\"` \
                 (scripts/test does both)"
            );
        }
        lab
    }

    fn config(&self, user: &str) -> String {
        format!(
            r#"
[[accounts]]
id = "{user}"
aor = "sip:{user}@{domain}"
registrar = "sip:{host}:{port}"
password_env = "VL_TEST_PW"
expires = 60
"#,
            domain = self.domain,
            host = self.host,
            port = self.udp_port,
        )
    }
}

/// Registers `user` as a desk phone; returns the Contact it bound.
async fn desk_phone(user: &str) -> String {
    let output = Command::new("python3")
        .arg(repo_root().join("tests/lab/siplab.py"))
        .args(["register", user])
        .output()
        .await
        .expect("run python3 tests/lab/siplab.py (install python3)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the desk phone could not register {user}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout.lines().next().expect("the bound contact").to_owned()
}

/// Runs `check USER` with the lab's password for it.
async fn check(lab: &Lab, user: &str) -> (Output, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, lab.config(user)).expect("write config");
    let output = Command::new(env!("CARGO_BIN_EXE_voicelamp-cli"))
        .arg("--config")
        .arg(&path)
        .args(["check", user, "--wait", "8"])
        .env("VL_TEST_PW", format!("pw-{user}"))
        .kill_on_drop(true)
        .output()
        .await
        .expect("run the CLI");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn check_warns_when_registering_replaced_the_desk_phone() {
    let lab = Lab::get();
    let desk = desk_phone("deskline").await;
    let (output, report) = check(&lab, "deskline").await;
    assert!(report.contains("registration: registered"), "{report}");
    assert!(
        report.contains(&format!(
            "  WARNING: the server keeps one registration for deskline: registering Voicelamp \
             replaced another device ({desk}); if a desk phone shares this line, set \
             register = false (subscribe-only: the lamp and voicemail still work, outgoing \
             calls too) or give Voicelamp a device of its own on the PBX\n"
        )),
        "{report}"
    );
    assert!(!report.contains("other devices registered"), "{report}");
    // The warning is a warning: the lamp itself works.
    assert!(output.status.success(), "{report}");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn check_lists_a_desk_phone_that_stays_registered() {
    let lab = Lab::get();
    let desk = desk_phone("deskshared").await;
    let (output, report) = check(&lab, "deskshared").await;
    assert!(
        report.contains(&format!(
            "  other devices registered for deskshared, ringing beside Voicelamp: {desk}\n"
        )),
        "{report}"
    );
    assert!(!report.contains("WARNING"), "{report}");
    assert!(output.status.success(), "{report}");
}

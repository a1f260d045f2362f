//! The built `voicelamp-cli` against the real lab: `watch --json` over UDP, TCP and TLS with a
//! shared mailbox, SIGTERM → unsubscribe, unregister, exit 0; `status --json --wait`.
//! Written for `tests/lab/lab start --expires 10`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio::time::{Instant, timeout_at};

struct Lab {
    host: String,
    udp_port: String,
    tcp_port: String,
    tls_port: String,
    domain: String,
    ca_file: PathBuf,
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

impl Lab {
    fn get() -> Self {
        let dir = var("VOICELAMP_LAB_DIR", "/tmp/voicelamp-lab");
        let lab = Self {
            host: var("LAB_SIP_HOST", "127.0.0.1"),
            udp_port: var("LAB_SIP_UDP_PORT", "35060"),
            tcp_port: var("LAB_SIP_TCP_PORT", "35060"),
            tls_port: var("LAB_SIP_TLS_PORT", "35061"),
            domain: var("LAB_SIP_DOMAIN", "127.0.0.1"),
            // Absolute with a drive when the test runs as a Windows program (under Wine): the
            // configuration lives on another drive than the lab.
            ca_file: std::path::absolute(var("LAB_CA_FILE", &format!("{dir}/tls/ca.pem")))
                .expect("the lab's CA path"),
        };
        let addr = format!("{}:{}", lab.host, lab.tcp_port)
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

    fn aor(&self, user: &str) -> String {
        format!("sip:{user}@{}", self.domain)
    }

    /// Three accounts: UDP (own + shared `support`), TCP, TLS verified with the lab CA.
    fn config(&self, users: [&str; 3]) -> String {
        let [udp, tcp, tls] = users;
        format!(
            r#"
[[accounts]]
id = "udp-line"
aor = "{udp_aor}"
registrar = "sip:{host}:{udp_port}"
password_env = "VL_TEST_PW_{udp}"
expires = 60

[[accounts.mailboxes]]
uri = "{support}"
display_name = "Support"

[[accounts]]
id = "tcp-line"
aor = "{tcp_aor}"
registrar = "sip:{host}:{tcp_port};transport=tcp"
password_env = "VL_TEST_PW_{tcp}"
expires = 60

[[accounts]]
id = "tls-line"
aor = "{tls_aor}"
registrar = "sip:{host}:{tls_port};transport=tls"
password_env = "VL_TEST_PW_{tls}"
expires = 60

[accounts.tls]
ca_file = '{ca}'
"#,
            udp_aor = self.aor(udp),
            tcp_aor = self.aor(tcp),
            tls_aor = self.aor(tls),
            support = self.aor("support"),
            host = self.host,
            udp_port = self.udp_port,
            tcp_port = self.tcp_port,
            tls_port = self.tls_port,
            ca = self.ca_file.display(),
        )
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn publish(args: &[&str]) {
    let output = Command::new(repo_root().join("tests/lab/publish-mwi"))
        .args(args)
        .output()
        .await
        .expect("run tests/lab/publish-mwi");
    assert!(
        output.status.success(),
        "publish-mwi {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn cli(config: &Path, users: [&str; 3], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voicelamp-cli"));
    command.arg("--config").arg(config).args(args);
    for user in users {
        command.env(format!("VL_TEST_PW_{user}"), format!("pw-{user}"));
    }
    command.stdout(Stdio::piped()).kill_on_drop(true);
    command
}

fn write_config(lab: &Lab, users: [&str; 3]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, lab.config(users)).expect("write config");
    (dir, path)
}

/// Reads JSON lines until one satisfies `pick`; panics with what was read at the deadline.
async fn read_until(
    lines: &mut tokio::io::Lines<BufReader<ChildStdout>>,
    within: Duration,
    what: &str,
    mut pick: impl FnMut(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        match timeout_at(deadline, lines.next_line()).await {
            Ok(Ok(Some(line))) => {
                let value: serde_json::Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if pick(&value) {
                    return value;
                }
                seen.push(line);
            }
            Ok(Ok(None)) => panic!(
                "the CLI ended while waiting for {what}; read:\n{}",
                seen.join("\n")
            ),
            Ok(Err(e)) => panic!("reading the CLI's output: {e}"),
            Err(_) => panic!("no {what} within {within:?}; read:\n{}", seen.join("\n")),
        }
    }
}

fn is_mailbox(v: &serde_json::Value, mailbox: &str, new: u64, old: u64) -> bool {
    v["type"] == "mailbox"
        && v["mailbox"] == mailbox
        && v["state"] == "active"
        && v["new"] == new
        && v["old"] == old
}

fn sigterm(child: &Child) {
    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn watch_json_follows_publications_and_unregisters_on_sigterm() {
    let lab = Lab::get();
    let users = ["1011", "1012", "1013"];
    let (_dir, config) = write_config(&lab, users);
    let mut child = cli(&config, users, &["watch", "--json"])
        .spawn()
        .expect("start the CLI");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // Registrations in whatever order they complete; mailboxes nobody has published for stay
    // unknown with null counts, never 0.
    let mut pending = vec!["udp-line", "tcp-line", "tls-line"];
    while !pending.is_empty() {
        let line = read_until(
            &mut lines,
            Duration::from_secs(10),
            &format!("{pending:?} registered"),
            |v| {
                assert!(
                    v["type"] != "mailbox" || v["state"] != "unknown" || v["new"].is_null(),
                    "an unknown mailbox with a count: {v}"
                );
                v["type"] == "registration" && v["state"] == "registered"
            },
        )
        .await;
        pending.retain(|a| line["account"] != *a);
    }
    let support = lab.aor("support");
    let tls_aor = lab.aor(users[2]);
    // Counts that differ from run to run: an unchanged lamp prints nothing.
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_millis()))
        + 10;
    let (new, old) = (n.to_string(), (n + 1).to_string());
    publish(&[
        "--user",
        users[2],
        "--new",
        &new,
        "--old",
        &old,
        "--urgent-new",
        "1",
    ])
    .await;
    let line = read_until(
        &mut lines,
        Duration::from_secs(10),
        "TLS mailbox counts",
        |v| is_mailbox(v, &tls_aor, n, n + 1),
    )
    .await;
    assert_eq!(line["account"], "tls-line");
    assert_eq!(line["urgent_new"], 1);
    assert_eq!(line["waiting"], true);
    assert_eq!(line["source"], "subscription");
    publish(&["--aor", &support, "--new", &old, "--old", "0"]).await;
    let line = read_until(
        &mut lines,
        Duration::from_secs(10),
        "shared mailbox counts",
        |v| is_mailbox(v, &support, n + 1, 0),
    )
    .await;
    assert_eq!(line["account"], "udp-line");
    sigterm(&child);
    // In whatever order the server answers.
    let mut pending = vec!["udp-line", "tcp-line", "tls-line"];
    while !pending.is_empty() {
        let line = read_until(
            &mut lines,
            Duration::from_secs(5),
            &format!("{pending:?} unregistered"),
            |v| v["type"] == "registration" && v["state"] == "unregistered",
        )
        .await;
        pending.retain(|a| line["account"] != *a);
    }
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("the CLI exits after SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn status_json_waits_until_every_mailbox_is_known() {
    let lab = Lab::get();
    let users = ["1014", "1015", "1016"];
    for user in users {
        publish(&["--user", user, "--new", "1", "--old", "2"]).await;
    }
    publish(&["--aor", &lab.aor("support"), "--new", "0", "--old", "1"]).await;
    let (_dir, config) = write_config(&lab, users);
    let output = cli(&config, users, &["status", "--json", "--wait", "10"])
        .output()
        .await
        .expect("run the CLI");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{:?}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let mailboxes: Vec<&serde_json::Value> =
        lines.iter().filter(|v| v["type"] == "mailbox").collect();
    assert_eq!(mailboxes.len(), 4, "{stdout}");
    for m in &mailboxes {
        assert_ne!(m["state"], "unknown", "{stdout}");
    }
    for user in users {
        let aor = lab.aor(user);
        assert!(
            mailboxes.iter().any(|m| is_mailbox(m, &aor, 1, 2)),
            "{aor}: {stdout}"
        );
    }
    let registrations = lines
        .iter()
        .filter(|v| v["type"] == "registration" && v["state"] == "registered")
        .count();
    assert_eq!(registrations, 3, "{stdout}");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn check_explains_a_wrong_password() {
    let lab = Lab::get();
    let users = ["1017", "1018", "1010"];
    let (_dir, config) = write_config(&lab, users);
    let output = cli(&config, users, &["check", "tcp-line", "--wait", "10"])
        .env("VL_TEST_PW_1018", "wrong")
        .output()
        .await
        .expect("run the CLI");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("registration: FAILED: the server refused the user name or password"),
        "{stdout}"
    );
    let output = cli(&config, users, &["check", "udp-line", "--wait", "10"])
        .output()
        .await
        .expect("run the CLI");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("registration: registered"), "{stdout}");
    assert!(stdout.contains("over UDP"), "{stdout}");
}

/// `register = false`: the account never registers, its mailbox is still subscribed and known,
/// and `check` says registration is off rather than missing.
#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_subscribe_only_account_watches_without_registering() {
    let lab = Lab::get();
    let user = "1022";
    publish(&["--user", user, "--new", "3", "--old", "0"]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nid = \"watcher\"\naor = \"{aor}\"\nregistrar = \"sip:{host}:{port}\"\n\
             register = false\npassword_env = \"VL_TEST_PW_{user}\"\n",
            aor = lab.aor(user),
            host = lab.host,
            port = lab.udp_port,
        ),
    )
    .expect("write config");
    let users = [user, user, user];
    let output = cli(&config, users, &["status", "--json", "--wait", "10"])
        .output()
        .await
        .expect("run the CLI");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|v| v["type"] == "registration" && v["state"] == "disabled"),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|m| m["type"] == "mailbox" && is_mailbox(m, &lab.aor(user), 3, 0)),
        "{stdout}"
    );
    let output = cli(&config, users, &["check", "watcher", "--wait", "10"])
        .output()
        .await
        .expect("run the CLI");
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert!(
        report.contains("registration: off (register = false)"),
        "{report}"
    );
    assert!(
        !report.contains("REGISTER"),
        "a REGISTER was sent: {report}"
    );
}

/// `check` over TLS to a server whose certificate is not trusted (no `ca_file`) names the
/// certificate problem as why nothing registered — not a missing answer — in words, and says so
/// once the connection failed the same way three times instead of waiting out `--wait`.
#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn check_names_an_untrusted_certificate() {
    let lab = Lab::get();
    let user = "1015";
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nid = \"pbx\"\naor = \"{aor}\"\n\
             registrar = \"sip:{host}:{port};transport=tls\"\npassword_env = \"VL_TEST_PW_{user}\"\n",
            aor = lab.aor(user),
            host = lab.host,
            port = lab.tls_port,
        ),
    )
    .expect("write config");
    let started = Instant::now();
    let output = cli(&config, [user; 3], &["check", "pbx", "--wait", "30"])
        .output()
        .await
        .expect("run the CLI");
    let took = started.elapsed();
    let report = String::from_utf8_lossy(&output.stdout);
    eprintln!("check took {took:?}:\n{report}");
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        took < Duration::from_secs(20),
        "check waited {took:?} for a refusal that repeats"
    );
    let words = format!(
        "  registration: not sent: TLS with {host}:{port}: the certificate of {host} is not \
         trusted: it is signed by an authority this computer does not know; add the certificate \
         of the authority that signed it (for a self-signed certificate, the server's \
         certificate itself) to ca_file in the account's TLS settings\n",
        host = lab.host,
        port = lab.tls_port,
    );
    assert!(report.contains(&words), "{report}");
    assert!(!report.contains("no answer"), "{report}");
    for dump in ["IpAddress(", "Other(", "Error("] {
        assert!(!report.contains(dump), "{report}");
    }
}

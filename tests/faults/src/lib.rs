//! Helpers of the laptop-life fault tests (`tests/`): the lab (started by the test, on the ports
//! of the environment), the built `voicelamp-cli watch --json` with its JSON lines and its SIP
//! trace (stderr), root commands that must succeed, and waits on conditions with deadlines.
//!
//! Run by `tests/faults/run` (and so by `scripts/test`); they need root (network namespaces)
//! and fail, never skip, without it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::time::Instant;

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An environment variable, or `default` when unset or empty.
pub fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Runs a command that must succeed (setup of namespaces, addresses); panics with its output.
pub fn must(program: &str, args: &[&str]) {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "`{program} {}` failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs a command whose failure does not matter (cleanup).
pub fn quietly(program: &str, args: &[&str]) {
    let _ = std::process::Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Fails clearly unless the test runs as root.
pub fn require_root(what: &str) {
    let output = std::process::Command::new("id")
        .arg("-u")
        .output()
        .expect("run id -u");
    let uid = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert_eq!(
        uid, "0",
        "{what} needs root (it creates network namespaces and veth pairs); run tests/faults/run as root"
    );
}

/// A lab started by the test (its own settings), stopped on drop.
#[derive(Debug)]
pub struct Lab {
    /// Where the lab keeps its files.
    pub dir: String,
    /// SIP port (UDP and TCP).
    pub sip_port: String,
}

impl Lab {
    /// `tests/lab/lab start --expires 60` with the environment's ports and `extra_listen` as
    /// `LAB_SIP_EXTRA_LISTEN`.
    pub fn start(extra_listen: &str) -> Self {
        let dir = var(
            "VOICELAMP_LAB_DIR",
            &format!("{}/voicelamp-faults-lab", var("TMPDIR", "/tmp")),
        );
        let lab = Self {
            dir,
            sip_port: var("LAB_SIP_UDP_PORT", "35160"),
        };
        let output = lab
            .command("start")
            .args(["--expires", "60", "--users", "8"])
            .env("LAB_SIP_EXTRA_LISTEN", extra_listen)
            .output()
            .expect("run tests/lab/lab start");
        assert!(
            output.status.success(),
            "the lab did not start: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        lab
    }

    fn command(&self, what: &str) -> std::process::Command {
        let mut command = std::process::Command::new(repo_root().join("tests/lab/lab"));
        command.arg(what).env("VOICELAMP_LAB_DIR", &self.dir);
        for (name, default) in [
            ("LAB_SIP_UDP_PORT", "35160"),
            ("LAB_SIP_TCP_PORT", "35160"),
            ("LAB_SIP_TLS_PORT", "35161"),
            ("LAB_IMAP_PORT", "35143"),
            ("LAB_IMAPS_PORT", "35193"),
        ] {
            command.env(name, var(name, default));
        }
        command
    }

    /// `publish-mwi ARGS` against this lab; must succeed.
    pub fn publish(&self, args: &[&str]) {
        let output = std::process::Command::new(repo_root().join("tests/lab/publish-mwi"))
            .args(args)
            .env("VOICELAMP_LAB_DIR", &self.dir)
            .env("LAB_SIP_UDP_PORT", &self.sip_port)
            .output()
            .expect("run tests/lab/publish-mwi");
        assert!(
            output.status.success(),
            "publish-mwi {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.command("stop").output();
    }
}

/// The built `voicelamp-cli`: `VOICELAMP_CLI`, else beside this test's binary in the target
/// directory.
pub fn cli_program() -> PathBuf {
    if let Some(path) = std::env::var_os("VOICELAMP_CLI") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let cli = dir.join("voicelamp-cli");
    assert!(
        cli.exists(),
        "{} is missing: build it first (`cargo build -p voicelamp-cli`; tests/faults/run does)",
        cli.display()
    );
    cli
}

/// One line of the CLI's output, with when it was read.
#[derive(Debug, Clone)]
pub struct Seen {
    /// When it was read.
    pub at: Instant,
    /// The line (JSON on stdout, log text on stderr).
    pub line: String,
}

/// A running `voicelamp-cli watch --json`: its JSON lines and its log, both kept and watched.
#[derive(Debug)]
pub struct Watch {
    child: Child,
    events: Arc<Mutex<Vec<Seen>>>,
    log: Arc<Mutex<Vec<Seen>>>,
    changed: watch::Receiver<u64>,
}

impl Watch {
    /// Starts `prefix… voicelamp-cli --config CONFIG watch --json` with `env` and the SIP trace
    /// and the driver's log on stderr.
    pub fn start(prefix: &[&str], config: &Path, env: &[(&str, &str)]) -> Self {
        let cli = cli_program();
        let mut command = match prefix.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(&cli);
                c
            }
            None => Command::new(&cli),
        };
        command
            .arg("--config")
            .arg(config)
            .args(["watch", "--json"])
            .env("RUST_LOG", "voicelamp_net=debug,voicelamp_sip=debug")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("start voicelamp-cli");
        let (tx, changed) = watch::channel(0u64);
        let tx = Arc::new(tx);
        let events = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        for (reader, store) in [
            (
                Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
                events.clone(),
            ),
            (Box::new(stderr), log.clone()),
        ] {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(reader).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(mut store) = store.lock() {
                        store.push(Seen {
                            at: Instant::now(),
                            line,
                        });
                    }
                    tx.send_modify(|n| *n += 1);
                }
                tx.send_modify(|n| *n += 1);
            });
        }
        Self {
            child,
            events,
            log,
            changed,
        }
    }

    /// The JSON events read so far.
    pub fn events(&self) -> Vec<(Instant, serde_json::Value)> {
        self.events
            .lock()
            .map(|e| {
                e.iter()
                    .filter_map(|s| Some((s.at, serde_json::from_str(&s.line).ok()?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The log lines read so far.
    pub fn log(&self) -> Vec<Seen> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Waits until `found` returns something (checked after every line); panics at the deadline
    /// with what was read.
    pub async fn wait<T>(
        &mut self,
        within: Duration,
        what: &str,
        mut found: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + within;
        loop {
            if let Some(value) = found(self) {
                return value;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "voicelamp-cli ended ({status}) while waiting for {what}\n{}",
                    self.dump()
                );
            }
            if tokio::time::timeout_at(deadline, self.changed.changed())
                .await
                .is_err()
            {
                panic!("no {what} within {within:?}\n{}", self.dump());
            }
        }
    }

    /// Everything read, for a failure message.
    pub fn dump(&self) -> String {
        let events: Vec<String> = self.events().iter().map(|(_, v)| v.to_string()).collect();
        let log: Vec<String> = self.log().into_iter().map(|s| s.line).collect();
        let tail = log.len().saturating_sub(200);
        format!(
            "events:\n{}\nlog (last 200 lines):\n{}",
            events.join("\n"),
            log[tail..].join("\n")
        )
    }
}

/// The first mailbox event after `since` for `mailbox` that `pick` accepts, with when it came.
pub fn mailbox_event(
    watch: &Watch,
    since: Instant,
    mailbox: &str,
    mut pick: impl FnMut(&serde_json::Value) -> bool,
) -> Option<(Instant, serde_json::Value)> {
    watch.events().into_iter().find(|(at, v)| {
        *at >= since && v["type"] == "mailbox" && v["mailbox"] == mailbox && pick(v)
    })
}

/// The SIP messages of the trace after `since`: (when, sent?, the message's lines). The trace
/// is one log event per message: "sip send" or "sip recv", then the message's lines.
pub fn sip_messages(watch: &Watch, since: Instant) -> Vec<(Instant, bool, Vec<String>)> {
    let mut out: Vec<(Instant, bool, Vec<String>)> = Vec::new();
    let mut current: Option<(Instant, bool, Vec<String>)> = None;
    for seen in watch.log() {
        let send = seen.line.contains("sip send");
        if send || seen.line.contains("sip recv") {
            out.extend(current.take());
            if seen.at >= since {
                current = Some((seen.at, send, Vec::new()));
            }
        } else if seen.line.contains(" voicelamp_") {
            // Another log event ends the message.
            out.extend(current.take());
        } else if let Some((_, _, lines)) = current.as_mut() {
            lines.push(seen.line);
        }
    }
    out.extend(current);
    out
}

fn header<'a>(lines: &'a [String], name: &str) -> impl Iterator<Item = &'a String> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    lines
        .iter()
        .filter(move |l| l.to_ascii_lowercase().starts_with(&prefix))
}

/// When `user`'s REGISTERs were answered 200 OK after `since` (as the SIP trace shows it),
/// optionally only answers listing a Contact containing `contact`.
pub fn register_answers(
    watch: &Watch,
    since: Instant,
    user: &str,
    contact: Option<&str>,
) -> Vec<Instant> {
    let to = format!("<sip:{user}@");
    sip_messages(watch, since)
        .into_iter()
        .filter(|(_, sent, lines)| {
            !sent
                && lines.first().is_some_and(|l| l.starts_with("SIP/2.0 200"))
                && header(lines, "CSeq").any(|l| l.contains("REGISTER"))
                && header(lines, "To").any(|l| l.contains(&to))
                && contact.is_none_or(|c| header(lines, "Contact").any(|l| l.contains(c)))
        })
        .map(|(at, _, _)| at)
        .collect()
}

/// When a REGISTER of `user` was first answered 200 OK after `since`, optionally only one whose
/// answer lists a Contact containing `contact`.
pub fn registered_after(
    watch: &Watch,
    since: Instant,
    user: &str,
    contact: Option<&str>,
) -> Option<Instant> {
    register_answers(watch, since, user, contact)
        .first()
        .copied()
}

/// A configuration file in a temporary directory.
pub fn write_config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write config");
    (dir, path)
}

/// Counts that differ from run to run (an unchanged lamp prints nothing).
pub fn fresh_count() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_millis()))
        + 10
}

/// Milliseconds between two instants, for the report.
pub fn ms(from: Instant, to: Instant) -> u128 {
    to.saturating_duration_since(from).as_millis()
}

//! Starting sipp peers (`tests/lab/sipp/*.xml`) for `tests/sipp.rs`: the binary, the ports,
//! the time limits and the exit-status check live here and nowhere else.
//!
//! Every sipp is started with `-m` (calls) and `-timeout … -timeout_error`, so it always ends,
//! and is killed when its handle is dropped (a failing test leaves nothing running).
//! Diagnostics (`errors.log`, `messages.log`, `log.log`, `screen.log`) go to a directory per
//! run under the temp dir; a failure prints them and leaves them there.

use super::repo_root;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// The sipp binary: `SIPP`, else `sipp` on `PATH` (Debian package `sip-tester`).
fn binary() -> String {
    std::env::var("SIPP")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "sipp".to_owned())
}

/// The UDP port of sipp peer number `n` of a test run: `LAB_SIPP_PORT` (default 35200) + `n`.
pub fn port(n: u16) -> u16 {
    let base: u16 = std::env::var("LAB_SIPP_PORT")
        .ok()
        .filter(|v| !v.is_empty())
        .map_or(35200, |v| {
            v.parse().expect("LAB_SIPP_PORT is a port number")
        });
    base + n
}

/// A running sipp.
#[derive(Debug)]
pub struct Sipp {
    child: Child,
    what: String,
    dir: PathBuf,
    limit: Duration,
}

/// How to run one sipp.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    /// Scenario name: `tests/lab/sipp/<scenario>.xml`.
    pub scenario: &'a str,
    /// Local UDP port.
    pub port: u16,
    /// Where a client sends (`None`: a server waiting for calls).
    pub remote: Option<SocketAddr>,
    /// Calls before sipp exits (`-m`).
    pub calls: u32,
    /// Longest run (`-timeout`, an error when reached).
    pub limit: Duration,
    /// Scenario keywords (`-key name value`).
    pub keys: &'a [(&'a str, &'a str)],
    /// Global variables (`-set name value`).
    pub globals: &'a [(&'a str, &'a str)],
}

impl Run<'_> {
    /// A server on `port` that ends after `calls` calls, within 30 s.
    pub fn server(scenario: &str, port: u16, calls: u32) -> Run<'_> {
        Run {
            scenario,
            port,
            remote: None,
            calls,
            limit: Duration::from_secs(30),
            keys: &[],
            globals: &[],
        }
    }

    /// A client from `port` to `remote` making one call, within 15 s.
    pub fn client(scenario: &str, port: u16, remote: SocketAddr) -> Run<'_> {
        Run {
            scenario,
            port,
            remote: Some(remote),
            calls: 1,
            limit: Duration::from_secs(15),
            keys: &[],
            globals: &[],
        }
    }

    /// Starts sipp; panics (with what to install) when it cannot.
    pub fn start(&self) -> Sipp {
        let scenario = repo_root()
            .join("tests/lab/sipp")
            .join(format!("{}.xml", self.scenario));
        assert!(scenario.is_file(), "no scenario {}", scenario.display());
        let dir = std::env::temp_dir().join(format!(
            "voicelamp-sipp-{}-{}-{}",
            std::process::id(),
            self.scenario,
            self.port
        ));
        std::fs::create_dir_all(&dir).expect("create the sipp log dir");
        let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let mut command = Command::new(binary());
        command
            .current_dir(&dir)
            .arg("-sf")
            .arg(&scenario)
            .args(["-i", "127.0.0.1", "-p", &self.port.to_string(), "-t", "u1"])
            .args(["-m", &self.calls.to_string()])
            .args(["-timeout", &format!("{}s", self.limit.as_secs().max(1))])
            .arg("-timeout_error")
            .args(["-nostdin", "-trace_err", "-error_file", &file("errors.log")])
            .args(["-trace_msg", "-message_file", &file("messages.log")])
            .args(["-trace_logs", "-log_file", &file("log.log")]);
        for (name, value) in self.keys {
            command.args(["-key", name, value]);
        }
        for (name, value) in self.globals {
            command.args(["-set", name, value]);
        }
        if let Some(remote) = self.remote {
            command.arg(remote.to_string());
        }
        let screen = std::fs::File::create(dir.join("screen.log")).expect("create screen.log");
        let child = command
            .stdin(Stdio::null())
            .stdout(screen)
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `{}` ({e}): install sipp (Debian package sip-tester; \
                     scripts/setup installs it) or set SIPP to its path",
                    binary()
                )
            });
        Sipp {
            child,
            what: format!("sipp {} on port {}", self.scenario, self.port),
            dir,
            limit: self.limit,
        }
    }
}

impl Sipp {
    /// Waits for sipp to end (bounded by its own limit plus a margin), panics unless it
    /// exited with 0 (every call passed), and returns its `log.log` (scenario `<log>` lines).
    pub async fn finish(mut self) -> String {
        let within = self.limit + Duration::from_secs(5);
        let status = match tokio::time::timeout(within, self.child.wait()).await {
            Ok(status) => status.expect("wait for sipp"),
            Err(_) => panic!("{} did not end within {within:?}{}", self.what, self.logs()),
        };
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            use tokio::io::AsyncReadExt;
            let _ = err.read_to_string(&mut stderr).await;
        }
        assert!(
            status.success(),
            "{} failed ({status}): {stderr}{}",
            self.what,
            self.logs()
        );
        let log = self.read("log.log");
        let _ = std::fs::remove_dir_all(&self.dir);
        log
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }

    fn logs(&self) -> String {
        let tail = |text: String| {
            let skip = text.len().saturating_sub(6000);
            let start = (skip..text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            text[start..].to_owned()
        };
        format!(
            "\n--- errors.log\n{}\n--- log.log\n{}\n--- messages.log (tail)\n{}",
            self.read("errors.log"),
            self.read("log.log"),
            tail(self.read("messages.log"))
        )
    }
}

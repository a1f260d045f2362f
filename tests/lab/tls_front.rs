//! `tests/lab/tls-front` from a Rust test (included with `#[path]` by the crates' lab tests): a
//! self-signed `CA:TRUE` server certificate served on a loopback port of its own in front of a
//! lab port, as many PBXs ship. Killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `tls-front`.
#[derive(Debug)]
pub struct TlsFront {
    /// Where it listens, on 127.0.0.1.
    pub port: u16,
    /// Its certificate (PEM), to list in an account's `ca_file`.
    pub cert: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TlsFront {
    /// Starts it with a certificate for subjectAltName `names` (e.g.
    /// `IP:127.0.0.1,DNS:localhost`), forwarding to `to` (`HOST:PORT`), and waits until it
    /// listens (it says so on its first line, or exits).
    pub fn start(repo_root: &Path, names: &str, to: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(repo_root.join("tests/lab/tls-front"))
            .arg("--dir")
            .arg(dir.path())
            .args(["--names", names, "--to", to])
            .stdout(Stdio::piped())
            .spawn()
            .expect("run tests/lab/tls-front");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("tls-front's output");
        let port = line
            .trim()
            .strip_prefix("listening 127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("tls-front did not start: {line:?}"));
        Self {
            port,
            cert: dir.path().join("cert.pem"),
            child,
            _dir: dir,
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

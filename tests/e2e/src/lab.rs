//! The lab (real Kamailio and Dovecot, started by `scripts/test`) and the session bus as the
//! end-to-end tests use them: publishing message-waiting state, seeding voicemail, reading a
//! message's `\Seen` flag over an independent IMAP connection, capturing desktop notifications
//! with `dbus-monitor` and clicking one through the notification daemon (`dunstctl`).

use crate::{repo_root, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A lab setting from the environment (`eval "$(tests/lab/lab env)"`), else the lab's default.
pub fn lab_env(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Runs a lab tool (`tests/lab/<tool>`) and fails the test when it fails.
pub fn lab_tool(tool: &str, args: &[&str]) -> String {
    lab_tool_env(tool, args, &[])
}

/// [`lab_tool`] with extra environment (e.g. another lab's directory and ports).
pub fn lab_tool_env(tool: &str, args: &[&str], env: &[(String, String)]) -> String {
    let out = Command::new(repo_root().join("tests/lab").join(tool))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap_or_else(|e| panic!("tests/lab/{tool} cannot run: {e}"));
    assert!(
        out.status.success(),
        "tests/lab/{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Publishes `new` new and `old` old voice messages for `user`'s mailbox.
pub fn publish(user: &str, new: u32, old: u32) {
    lab_tool(
        "publish-mwi",
        &[
            "--user",
            user,
            "--new",
            &new.to_string(),
            "--old",
            &old.to_string(),
        ],
    );
}

/// Empties `user`'s INBOX (earlier runs against the same lab may have left messages).
pub fn clear_inbox(user: &str) {
    let script = r#"
import imaplib, os, sys
imap = imaplib.IMAP4(os.environ.get("LAB_IMAP_HOST", "127.0.0.1"),
                     int(os.environ.get("LAB_IMAP_PORT", "31143")))
imap.login(sys.argv[1], "pw-" + sys.argv[1])
imap.select("INBOX")
typ, data = imap.search(None, "ALL")
if data and data[0]:
    imap.store(b",".join(data[0].split()).decode(), "+FLAGS", "\\Deleted")
    imap.expunge()
imap.logout()
"#;
    let status = Command::new("python3")
        .args(["-c", script, user])
        .status()
        .expect("python3");
    assert!(status.success(), "the INBOX of {user} could not be emptied");
}

/// The `\Seen` flag of every message in `user`'s INBOX, by UID, read over a connection of its own.
pub fn seen_flags(user: &str) -> Vec<(u32, bool)> {
    let script = r#"
import imaplib, os, sys
host = os.environ.get("LAB_IMAP_HOST", "127.0.0.1")
port = int(os.environ.get("LAB_IMAP_PORT", "31143"))
user = sys.argv[1]
imap = imaplib.IMAP4(host, port)
imap.login(user, "pw-" + user)
imap.select("INBOX", readonly=True)
typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
for item in data or []:
    if not item:
        continue
    text = item.decode() if isinstance(item, bytes) else item[0].decode()
    uid = text.split("UID ")[1].split()[0].rstrip(")")
    print(uid, "\\Seen" in text)
imap.logout()
"#;
    let out = Command::new("python3")
        .args(["-c", script, user])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "IMAP check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (uid, seen) = line.split_once(' ')?;
            Some((uid.parse().ok()?, seen == "True"))
        })
        .collect()
}

/// Desktop notifications sent on the session bus, as `dbus-monitor` sees them.
#[derive(Debug)]
pub struct NotificationLog {
    child: Child,
    path: PathBuf,
}

/// One `Notify` call.
#[derive(Debug, Clone, PartialEq)]
pub struct Notified {
    /// Seconds since the Unix epoch, as dbus-monitor stamps it.
    pub at: f64,
    /// Summary (title).
    pub summary: String,
    /// Body.
    pub body: String,
}

impl NotificationLog {
    /// Starts capturing into `dir`.
    pub fn start(dir: &Path) -> Self {
        let path = dir.join("notifications.log");
        let file = std::fs::File::create(&path).expect("notification log");
        let child = Command::new("stdbuf")
            .args([
                "-oL",
                "dbus-monitor",
                "--session",
                "interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(file)
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor (dbus-bin) must be installed");
        // dbus-monitor prints NameAcquired once it listens.
        wait_until("dbus-monitor to listen", || {
            std::fs::read_to_string(&path)
                .ok()
                .filter(|t| t.contains("NameAcquired"))
        });
        Self { child, path }
    }

    /// Every notification so far.
    pub fn all(&self) -> Vec<Notified> {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let mut out = Vec::new();
        let mut current: Option<(f64, Vec<String>)> = None;
        let mut finish = |current: Option<(f64, Vec<String>)>| {
            // Notify(app_name, replaces_id, app_icon, summary, body, ...): the strings are
            // app_name, app_icon, summary, body, then the actions.
            if let Some((at, strings)) = current
                && strings.len() >= 4
            {
                out.push(Notified {
                    at,
                    summary: strings[2].clone(),
                    body: strings[3].clone(),
                });
            }
        };
        for line in text.lines() {
            if line.contains("member=Notify") {
                finish(current.take());
                let at = line
                    .split("time=")
                    .nth(1)
                    .and_then(|t| t.split_whitespace().next())
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0.0);
                current = Some((at, Vec::new()));
            } else if let Some((_, strings)) = current.as_mut()
                && let Some(value) = line.trim_start().strip_prefix("string \"")
            {
                strings.push(value.trim_end_matches('"').to_owned());
            }
        }
        finish(current);
        out
    }
}

impl Drop for NotificationLog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clicks the newest notification on screen: the notification daemon invokes its default action.
pub fn click_newest_notification() {
    let status = Command::new("dunstctl")
        .args(["action", "0"])
        .status()
        .expect("dunstctl (dunst) must be installed");
    assert!(status.success(), "dunstctl action failed");
}

/// A lab of its own (directory and ports apart from the shared one), stopped when dropped: for
/// tests that stop the servers.
#[derive(Debug)]
pub struct OwnLab {
    /// Its environment (`VOICELAMP_LAB_DIR`, `LAB_*` ports).
    pub env: Vec<(String, String)>,
}

impl OwnLab {
    /// Starts a lab whose ports are `offset` above the shared lab's.
    pub fn start(offset: u16) -> Self {
        let port = |name: &str, default: u16| {
            let base: u16 = lab_env(name, &default.to_string())
                .parse()
                .unwrap_or(default);
            (name.to_owned(), (base + offset).to_string())
        };
        let sip = port("LAB_SIP_UDP_PORT", 35060);
        let dir = std::env::temp_dir().join(format!("voicelamp-e2e-lab-{}", sip.1));
        let env = vec![
            ("VOICELAMP_LAB_DIR".to_owned(), dir.display().to_string()),
            sip,
            port("LAB_SIP_TCP_PORT", 35060),
            port("LAB_SIP_TLS_PORT", 35061),
            port("LAB_IMAP_PORT", 31143),
            port("LAB_IMAPS_PORT", 31993),
        ];
        lab_tool_env("lab", &["start", "--expires", "10", "--users", "2"], &env);
        Self { env }
    }

    /// A variable of its environment.
    pub fn var(&self, name: &str) -> String {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| lab_env(name, ""))
    }

    /// Stops its servers (also done on drop).
    pub fn stop(&self) {
        lab_tool_env("lab", &["stop"], &self.env);
    }
}

impl Drop for OwnLab {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("tests/lab/lab"))
            .arg("stop")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .status();
    }
}

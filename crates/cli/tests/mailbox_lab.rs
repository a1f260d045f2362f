//! The built `voicelamp-cli mailbox …` against the lab's real Dovecot. What the CLI did is checked
//! through a second, independent IMAP client (Python's `imaplib`), and decoded audio against
//! `sox`. Each test has a lab mailbox of its own (1012–1017).

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::time::{Instant, timeout_at};

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The lab's CA, absolute with a drive when the test runs as a Windows program (under Wine: the
/// configuration lives on another drive than the lab); written as a TOML literal string.
fn ca_file() -> String {
    let dir = var("VOICELAMP_LAB_DIR", "/tmp/voicelamp-lab");
    let path = std::path::absolute(var("LAB_CA_FILE", &format!("{dir}/tls/ca.pem")))
        .expect("the lab's CA path");
    path.display().to_string()
}

fn imaps_port() -> String {
    var("LAB_IMAPS_PORT", "31993")
}

fn require_lab() {
    let addr = format!("{}:{}", var("LAB_IMAP_HOST", "127.0.0.1"), imaps_port());
    let addr = addr.parse().expect("LAB_IMAP_HOST is an IP address");
    if std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
        panic!(
            "the lab's Dovecot does not answer on {addr}: start it with \
             `tests/lab/lab start --expires 10` and `eval \"$(tests/lab/lab env)\"`"
        );
    }
}

/// A temporary configuration with one account `vm` for a lab user (by default its voicemail over
/// IMAPS, verified with the lab CA), with private data and cache directories.
struct Setup {
    dir: tempfile::TempDir,
    user: String,
}

impl Setup {
    fn new(user: &str) -> Self {
        require_lab();
        let setup = Self {
            dir: tempfile::tempdir().expect("temp dir"),
            user: user.to_owned(),
        };
        setup.write(&format!(
            "[accounts.tls]\nca_file = '{}'\n[accounts.voicemail]\nimap = \"imaps://{}:{}\"\n",
            ca_file(),
            var("LAB_IMAP_HOST", "127.0.0.1"),
            imaps_port()
        ));
        setup
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// Writes the configuration with these account tables after the account's fields.
    fn write(&self, tables: &str) {
        let text = format!(
            "[[accounts]]\nid = \"vm\"\naor = \"sip:{}@{}\"\npassword_env = \"VL_TEST_IMAP_PW\"\n{tables}",
            self.user,
            var("LAB_SIP_DOMAIN", "127.0.0.1"),
        );
        std::fs::write(self.config(), text).expect("write config");
    }

    fn command(&self, password: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_voicelamp-cli"));
        command
            .arg("--config")
            .arg(self.config())
            .arg("mailbox")
            .args(args)
            .env("VL_TEST_IMAP_PW", password)
            .env("VOICELAMP_DATA_DIR", self.dir.path().join("data"))
            .env("VOICELAMP_CACHE_DIR", self.dir.path().join("cache"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs `voicelamp-cli mailbox ARGS` with the right password, bounded.
    async fn run(&self, args: &[&str]) -> Output {
        let password = format!("pw-{}", self.user);
        self.run_with(&password, args).await
    }

    async fn run_with(&self, password: &str, args: &[&str]) -> Output {
        tokio::time::timeout(
            Duration::from_secs(60),
            self.command(password, args).output(),
        )
        .await
        .expect("the CLI ends within 60 s")
        .expect("the CLI runs")
    }

    /// Runs and expects exit 0; returns stdout.
    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "mailbox {args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// The JSON lines of `mailbox list vm --json [--folder F]`.
    async fn list(&self, folder: Option<&str>) -> Vec<serde_json::Value> {
        let mut args = vec!["list", "vm", "--json"];
        if let Some(f) = folder {
            args.extend(["--folder", f]);
        }
        self.ok(&args)
            .await
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Seeds a message with `tests/lab/seed-voicemail` and returns its listed id.
    async fn seed(&self, args: &[&str]) -> String {
        let out = Command::new(repo_root().join("tests/lab/seed-voicemail"))
            .args(["--user", &self.user])
            .args(args)
            .output()
            .await
            .expect("run seed-voicemail");
        assert!(
            out.status.success(),
            "seed-voicemail {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let uid = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("a UID")
            .trim()
            .to_owned();
        let folder = args
            .iter()
            .position(|a| *a == "--folder")
            .map_or("INBOX", |i| args[i + 1]);
        let list = self.list(Some(folder)).await;
        list.iter()
            .map(|v| v["id"].as_str().expect("id").to_owned())
            .find(|id| id.ends_with(&format!("-{uid}")))
            .unwrap_or_else(|| panic!("UID {uid} listed in {folder}: {list:?}"))
    }

    /// A second, independent IMAP session (Python's imaplib over IMAPS): `op` is `flags`,
    /// `seen`, `count` or `attachment`.
    async fn imap(&self, op: &str, folder: &str, uid: &str, out: &str) -> String {
        let out = Command::new("python3")
            .args(["-c", IMAP_PY, op, &self.user, folder, uid, out])
            .output()
            .await
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "imaplib {op}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

/// The independent client: flags of a UID, set \Seen, count messages, save the attachment.
const IMAP_PY: &str = r#"
import email, imaplib, os, ssl, sys
op, user, folder, uid, out = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=os.environ.get("LAB_CA_FILE") or
    os.path.join(os.environ.get("VOICELAMP_LAB_DIR", "/tmp/voicelamp-lab"), "tls/ca.pem"))
m = imaplib.IMAP4_SSL(os.environ.get("LAB_IMAP_HOST", "127.0.0.1"),
    int(os.environ.get("LAB_IMAPS_PORT", "31993")), ssl_context=ctx)
m.login(user, "pw-" + user)
typ, data = m.select(folder)
assert typ == "OK", data
if op == "flags":
    typ, data = m.uid("FETCH", uid, "(FLAGS)")
    print(data[0].decode() if data and data[0] else "gone")
elif op == "seen":
    print(m.uid("STORE", uid, "+FLAGS", "(\\Seen)")[0])
elif op == "count":
    print(int(data[0]))
elif op == "attachment":
    typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
    msg = email.message_from_bytes(data[0][1])
    part = next(p for p in msg.walk() if p.get_content_type().startswith("audio/"))
    open(out, "wb").write(part.get_payload(decode=True))
    print("ok")
m.logout()
"#;

/// Compares two 16-bit PCM WAV files sample for sample (Python's `wave`); prints
/// `same N` or what differs.
const COMPARE_PY: &str = r#"
import sys, wave
a, b = (wave.open(p, "rb") for p in sys.argv[1:3])
fa, fb = a.readframes(a.getnframes()), b.readframes(b.getnframes())
if (a.getframerate(), a.getsampwidth(), a.getnchannels()) != (b.getframerate(), b.getsampwidth(), b.getnchannels()):
    print("format differs", a.getparams(), b.getparams())
elif fa != fb:
    n = min(len(fa), len(fb))
    first = next((i for i in range(0, n, 2) if fa[i:i+2] != fb[i:i+2]), n)
    print(f"differs: {len(fa)//2} vs {len(fb)//2} samples, first difference at sample {first//2}")
else:
    print("same", len(fa) // 2)
"#;

fn uid_of(id: &str) -> &str {
    id.rsplit_once('-').expect("id is <uidvalidity>-<uid>").1
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn list_shows_every_field_of_asterisk_and_generic_messages() {
    let s = Setup::new("1012");
    let urgent = s
        .seed(&[
            "--format",
            "wav49",
            "--caller-num",
            "5551234",
            "--caller-name",
            "Zoë Müller",
            "--urgent",
            "--orig-time",
            "1795737300",
        ])
        .await;
    let generic = s
        .seed(&[
            "--generic",
            "--format",
            "ulaw",
            "--caller-num",
            "5559",
            "--caller-name",
            "Ana",
        ])
        .await;
    let old = s
        .seed(&["--folder", "Old", "--heard", "--format", "alaw"])
        .await;

    let all = s.list(None).await;
    let get = |id: &str| {
        all.iter()
            .find(|v| v["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {all:?}"))
            .clone()
    };
    let u = get(&urgent);
    assert_eq!(u["folder"], "INBOX");
    assert_eq!(u["caller_number"], "5551234");
    assert_eq!(u["caller_name"], "Zoë Müller");
    assert_eq!(u["received_at"], "2026-11-26T23:55:00Z");
    assert!(u["duration_s"].as_u64().is_some_and(|d| d > 0), "{u}");
    assert_eq!((&u["urgent"], &u["heard"]), (&true.into(), &false.into()));
    assert_eq!(u["format"], "gsm");
    assert!(u["size"].as_u64().is_some_and(|n| n > 1000), "{u}");
    let g = get(&generic);
    assert_eq!(
        (&g["caller_number"], &g["caller_name"], &g["format"]),
        (&"5559".into(), &"Ana".into(), &"ulaw".into())
    );
    assert!(
        g["received_at"]
            .as_str()
            .is_some_and(|t| t.len() == 20 && t.ends_with('Z')),
        "RFC 3339: {g}"
    );
    let o = get(&old);
    assert_eq!((&o["folder"], &o["heard"]), (&"Old".into(), &true.into()));
    assert_eq!(o["format"], "alaw");
    // INBOX comes first.
    let first_old = all.iter().position(|v| v["folder"] == "Old").unwrap();
    assert!(all[..first_old].iter().all(|v| v["folder"] == "INBOX"));

    let only_old = s.list(Some("Old")).await;
    assert!(only_old.iter().all(|v| v["folder"] == "Old") && !only_old.is_empty());

    let table = s.ok(&["list", "vm"]).await;
    let header = table.lines().next().unwrap();
    for column in [
        "ID", "FOLDER", "RECEIVED", "FROM", "LENGTH", "STATE", "FORMAT", "SIZE",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let row = table
        .lines()
        .find(|l| l.starts_with(&urgent))
        .expect("a row");
    for cell in [
        "INBOX",
        "2026-11-26 23:55:00Z",
        "Zoë Müller <5551234>",
        "NEW urgent",
        "gsm",
    ] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn fetch_writes_the_same_samples_as_sox() {
    let s = Setup::new("1013");
    let dir = s.dir.path().to_owned();
    for format in ["wav49", "pcm", "ulaw"] {
        let id = s.seed(&["--format", format]).await;
        let ours = dir.join(format!("{format}.cli.wav"));
        let said = s
            .ok(&["fetch", "vm", &id, "--out", ours.to_str().unwrap()])
            .await;
        assert!(said.contains("s of 16-bit PCM WAV at 8000 Hz"), "{said}");
        let attachment = dir.join(format!("{format}.attachment.wav"));
        s.imap(
            "attachment",
            "INBOX",
            uid_of(&id),
            attachment.to_str().unwrap(),
        )
        .await;
        let reference = dir.join(format!("{format}.sox.wav"));
        let sox = std::process::Command::new("sox")
            .arg(&attachment)
            .args(["-e", "signed-integer", "-b", "16"])
            .arg(&reference)
            .status()
            .expect("sox runs");
        assert!(sox.success());
        let same = compare(&ours, &reference).await;
        assert!(same.starts_with("same "), "{format}: {same}");
        assert!(
            same["same ".len()..].parse::<u32>().unwrap() > 8000,
            "{format}: {same}"
        );
    }
    let out = s.run(&["fetch", "vm", "1-999999", "--out", "x.wav"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no message 1-999999"));
}

async fn compare(a: &Path, b: &Path) -> String {
    let out = Command::new("python3")
        .args(["-c", COMPARE_PY])
        .arg(a)
        .arg(b)
        .output()
        .await
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn marks_and_delete_are_seen_by_another_connection() {
    let s = Setup::new("1014");
    let id = s.seed(&["--format", "pcm"]).await;
    let uid = uid_of(&id);
    assert!(!s.imap("flags", "INBOX", uid, "").await.contains("\\Seen"));

    let said = s.ok(&["mark-heard", "vm", &id]).await;
    assert_eq!(said.trim(), format!("{id} in INBOX: marked heard"));
    let flags = s.imap("flags", "INBOX", uid, "").await;
    assert!(flags.contains("\\Seen"), "{flags}");

    s.ok(&["mark-new", "vm", &id, "--folder", "INBOX"]).await;
    let flags = s.imap("flags", "INBOX", uid, "").await;
    assert!(!flags.contains("\\Seen"), "{flags}");

    let trash_before: u32 = s.imap("count", "Trash", "", "").await.parse().unwrap();
    s.ok(&["delete", "vm", &id]).await;
    assert_eq!(s.imap("flags", "INBOX", uid, "").await, "gone");
    let trash: u32 = s.imap("count", "Trash", "", "").await.parse().unwrap();
    assert_eq!(trash, trash_before + 1);
    let out = s.run(&["mark-heard", "vm", &id, "--folder", "INBOX"]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a deleted message cannot be marked"
    );
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn watch_prints_changes_made_by_another_connection_until_sigterm() {
    let s = Setup::new("1016");
    let id = s.seed(&["--format", "pcm"]).await;
    let mut child = s
        .command("pw-1016", &["watch", "vm", "--json"])
        .spawn()
        .expect("watch starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = async |what: &str| {
        let deadline = Instant::now() + Duration::from_secs(15);
        let line = timeout_at(deadline, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no {what} within 15 s"))
            .expect("read")
            .unwrap_or_else(|| panic!("watch ended before {what}"));
        serde_json::from_str::<serde_json::Value>(&line).expect("JSON")
    };
    let first = next("connected").await;
    assert_eq!(
        (&first["event"], &first["account"], &first["folder"]),
        (&"connected".into(), &"vm".into(), &"INBOX".into())
    );

    s.imap("seen", "INBOX", uid_of(&id), "").await;
    let change = next("the flag change").await;
    assert_eq!(change["event"], "flags", "{change}");
    assert_eq!(change["id"], id.as_str());
    assert_eq!(change["heard"], true);

    let added = s.seed(&["--format", "pcm"]).await;
    let change = next("the new message").await;
    assert_eq!(
        (&change["event"], &change["id"]),
        (&"added".into(), &added.as_str().into())
    );

    let pid = child.id().expect("running").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within 10 s of SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_wrong_password_is_a_clear_error_and_never_printed() {
    let s = Setup::new("1017");
    let out = s.run_with("hunter2-wrong", &["list", "vm"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the server refused the login for 1017: check the password"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hunter2") && out.stdout.is_empty(),
        "{stderr}"
    );

    // A watch logs in once, says why it stops and what to do, and exits 1 instead of retrying.
    let out = s
        .run_with("hunter2-wrong", &["watch", "vm", "--json"])
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert_eq!(lines[0]["event"], "stopped");
    let reason = lines[0]["reason"].as_str().expect("reason");
    assert!(
        reason.contains("refused the password for 1017")
            && reason.contains("correct it in Settings"),
        "{reason}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");

    // A password source that is not there is a configuration problem: exit 2.
    let mut command = s.command("", &["list", "vm"]);
    command.env_remove("VL_TEST_IMAP_PW");
    let out = command.output().await.expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("VL_TEST_IMAP_PW is not set"));
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn an_untrusted_certificate_is_refused_unless_opted_out() {
    let s = Setup::new("1015");
    let host = var("LAB_IMAP_HOST", "127.0.0.1");
    let imaps = format!(
        "[accounts.voicemail]\nimap = \"imaps://{host}:{}\"\n",
        imaps_port()
    );
    s.write(&imaps); // no CA: the lab's certificate is not trusted
    let out = s.run(&["list", "vm"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not trusted"), "{stderr}");

    s.write(&format!(
        "{imaps}[accounts.voicemail.tls]\ninsecure_skip_verify = true\n"
    ));
    s.ok(&["list", "vm"]).await;

    // STARTTLS on the plain port, verified with the CA given for the mail server only.
    s.write(&format!(
        "[accounts.voicemail]\nimap = \"imap://{host}:{}\"\n[accounts.voicemail.tls]\nca_file = '{}'\n",
        var("LAB_IMAP_PORT", "31143"),
        ca_file()
    ));
    s.ok(&["list", "vm"]).await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_mark_made_while_the_server_is_away_is_journaled_and_sent_later() {
    let s = Setup::new("1020");
    let id = s.seed(&["--format", "pcm"]).await;
    let uid = uid_of(&id);
    let reachable = std::fs::read_to_string(s.config()).unwrap();
    // A port nobody listens on: the server is "away".
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    s.write(&format!(
        "[accounts.tls]\nca_file = '{}'\n[accounts.voicemail]\nimap = \"imaps://127.0.0.1:{closed}\"\n",
        ca_file()
    ));
    let out = s.run(&["mark-heard", "vm", &id, "--folder", "INBOX"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("kept in the offline journal"), "{stderr}");
    assert!(!s.imap("flags", "INBOX", uid, "").await.contains("\\Seen"));

    // Back online: the next command sends the journaled mark first.
    std::fs::write(s.config(), reachable).unwrap();
    let list = s.list(Some("INBOX")).await;
    let listed = list
        .iter()
        .find(|v| v["id"] == id.as_str())
        .expect("listed");
    assert_eq!(listed["heard"], true);
    let flags = s.imap("flags", "INBOX", uid, "").await;
    assert!(flags.contains("\\Seen"), "{flags}");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_mark_without_folder_while_the_server_is_away_is_journaled_and_finds_its_folder() {
    let s = Setup::new("1024");
    // Not in INBOX: the replay has to find the folder.
    let id = s.seed(&["--format", "pcm", "--folder", "Old"]).await;
    let uid = uid_of(&id);
    let reachable = std::fs::read_to_string(s.config()).unwrap();
    // A port nobody listens on: the server is "away".
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    s.write(&format!(
        "[accounts.tls]\nca_file = '{}'\n[accounts.voicemail]\nimap = \"imaps://127.0.0.1:{closed}\"\n",
        ca_file()
    ));
    let out = s.run(&["mark-heard", "vm", &id]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{id}: not marked heard yet"))
            && stderr.contains("kept in the offline journal"),
        "{stderr}"
    );
    assert!(!s.imap("flags", "Old", uid, "").await.contains("\\Seen"));

    // Back online: the next command sends the journaled mark to the folder that holds it.
    std::fs::write(s.config(), reachable).unwrap();
    let list = s.list(Some("Old")).await;
    let listed = list
        .iter()
        .find(|v| v["id"] == id.as_str())
        .expect("listed");
    assert_eq!(listed["heard"], true);
    let flags = s.imap("flags", "Old", uid, "").await;
    assert!(flags.contains("\\Seen"), "{flags}");
    let journal = s.dir.path().join("data/voicemail/vm/journal.jsonl");
    let left = std::fs::read_to_string(&journal).unwrap_or_default();
    assert!(left.trim().is_empty(), "the journal is empty again: {left}");
}

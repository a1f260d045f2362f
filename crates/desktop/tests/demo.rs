//! The README's first command (`scripts/demo`) as a newcomer sees it: the tray process started
//! with the demo's configuration (written by `scripts/demo --write-config`, the same code the demo
//! runs) against a lab seeded with the demo voicemail. The moment it opens it must show lit lamps
//! with counts, a mailbox whose voicemail plays, and one line whose server does not answer, not
//! known and saying why in words.
//!
//! It runs its own lab (own directory, ports 400 above the lab's) so that the shared lab and the
//! other tests are not disturbed, and stops it at the end, also when the test fails.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use voicelamp_core::event::LampState;
use voicelamp_desktop::client::HostClient;
use voicelamp_desktop::protocol::{Call, Reply};

const DEADLINE: Duration = Duration::from_secs(20);

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn port(name: &str, default: u16) -> u16 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        + 400
}

/// A private lab seeded with the demo voicemail, stopped on drop.
struct DemoLab {
    env: Vec<(String, String)>,
}

impl DemoLab {
    fn start() -> Self {
        let udp = port("LAB_SIP_UDP_PORT", 35060);
        let dir = std::env::temp_dir().join(format!("voicelamp-lab-demo-{udp}"));
        let lab = Self {
            env: vec![
                ("VOICELAMP_LAB_DIR".into(), dir.display().to_string()),
                ("LAB_SIP_UDP_PORT".into(), udp.to_string()),
                (
                    "LAB_SIP_TCP_PORT".into(),
                    port("LAB_SIP_TCP_PORT", 35060).to_string(),
                ),
                (
                    "LAB_SIP_TLS_PORT".into(),
                    port("LAB_SIP_TLS_PORT", 35061).to_string(),
                ),
                (
                    "LAB_IMAP_PORT".into(),
                    port("LAB_IMAP_PORT", 31143).to_string(),
                ),
                (
                    "LAB_IMAPS_PORT".into(),
                    port("LAB_IMAPS_PORT", 31993).to_string(),
                ),
            ],
        };
        lab.run("tests/lab/lab", &["start", "--users", "3", "--seed-demo"]);
        lab
    }

    fn run(&self, program: &str, args: &[&str]) -> String {
        let output = std::process::Command::new(repo_root().join(program))
            .args(args)
            .current_dir(repo_root())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("output is text")
    }
}

impl Drop for DemoLab {
    fn drop(&mut self) {
        let _ = std::process::Command::new(repo_root().join("tests/lab/lab"))
            .arg("stop")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output();
    }
}

/// The tray process, killed on drop.
struct Tray(std::process::Child);

impl Drop for Tray {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn private_dir(path: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path).expect("folder");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).expect("mode");
    path.to_owned()
}

/// Samples of a 16-bit PCM WAV file (its `data` chunk), after checking the header.
fn pcm_samples(wav: &[u8]) -> Vec<i16> {
    assert!(
        wav.len() > 44 && &wav[..4] == b"RIFF" && &wav[8..12] == b"WAVE",
        "not a WAV file"
    );
    let mut at = 12;
    while at + 8 <= wav.len() {
        let id = &wav[at..at + 4];
        let len = u32::from_le_bytes(wav[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        let body = &wav[at + 8..(at + 8 + len).min(wav.len())];
        if id == b"fmt " {
            assert_eq!(u16::from_le_bytes([body[0], body[1]]), 1, "PCM");
            assert_eq!(u16::from_le_bytes([body[14], body[15]]), 16, "16-bit");
        }
        if id == b"data" {
            return body
                .chunks_exact(2)
                .map(|s| i16::from_le_bytes([s[0], s[1]]))
                .collect();
        }
        at += 8 + len + (len & 1);
    }
    panic!("the WAV file has no data chunk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn the_demo_opens_with_lit_lamps_a_playable_mailbox_and_a_stale_line() {
    let lab = DemoLab::start();
    let home = tempfile::tempdir().expect("temp dir");
    let config = home.path().join("demo-config.toml");
    let passwords = lab.run(
        "scripts/demo",
        &["--write-config", config.to_str().expect("path")],
    );
    let passwords: Vec<(String, String)> = passwords
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert!(!passwords.is_empty(), "the demo names its passwords");

    let runtime = private_dir(&home.path().join("run"));
    let started = Instant::now();
    let tray = std::process::Command::new(env!("CARGO_BIN_EXE_voicelamp"))
        .arg("--config")
        .arg(&config)
        .arg("--minimized")
        .envs(passwords)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("VOICELAMP_WINDOW_PROGRAM", "/bin/false")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .spawn()
        .expect("start the tray process");
    let _tray = Tray(tray);
    let socket = runtime.join("voicelamp/host.sock");
    // The events are kept (not read): a window that drops them has gone.
    let (client, _events) = loop {
        if let Ok(connected) = HostClient::connect(&socket).await {
            break connected;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the tray process never listened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    // Lit lamps with counts, and the line whose server does not answer: not known, and why.
    let view = loop {
        let view = match client.call(Call::LinesView).await {
            Ok(Reply::Lines(view)) => view,
            other => panic!("lines: {other:?}"),
        };
        assert_eq!(view.config_error, None, "the demo configuration is valid");
        let lit = view
            .lines
            .lines
            .iter()
            .any(|l| l.lamp == LampState::Active && l.counts.is_some_and(|c| c.new > 0));
        let stale = view
            .lines
            .lines
            .iter()
            .any(|l| l.lamp != LampState::Active && l.reason.is_some());
        if lit && stale {
            break view;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the demo did not show lit lamps and a stale line: {:#?}",
            view.lines.lines
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let shown = started.elapsed();
    let lit: Vec<_> = view
        .lines
        .lines
        .iter()
        .filter(|l| l.lamp == LampState::Active)
        .collect();
    assert!(
        lit.len() >= 3,
        "every reachable demo mailbox is lit: {lit:#?}"
    );
    let stale: Vec<_> = view
        .lines
        .lines
        .iter()
        .filter(|l| l.lamp != LampState::Active)
        .collect();
    assert_eq!(stale.len(), 1, "exactly one stale line: {stale:#?}");
    let stale = stale[0];
    assert!(
        stale.counts.is_none(),
        "a line never heard has no counts: {stale:#?}"
    );
    let reason = stale.reason.as_deref().expect("a reason");
    assert!(
        reason.contains("server")
            && !reason.contains('{')
            && !reason.contains("Some(")
            && !reason.contains("Os "),
        "the reason is words: {reason:?}"
    );
    assert!(
        stale.status.starts_with("Not known") || stale.status.contains(reason),
        "the line says it is not known: {:?}",
        stale.status
    );

    // A mailbox listing with the demo voicemail, and one message fetched and decoded.
    let stores = match client.call(Call::MailboxStores).await {
        Ok(Reply::Stores(stores)) => stores,
        other => panic!("stores: {other:?}"),
    };
    let lit_accounts: Vec<&str> = lit.iter().map(|l| l.account.as_str()).collect();
    let store = stores
        .iter()
        .find(|s| lit_accounts.contains(&s.account.as_str()))
        .unwrap_or_else(|| panic!("no lit account has a mailbox: {stores:?}"));
    let list = match client
        .call(Call::MailboxList {
            account: store.account.clone(),
            folder: None,
        })
        .await
    {
        Ok(Reply::Messages(list)) => list,
        other => panic!("list: {other:?}"),
    };
    let message = list
        .messages
        .iter()
        .find(|m| m.format.is_some() && !m.heard)
        .unwrap_or_else(|| panic!("no new voicemail with audio listed: {list:?}"));
    let clip = match client
        .call(Call::MailboxAudio {
            account: store.account.clone(),
            folder: list.folder.clone(),
            id: message.id.clone(),
        })
        .await
    {
        Ok(Reply::Audio(clip)) => clip,
        other => panic!("audio: {other:?}"),
    };
    let mut wav = Vec::new();
    while (wav.len() as f64) < clip.size {
        let chunk = match client
            .call(Call::MailboxAudioChunk {
                account: store.account.clone(),
                folder: list.folder.clone(),
                id: message.id.clone(),
                offset: wav.len() as u64,
                len: clip.chunk,
            })
            .await
        {
            Ok(Reply::AudioChunk(chunk)) => chunk,
            other => panic!("audio chunk: {other:?}"),
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(chunk.base64)
            .expect("base64");
        assert!(!bytes.is_empty(), "the audio ended before its size");
        wav.extend(bytes);
    }
    assert_eq!(wav.len() as f64, clip.size);
    let samples = pcm_samples(&wav);
    assert!(samples.len() > 8_000, "at least a second of speech");
    assert!(
        samples.iter().any(|s| s.unsigned_abs() > 1_000),
        "the voicemail is not silence"
    );
    eprintln!(
        "demo: {} lit, 1 stale ({reason}) within {} ms; {} messages in {}'s {}; {} samples played",
        lit.len(),
        shown.as_millis(),
        list.messages.len(),
        store.account,
        list.folder,
        samples.len()
    );
    drop(lab);
}

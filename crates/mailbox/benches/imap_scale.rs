//! Scale figures against the lab's Dovecot (run `tests/lab/lab start` first):
//! listing a folder of 1,000 voicemails (again, and first on a store that has not named the
//! codecs yet), and click-to-first-audio of a 60 s wav49 message
//! (fetch the audio part + decode to WAV), on a warm and on a cold session.
//!
//! `cargo bench -p voicelamp-mailbox --bench imap_scale`. Without a running lab it says so and
//! exits successfully; under `cargo test --benches` it does nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use voicelamp_mailbox::audio::decode_to_wav;
use voicelamp_mailbox::{ImapAccount, ImapStore, ImapTiming, Security, VoicemailStore};

const LIST_USER: &str = "1019";
const AUDIO_USER: &str = "1018";
const MESSAGES: usize = 1000;
const RUNS: usize = 15;

fn env(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn account(user: &str) -> ImapAccount {
    let dir = env("VOICELAMP_LAB_DIR", "/tmp/voicelamp-lab");
    ImapAccount {
        host: env("LAB_IMAP_HOST", "127.0.0.1"),
        port: env("LAB_IMAPS_PORT", "31993").parse().expect("port"),
        security: Security::Tls,
        user: user.to_owned(),
        password: format!("pw-{user}").into(),
        ca_file: Some(env("LAB_CA_FILE", &format!("{dir}/tls/ca.pem")).into()),
        insecure_skip_verify: false,
    }
}

fn seed(user: &str, args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/seed-voicemail");
    let out = Command::new(script)
        .args(["--user", user])
        .args(args)
        .output()
        .expect("seed-voicemail runs");
    assert!(
        out.status.success(),
        "seed-voicemail: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let timing = ImapTiming::default;
    let list_store = ImapStore::with_timing(account(LIST_USER), timing()).unwrap();
    if let Err(e) = list_store.check().await {
        println!("imap_scale: skipped, the lab is not reachable ({e}); run tests/lab/lab start");
        return;
    }

    // Listing 1,000 messages.
    let have = list_store.list("INBOX").await.unwrap().len();
    let mut missing = MESSAGES.saturating_sub(have);
    while missing > 0 {
        let n = missing.min(500);
        seed(LIST_USER, &["--count", &n.to_string(), "--format", "wav49"]);
        missing -= n;
    }
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        count = list_store.list("INBOX").await.unwrap().len();
        times.push(t.elapsed());
    }
    let max = *times.iter().max().unwrap();
    println!(
        "list {count} messages (warm session, IMAPS, loopback, codecs known): median {}, max {} \
         over {RUNS} runs",
        ms(median(times)),
        ms(max)
    );
    // The first listing of a store also reads each attachment's first bytes to name its codec.
    let mut first = Vec::new();
    for _ in 0..5 {
        let fresh = ImapStore::with_timing(account(LIST_USER), timing()).unwrap();
        fresh.check().await.unwrap();
        let t = Instant::now();
        let _ = fresh.list("INBOX").await.unwrap();
        first.push(t.elapsed());
        fresh.close().await;
    }
    println!(
        "list {count} messages, first listing of a store (session open, codecs read): median {}",
        ms(median(first))
    );

    // Click-to-first-audio of a 60 s wav49 message.
    let audio_store = ImapStore::with_timing(account(AUDIO_USER), timing()).unwrap();
    let words = "please call me back about the delivery of the new telephone system for the \
                 office on the third floor ";
    let text = words.repeat(11);
    seed(AUDIO_USER, &["--format", "wav49", "--text", &text]);
    let vm = audio_store
        .list("INBOX")
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|v| v.id.uid)
        .unwrap();
    let mut warm = Vec::new();
    let mut seconds = 0.0;
    let mut bytes_len = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let bytes = audio_store.fetch_audio("INBOX", vm.id).await.unwrap();
        let decoded = decode_to_wav(&bytes).unwrap();
        let wav = decoded.to_wav_bytes();
        warm.push(t.elapsed());
        seconds = decoded.duration_ms() as f64 / 1000.0;
        bytes_len = bytes.len();
        assert!(!wav.is_empty());
    }
    let mut cold = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let fresh = ImapStore::with_timing(account(AUDIO_USER), timing()).unwrap();
        let bytes = fresh.fetch_audio("INBOX", vm.id).await.unwrap();
        let _ = decode_to_wav(&bytes).unwrap().to_wav_bytes();
        cold.push(t.elapsed());
        fresh.close().await;
    }
    println!(
        "click-to-first-audio, {seconds:.1} s wav49 ({bytes_len} bytes): warm session median {}, \
         cold (connect + TLS + login + fetch + decode) median {}",
        ms(median(warm)),
        ms(median(cold))
    );
}

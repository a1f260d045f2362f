//! `voicelamp-cli call --sound` through real sound devices: the lab's PulseAudio
//! (`tests/lab/pulse`: a null sink as the speaker, a virtual microphone fed by another null
//! sink) reached by cpal through ALSA's pulse plugin, calling the baresip IVR through the lab's
//! Kamailio. The IVR's tone is found at the speaker (its monitor recorded with `parec`), and a
//! tone played into the microphone (`pacat`) is found in the IVR's recording.

mod calls;

use calls::{IVR_LOCK, Ivr, Lab, describe, json_lines, last_call, repo_root, tone_windows};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

const OUR_TONE: f32 = 600.0;

/// Starts the lab's PulseAudio (when it is not running) and returns its environment.
async fn pulse() -> Vec<(String, String)> {
    let script = repo_root().join("tests/lab/pulse");
    let start = Command::new(&script)
        .arg("start")
        .output()
        .await
        .expect("run tests/lab/pulse");
    assert!(
        start.status.success(),
        "tests/lab/pulse start failed (it needs pulseaudio, pulseaudio-utils and \
         libasound2-plugins: scripts/setup installs them): {}",
        String::from_utf8_lossy(&start.stderr)
    );
    let env = Command::new(&script)
        .arg("env")
        .output()
        .await
        .expect("tests/lab/pulse env");
    String::from_utf8_lossy(&env.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect()
}

/// Writes `wav` from raw 8 kHz mono 16-bit samples.
fn raw_to_wav(raw: &Path, wav: &Path) {
    let bytes = std::fs::read(raw).expect("the speaker's recording");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(wav, spec).expect("wav");
    for pair in bytes.chunks_exact(2) {
        writer
            .write_sample(i16::from_le_bytes([pair[0], pair[1]]))
            .expect("sample");
    }
    writer.finalize().expect("wav");
}

#[tokio::test]
#[ignore = "needs the lab, baresip and PulseAudio: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn the_speaker_plays_the_far_end_and_the_microphone_reaches_it() {
    let lab = Lab::get();
    let ivr = Ivr::get().await;
    let _guard = IVR_LOCK.lock().await;
    let env = pulse().await;
    let get = |name: &str| {
        env.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("tests/lab/pulse env has no {name}"))
    };
    let user = "1019";
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[audio]\nmicrophone = \"{}\"\n",
            lab.line("line", user, "udp", ""),
            get("LAB_PULSE_MIC")
        ),
    )
    .expect("config");

    // The speaker's monitor is recorded, and our tone goes into the microphone's feed.
    let raw = dir.path().join("speaker.raw");
    let mut recorder = Command::new("parec")
        .args(["-d", &format!("{}.monitor", get("LAB_PULSE_SPEAKER"))])
        .args([
            "--rate",
            "8000",
            "--channels",
            "1",
            "--format",
            "s16le",
            "--raw",
        ])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(std::fs::File::create(&raw).expect("raw file"))
        .kill_on_drop(true)
        .spawn()
        .expect("parec runs (Debian package pulseaudio-utils)");
    let tone = dir.path().join("tone.wav");
    calls::tone_wav(&tone, OUR_TONE, 12.0);
    let mut injector = Command::new("paplay")
        .args([
            "-d",
            &get("LAB_PULSE_MIC_FEED"),
            tone.to_str().expect("path"),
        ])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true)
        .spawn()
        .expect("paplay runs (Debian package pulseaudio-utils)");

    let log_at = ivr.log_len();
    let target = format!("sip:ivr@{}", lab.domain);
    let mut command = Command::new(env!("CARGO_BIN_EXE_voicelamp-cli"));
    command
        .arg("--config")
        .arg(&config)
        .args(["call", "line", &target, "--sound", "--for", "6", "--json"])
        .env(format!("VL_TEST_PW_{user}"), format!("pw-{user}"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(40), command.output())
        .await
        .expect("the call ends")
        .expect("CLI");
    let _ = injector.kill().await;
    let _ = recorder.kill().await;
    assert!(output.status.success(), "{}", describe(&output));
    let last = last_call(&json_lines(&output));
    assert_eq!(last["state"]["failed"], false, "{last}");
    assert!(
        last["notice"].is_null(),
        "the devices were not used: {last}"
    );

    let speaker = dir.path().join("speaker.wav");
    raw_to_wav(&raw, &speaker);
    let heard = tone_windows(&speaker, ivr.tone_hz);
    assert!(
        heard >= 30,
        "{heard} windows of the IVR's tone at the speaker"
    );
    ivr.wait_log(log_at, "terminated", 1, Duration::from_secs(10))
        .await;
    let theirs = tone_windows(&ivr.newest_recording(), OUR_TONE);
    assert!(
        theirs >= 30,
        "{theirs} windows of the microphone's tone at the IVR"
    );
}

//! What the call tests share: the lab's and the IVR's settings, the CLI run as a child with a
//! configuration of one line, tone files and a tone detector (Goertzel) for recordings.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::process::Command;

pub fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The lab, which must be running (the tests fail, never skip, when it is not).
#[derive(Debug, Clone)]
pub struct Lab {
    pub host: String,
    pub udp_port: String,
    pub tcp_port: String,
    pub tls_port: String,
    pub domain: String,
    pub ca_file: PathBuf,
}

impl Lab {
    pub fn get() -> Self {
        let dir = var("VOICELAMP_LAB_DIR", "/tmp/voicelamp-lab");
        let lab = Self {
            host: var("LAB_SIP_HOST", "127.0.0.1"),
            udp_port: var("LAB_SIP_UDP_PORT", "35060"),
            tcp_port: var("LAB_SIP_TCP_PORT", "35060"),
            tls_port: var("LAB_SIP_TLS_PORT", "35061"),
            domain: var("LAB_SIP_DOMAIN", "127.0.0.1"),
            ca_file: PathBuf::from(var("LAB_CA_FILE", &format!("{dir}/tls/ca.pem"))),
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

    /// One line `id` for lab user `user` over `transport` ("udp", "tcp", "tls").
    pub fn line(&self, id: &str, user: &str, transport: &str, extra: &str) -> String {
        let (port, tls) = match transport {
            "udp" => (&self.udp_port, String::new()),
            "tcp" => (&self.tcp_port, String::new()),
            "tls" => (
                &self.tls_port,
                format!(
                    "\n[accounts.tls]\nca_file = \"{}\"\n",
                    self.ca_file.display()
                ),
            ),
            other => panic!("no transport {other}"),
        };
        format!(
            "[[accounts]]\nid = \"{id}\"\naor = \"sip:{user}@{domain}\"\n\
             registrar = \"sip:{host}:{port};transport={transport}\"\n\
             password_env = \"VL_TEST_PW_{user}\"\nexpires = 60\n{extra}\n{tls}",
            domain = self.domain,
            host = self.host,
        )
    }
}

/// The call peers of `tests/lab/ivr`, started when they are not running.
#[derive(Debug, Clone)]
pub struct Ivr {
    pub tone_hz: f32,
    pub rec: PathBuf,
    pub log: PathBuf,
    pub dir: PathBuf,
}

/// Started once per test binary (tests run in parallel; two starts at once would fight).
static IVR: tokio::sync::OnceCell<Ivr> = tokio::sync::OnceCell::const_new();

impl Ivr {
    pub async fn get() -> Self {
        IVR.get_or_init(Self::start).await.clone()
    }

    async fn start() -> Self {
        let script = repo_root().join("tests/lab/ivr");
        let output = Command::new(&script)
            .arg("start")
            .output()
            .await
            .expect("run tests/lab/ivr start");
        assert!(
            output.status.success(),
            "tests/lab/ivr start failed (it needs baresip-core, espeak-ng and sox: scripts/setup \
             installs them):\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let env = Command::new(&script)
            .arg("env")
            .output()
            .await
            .expect("tests/lab/ivr env");
        let text = String::from_utf8_lossy(&env.stdout);
        let get = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}='")))
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or_else(|| panic!("tests/lab/ivr env has no {name}"))
                .to_owned()
        };
        Self {
            tone_hz: get("LAB_IVR_TONE_HZ").parse().expect("tone"),
            rec: get("LAB_IVR_REC").into(),
            log: get("LAB_IVR_LOG").into(),
            dir: get("LAB_IVR_DIR").into(),
        }
    }

    /// Lines of the IVR's log from byte `from` on.
    pub fn log_since(&self, from: u64) -> String {
        let bytes = std::fs::read(&self.log).unwrap_or_default();
        String::from_utf8_lossy(&bytes[(from as usize).min(bytes.len())..]).into_owned()
    }

    pub fn log_len(&self) -> u64 {
        std::fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0)
    }

    /// The IVR hangs up its calls (BYE from the far end).
    pub async fn hang_up(&self) {
        let status = Command::new(repo_root().join("tests/lab/ivr"))
            .arg("hangup")
            .status()
            .await
            .expect("tests/lab/ivr hangup");
        assert!(status.success(), "tests/lab/ivr hangup failed");
    }

    /// The IVR calls `uri`.
    pub async fn dial(&self, uri: &str) {
        let output = Command::new(repo_root().join("tests/lab/ivr"))
            .args(["dial", uri])
            .output()
            .await
            .expect("tests/lab/ivr dial");
        assert!(
            output.status.success(),
            "tests/lab/ivr dial {uri} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Waits (bounded) until the IVR's log since `from` has `count` lines containing `what`.
    pub async fn wait_log(&self, from: u64, what: &str, count: usize, within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let text = self.log_since(from);
            if text.matches(what).count() >= count {
                return text;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("the IVR did not log {count}× {what:?} within {within:?}; its log:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The recording of what the IVR heard in its newest call (complete once that call's end
    /// is logged).
    pub fn newest_recording(&self) -> PathBuf {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.rec)
            .expect("the IVR's recordings")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with("-dec.wav"))
            .collect();
        files.sort();
        files.pop().expect("the IVR recorded nothing")
    }
}

/// Serializes the tests that call the IVR (its log and recordings are shared).
pub static IVR_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A configuration file in a temporary directory.
pub fn write_config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write config");
    (dir, path)
}

/// The CLI with `config`, the lab passwords of `users` in its environment.
pub fn cli(config: &Path, users: &[&str], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voicelamp-cli"));
    command.arg("--config").arg(config).args(args);
    for user in users {
        command.env(format!("VL_TEST_PW_{user}"), format!("pw-{user}"));
    }
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs the CLI to its end (bounded).
pub async fn run(mut command: Command, within: Duration) -> Output {
    tokio::time::timeout(within, command.output())
        .await
        .unwrap_or_else(|_| panic!("the CLI did not end within {within:?}"))
        .expect("run the CLI")
}

/// The JSON lines of an output.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The call states in order (consecutive repeats kept once).
pub fn states(lines: &[serde_json::Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in lines.iter().filter(|l| l["type"] == "call") {
        let s = l["state"]["kind"].as_str().unwrap_or("?").to_owned();
        if out.last() != Some(&s) {
            out.push(s);
        }
    }
    out
}

/// The last call line.
pub fn last_call(lines: &[serde_json::Value]) -> serde_json::Value {
    lines
        .iter()
        .rev()
        .find(|l| l["type"] == "call")
        .cloned()
        .unwrap_or_else(|| panic!("no call line in {lines:?}"))
}

pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Writes `secs` of a sine of `hz` at 8 kHz, mono, 16 bit.
pub fn tone_wav(path: &Path, hz: f32, secs: f32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).expect("tone file");
    let n = (8000.0 * secs) as usize;
    for i in 0..n {
        let t = i as f32 / 8000.0;
        let v = (2.0 * std::f32::consts::PI * hz * t).sin() * 12_000.0;
        writer.write_sample(v as i16).expect("sample");
    }
    writer.finalize().expect("tone file");
}

/// The WAV's samples (first channel) and rate.
pub fn read_wav(path: &Path) -> (Vec<f32>, u32) {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => reader
            .samples::<i32>()
            .step_by(channels)
            .map(|s| s.expect("sample") as f32 / (1 << (spec.bits_per_sample - 1)) as f32)
            .collect(),
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .step_by(channels)
            .map(|s| s.expect("sample"))
            .collect(),
    };
    (samples, spec.sample_rate)
}

/// The power of `hz` in `window` relative to the window's whole power (Goertzel), 0..=1.
fn tone_share(window: &[f32], hz: f32, rate: u32) -> f32 {
    let k = 2.0 * (2.0 * std::f32::consts::PI * hz / rate as f32).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in window {
        let s = x + k * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - k * s1 * s2;
    let total: f32 = window.iter().map(|x| x * x).sum::<f32>();
    if total < 1e-6 {
        0.0
    } else {
        (2.0 * power / (window.len() as f32 * total)).min(1.0)
    }
}

/// How many 20 ms windows of the recording are dominated by a tone of `hz` (over 50 % of
/// their power in it, and not silent).
pub fn tone_windows(path: &Path, hz: f32) -> usize {
    let (samples, rate) = read_wav(path);
    let size = (rate / 50) as usize;
    samples
        .chunks_exact(size)
        .filter(|w| {
            let rms = (w.iter().map(|x| x * x).sum::<f32>() / w.len() as f32).sqrt();
            rms > 0.01 && tone_share(w, hz, rate) > 0.5
        })
        .count()
}

#[test]
fn the_detector_finds_a_tone_and_only_that_one() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("t.wav");
    tone_wav(&path, 1100.0, 1.0);
    assert!(tone_windows(&path, 1100.0) >= 45);
    assert_eq!(tone_windows(&path, 600.0), 0);
}

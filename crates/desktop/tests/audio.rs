//! A two-hour 44.1 kHz stereo voicemail (a 1.27 GB WAV) through the tray process's real socket:
//! it is served whole in bounded chunks, a seek to 1:30:00 gets the right bytes, no message on the
//! socket is longer than a chunk's bound, and the tray process's memory stays far below the
//! file's size. The WAV is a sparse file put in the tray's audio cache (silence with marked
//! stretches whose bytes depend on their position), so it costs neither the disk nor a server.

#![cfg(target_os = "linux")]

use std::io::{Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};

const DEADLINE: Duration = Duration::from_secs(20);
const RATE: u64 = 44_100;
const CHANNELS: u64 = 2;
const BYTES_PER_SECOND: u64 = RATE * CHANNELS * 2;
const SECONDS: u64 = 2 * 3600;
const HEADER: u64 = 44;
const SIZE: u64 = HEADER + SECONDS * BYTES_PER_SECOND;
/// Audio bytes asked for per call.
const CHUNK: u64 = 1024 * 1024;
/// The longest line the tray may send: a chunk in base64 and its envelope.
const LINE_BOUND: usize = 1_500_000;
/// The tray process's peak memory may not come near the file's size.
const MEMORY_BOUND_KB: u64 = 300 * 1024;
/// Where 1:30:00 starts.
const SEEK: u64 = HEADER + 5_400 * BYTES_PER_SECOND;

/// Marked stretches: (start, length).
fn marks() -> Vec<(u64, u64)> {
    let mut marks: Vec<(u64, u64)> = (1..10)
        .map(|i| (i * 128 * 1024 * 1024 + 7, 65_536))
        .collect();
    marks.push((SEEK, 2 * CHUNK));
    marks.push((SIZE - 4_096, 4_096));
    marks
}

fn mark_byte(at: u64) -> u8 {
    (at.wrapping_mul(2_654_435_761) >> 11) as u8 | 1
}

fn header() -> Vec<u8> {
    let mut h = Vec::with_capacity(44);
    h.extend(b"RIFF");
    h.extend(((SIZE - 8) as u32).to_le_bytes());
    h.extend(b"WAVEfmt ");
    h.extend(16u32.to_le_bytes());
    h.extend(1u16.to_le_bytes());
    h.extend((CHANNELS as u16).to_le_bytes());
    h.extend((RATE as u32).to_le_bytes());
    h.extend((BYTES_PER_SECOND as u32).to_le_bytes());
    h.extend(((CHANNELS * 2) as u16).to_le_bytes());
    h.extend(16u16.to_le_bytes());
    h.extend(b"data");
    h.extend(((SIZE - HEADER) as u32).to_le_bytes());
    h
}

/// The file's bytes `offset..offset + len` as they must arrive.
fn expected(offset: u64, len: u64) -> Vec<u8> {
    let end = (offset + len).min(SIZE);
    let mut bytes = vec![0u8; (end - offset) as usize];
    for (at, b) in header().into_iter().enumerate() {
        let at = at as u64;
        if at >= offset && at < end {
            bytes[(at - offset) as usize] = b;
        }
    }
    for (start, n) in marks() {
        for at in start.max(offset)..(start + n).min(end) {
            bytes[(at - offset) as usize] = mark_byte(at);
        }
    }
    bytes
}

/// Writes the sparse WAV: the header, the marked stretches, the rest holes (silence).
fn write_wav(path: &Path) {
    let mut file = std::fs::File::create(path).expect("wav");
    file.write_all(&header()).expect("header");
    file.set_len(SIZE).expect("length");
    for (start, n) in marks() {
        file.seek(std::io::SeekFrom::Start(start)).expect("seek");
        let bytes: Vec<u8> = (start..start + n).map(mark_byte).collect();
        file.write_all(&bytes).expect("mark");
    }
    file.sync_all().expect("sync");
}

/// The tray process, killed on drop.
struct Tray(std::process::Child);

impl Drop for Tray {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Tray {
    /// Peak resident memory (kB).
    fn peak_kb(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmHWM")
    }
}

fn private_dir(path: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path).expect("folder");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).expect("mode");
    path.to_owned()
}

/// A port on loopback where nothing listens.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// The socket as the window speaks it, with every line's length checked.
struct Window {
    read: tokio::io::BufReader<tokio::net::unix::OwnedReadHalf>,
    write: tokio::net::unix::OwnedWriteHalf,
    next: u64,
    longest: usize,
}

impl Window {
    /// Asks `call` (JSON of a call) and returns the answer's value; any line longer than
    /// [`LINE_BOUND`] fails the test without being read whole.
    async fn ask(&mut self, call: serde_json::Value) -> serde_json::Value {
        self.next += 1;
        let id = self.next;
        let mut line =
            serde_json::to_vec(&serde_json::json!({"kind": "call", "id": id, "call": call}))
                .expect("json");
        line.push(b'\n');
        self.write.write_all(&line).await.expect("ask");
        loop {
            let mut line = Vec::new();
            let n = tokio::time::timeout(
                DEADLINE,
                (&mut self.read)
                    .take(LINE_BOUND as u64 + 1)
                    .read_until(b'\n', &mut line),
            )
            .await
            .expect("an answer in time")
            .expect("read");
            assert!(n > 0, "the tray process closed the socket");
            assert!(
                line.last() == Some(&b'\n') && line.len() <= LINE_BOUND,
                "the tray process sent a message of more than {LINE_BOUND} bytes"
            );
            self.longest = self.longest.max(line.len());
            let message: serde_json::Value = serde_json::from_slice(&line).expect("json");
            if message["kind"] == "reply" && message["id"] == id {
                let result = &message["result"];
                assert!(result["Err"].is_null(), "refused: {result}");
                return result["Ok"]["value"].clone();
            }
        }
    }

    async fn chunk(&mut self, offset: u64, len: u64) -> Vec<u8> {
        let value = self
            .ask(serde_json::json!({
                "call": "mailboxAudioChunk", "account": "desk", "folder": "INBOX", "id": "1-1",
                "offset": offset, "len": len,
            }))
            .await;
        assert_eq!(value["offset"].as_f64(), Some(offset as f64));
        base64::engine::general_purpose::STANDARD
            .decode(value["base64"].as_str().expect("base64"))
            .expect("base64")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_hour_stereo_message_is_served_in_chunks_and_seeks() {
    let home = tempfile::tempdir().expect("temp dir");
    let cache = home.path().join("cache");
    let messages = cache.join("voicemail/desk");
    std::fs::create_dir_all(&messages).expect("cache");
    let wav = messages.join("INBOX.1-1.wav");
    write_wav(&wav);
    let password = home.path().join("password");
    std::fs::write(&password, "pw\n").expect("password");
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).expect("mode");
    }
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nid = \"desk\"\naor = \"sip:1001@127.0.0.1\"\n\
             registrar = \"sip:127.0.0.1:{};transport=tcp\"\npassword_file = \"{}\"\n\n\
             [accounts.voicemail]\nimap = \"imap://127.0.0.1:{}\"\nallow_plaintext = true\n",
            dead_port(),
            password.display(),
            dead_port()
        ),
    )
    .expect("config");

    let runtime = private_dir(&home.path().join("run"));
    let tray = Tray(
        std::process::Command::new(env!("CARGO_BIN_EXE_voicelamp"))
            .arg("--config")
            .arg(&config)
            .arg("--minimized")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("VOICELAMP_CACHE_DIR", &cache)
            .env("VOICELAMP_DATA_DIR", home.path().join("data"))
            .env("VOICELAMP_WINDOW_PROGRAM", "/bin/false")
            .env("RUST_LOG", "error")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null())
            .spawn()
            .expect("start the tray process"),
    );
    let socket = runtime.join("voicelamp/host.sock");
    let started = Instant::now();
    let stream = loop {
        if let Ok(stream) = tokio::net::UnixStream::connect(&socket).await {
            break stream;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the tray process never listened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (read, mut write) = stream.into_split();
    write
        .write_all(b"{\"kind\":\"window\"}\n")
        .await
        .expect("hello");
    let mut window = Window {
        read: tokio::io::BufReader::new(read),
        write,
        next: 0,
        longest: 0,
    };

    let clip = window
        .ask(serde_json::json!({
            "call": "mailboxAudio", "account": "desk", "folder": "INBOX", "id": "1-1",
        }))
        .await;
    assert_eq!(clip["mime"], "audio/wav");
    assert_eq!(clip["size"].as_f64(), Some(SIZE as f64), "{clip}");
    assert!(
        clip["chunk"]
            .as_u64()
            .is_some_and(|c| (64 * 1024..=CHUNK).contains(&c))
    );

    // Played from the start to the end, chunk by chunk.
    let whole = Instant::now();
    let mut offset = 0;
    while offset < SIZE {
        let bytes = window.chunk(offset, CHUNK).await;
        assert!(!bytes.is_empty(), "the audio ended at {offset} of {SIZE}");
        assert!(
            bytes == expected(offset, bytes.len() as u64),
            "bytes at {offset} are not the file's"
        );
        offset += bytes.len() as u64;
    }
    assert_eq!(offset, SIZE);
    let whole = whole.elapsed();
    assert!(
        window.chunk(SIZE, CHUNK).await.is_empty(),
        "nothing past the end"
    );

    // A seek to 1:30:00 (not on a chunk boundary, as a player asks), and a chunk asked too big
    // comes within the bound.
    let at = SEEK + 4_410;
    let bytes = window.chunk(at, 64 * 1024).await;
    assert_eq!(
        bytes,
        expected(at, 64 * 1024),
        "1:30:00 plays the file's bytes"
    );
    assert!(bytes.iter().any(|b| *b != 0));
    let big = window.chunk(SEEK, 64 * CHUNK).await;
    assert!(
        big.len() as u64 <= CHUNK,
        "a chunk is at most {CHUNK} bytes"
    );
    assert_eq!(big, expected(SEEK, big.len() as u64));

    let peak = tray.peak_kb();
    eprintln!(
        "{SIZE} bytes in {} chunks in {:.1} s; longest message {} bytes; tray peak memory {} MiB",
        SIZE.div_ceil(CHUNK),
        whole.as_secs_f64(),
        window.longest,
        peak / 1024
    );
    assert!(
        peak < MEMORY_BOUND_KB,
        "the tray process peaked at {peak} kB for a {SIZE}-byte message"
    );
}

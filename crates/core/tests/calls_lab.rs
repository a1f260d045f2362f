//! The engine's calls against the lab: baresip (`tests/lab/ivr`) calls a line with
//! `incoming_calls = "ring"`, the engine shows it ringing, it is answered, the IVR's tone is
//! heard (recorded), and the IVR hanging up ends it. A line left at the default (`off`) never
//! rings: the caller hears 480 and Voicelamp shows nothing.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::Notify;
use voicelamp_audio::{AudioPort, WavFiles};
use voicelamp_core::call::{CallCommand, CallDirection, CallState};
use voicelamp_core::runtime::Engine;
use voicelamp_core::{Config, EngineEvent, MemoryStore, RegistrationState, Secret, SecretStore};

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn ivr_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/ivr")
}

async fn ivr(args: &[&str]) -> String {
    let output = Command::new(ivr_script())
        .args(args)
        .output()
        .await
        .expect("run tests/lab/ivr");
    assert!(
        output.status.success(),
        "tests/lab/ivr {args:?} failed (it needs a running lab, baresip-core, espeak-ng and sox): {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn config(user: &str, incoming: &str) -> Config {
    let text = format!(
        "[[accounts]]\nid = \"desk\"\naor = \"sip:{user}@{domain}\"\n\
         registrar = \"sip:{host}:{port};transport=udp\"\nexpires = 60\n\
         incoming_calls = \"{incoming}\"\n",
        domain = var("LAB_SIP_DOMAIN", "127.0.0.1"),
        host = var("LAB_SIP_HOST", "127.0.0.1"),
        port = var("LAB_SIP_UDP_PORT", "35060"),
    );
    Config::from_toml_str(&text, "config.toml".as_ref()).expect("config")
}

/// Runs the engine until `pick` finds what it waits for (bounded).
async fn until<T>(
    engine: &mut Engine,
    within: Duration,
    what: &str,
    mut pick: impl FnMut(&Engine, &EngineEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, engine.next()).await {
            Ok(Some(events)) => {
                for event in events {
                    if let Some(found) = pick(engine, &event) {
                        return found;
                    }
                    seen.push(event.to_json_line());
                }
            }
            Ok(None) => panic!("the engine stopped while waiting for {what}"),
            Err(_) => panic!("no {what} within {within:?}; saw:\n{}", seen.join("\n")),
        }
    }
}

/// Records what the call plays, and tells the test once `enough` loud samples have been played.
struct Heard {
    inner: WavFiles,
    loud: Arc<AtomicUsize>,
    enough: usize,
    reached: Arc<Notify>,
}

impl AudioPort for Heard {
    fn play(&mut self, samples: &[i16], rate: u32) {
        self.inner.play(samples, rate);
        let loud = samples.iter().filter(|s| s.unsigned_abs() > LOUD).count();
        let before = self.loud.fetch_add(loud, Ordering::Relaxed);
        if before < self.enough && before + loud >= self.enough {
            self.reached.notify_one();
        }
    }
    fn capture(&mut self, out: &mut [i16], rate: u32) -> usize {
        self.inner.capture(out, rate)
    }
    fn take_notice(&mut self) -> Option<String> {
        self.inner.take_notice()
    }
}

/// A sample of speech or tone, not line noise.
const LOUD: u16 = 2000;
/// Loud samples to hear before hanging up: a tenth of a second at 8 kHz.
const ENOUGH: usize = 800;

async fn registered(engine: &mut Engine) {
    until(engine, Duration::from_secs(10), "registration", |_, e| {
        matches!(e, EngineEvent::Registration(r) if r.state == RegistrationState::Registered)
            .then_some(())
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the lab and baresip: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn an_incoming_call_rings_is_answered_and_heard_and_the_caller_hangs_up() {
    ivr(&["start"]).await;
    let user = "1016";
    let secrets = MemoryStore::new();
    secrets
        .set("desk", &Secret::new(format!("pw-{user}")))
        .expect("password");
    let (mut engine, _) =
        Engine::start(&config(user, "ring"), None, &secrets, "Voicelamp-test").expect("engine");
    registered(&mut engine).await;
    let domain = var("LAB_SIP_DOMAIN", "127.0.0.1");
    ivr(&["dial", &format!("sip:{user}@{domain}")]).await;
    let ringing = until(
        &mut engine,
        Duration::from_secs(10),
        "a ringing call",
        |_, e| match e {
            EngineEvent::Call(view) if view.state == CallState::Ringing => Some(view.clone()),
            _ => None,
        },
    )
    .await;
    assert_eq!(ringing.direction, CallDirection::Incoming);
    assert_eq!(ringing.line, "desk");
    assert!(ringing.remote.contains("ivr"), "{ringing:?}");

    let dir = tempfile::tempdir().expect("dir");
    let record = dir.path().join("heard.wav");
    let loud = Arc::new(AtomicUsize::new(0));
    let reached = Arc::new(Notify::new());
    let port = Heard {
        inner: WavFiles::open(None, Some(&record)).expect("recording"),
        loud: loud.clone(),
        enough: ENOUGH,
        reached: reached.clone(),
    };
    engine
        .call(CallCommand::Answer, move || Box::new(port))
        .await
        .expect("answered");
    until(&mut engine, Duration::from_secs(10), "connected", |_, e| {
        matches!(e, EngineEvent::Call(v) if matches!(v.state, CallState::Connected { .. }))
            .then_some(())
    })
    .await;
    until(
        &mut engine,
        Duration::from_secs(10),
        "far-end sound",
        |_, e| matches!(e, EngineEvent::Call(v) if v.heard).then_some(()),
    )
    .await;
    // Hang up once enough of the IVR's speech was played (the first far-end sound alone is a
    // few packets), with the engine's events still taken meanwhile.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        tokio::select! {
            _ = reached.notified() => break,
            events = engine.next() => assert!(events.is_some(), "the engine stopped"),
            _ = tokio::time::sleep_until(deadline) => panic!(
                "only {} loud samples played within 15 s",
                loud.load(Ordering::Relaxed)
            ),
        }
    }
    ivr(&["hangup"]).await;
    let ended = until(
        &mut engine,
        Duration::from_secs(10),
        "the end",
        |_, e| match e {
            EngineEvent::Call(v) if v.state.is_ended() => Some(v.clone()),
            _ => None,
        },
    )
    .await;
    assert!(
        matches!(&ended.state, CallState::Ended { failed: false, .. }),
        "{ended:?}"
    );
    assert!(engine.missed_calls().is_empty());
    // The recording is complete once the call ended; the IVR's speech is in it.
    let reader = hound::WavReader::open(&record).expect("a complete recording");
    let loud = reader
        .into_samples::<i16>()
        .filter_map(Result::ok)
        .filter(|s| s.unsigned_abs() > LOUD)
        .count();
    assert!(
        loud >= ENOUGH,
        "{loud} loud samples in the recording, {ENOUGH} were played"
    );
    engine.shutdown().await;
}

#[tokio::test]
#[ignore = "needs the lab and baresip: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_line_with_incoming_calls_off_never_rings() {
    ivr(&["start"]).await;
    let user = "1018";
    let secrets = MemoryStore::new();
    secrets
        .set("desk", &Secret::new(format!("pw-{user}")))
        .expect("password");
    let (mut engine, _) =
        Engine::start(&config(user, "off"), None, &secrets, "Voicelamp-test").expect("engine");
    registered(&mut engine).await;
    let log = PathBuf::from(
        ivr(&["env"])
            .await
            .lines()
            .find_map(|l| l.strip_prefix("export LAB_IVR_LOG='"))
            .and_then(|v| v.strip_suffix('\''))
            .expect("LAB_IVR_LOG"),
    );
    let from = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0) as usize;
    let domain = var("LAB_SIP_DOMAIN", "127.0.0.1");
    ivr(&["dial", &format!("sip:{user}@{domain}")]).await;
    // The IVR hears 480; meanwhile the engine shows no call.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read(&log).unwrap_or_default();
        let text = String::from_utf8_lossy(&text[from.min(text.len())..]).into_owned();
        if text.contains("480") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the IVR did not hear 480: {text}"
        );
        if let Ok(Some(events)) =
            tokio::time::timeout(Duration::from_millis(100), engine.next()).await
        {
            assert!(
                !events.iter().any(|e| matches!(e, EngineEvent::Call(_))),
                "{events:?}"
            );
        }
    }
    assert!(engine.current_call().is_none());
    engine.shutdown().await;
}

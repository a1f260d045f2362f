//! `DeviceAudio`, `Ringer` and `NoAudio` against a real PulseAudio (tests/lab/pulse), reached
//! through ALSA's pulse plugin as on a desktop.
//!
//! A test harness of its own: the parent starts the lab's PulseAudio (and fails, saying what to
//! install, when it cannot), then runs each case in a child process of this same binary with
//! the lab's environment (`PULSE_SERVER`, `ALSA_CONFIG_PATH`, ...), one after the other, since
//! they share the daemon's devices. `cargo test -p voicelamp-audio --test pulse [NAME]`;
//! `-- --nocapture` shows every case's output.

mod support;

use std::process::{Command, ExitCode};
use std::time::Duration;

use support::*;
use voicelamp_audio::{AudioChoice, AudioError, AudioPort, DeviceAudio, NoAudio, Ringer};

const CASE: &str = "VOICELAMP_AUDIO_TEST_CASE";

type Case = fn();

const CASES: &[(&str, Case)] = &[
    ("lists_the_lab_devices", lists_the_lab_devices),
    (
        "a_1khz_tone_played_reaches_the_speaker",
        a_1khz_tone_played_reaches_the_speaker,
    ),
    (
        "a_700hz_tone_at_the_microphone_is_captured",
        a_700hz_tone_at_the_microphone_is_captured,
    ),
    (
        "a_speaker_that_fails_falls_back_to_the_default_and_says_so",
        a_speaker_that_fails_falls_back_to_the_default_and_says_so,
    ),
    (
        "capture_goes_on_from_the_default_when_the_microphone_goes_away",
        capture_goes_on_from_the_default_when_the_microphone_goes_away,
    ),
    (
        "a_missing_named_device_is_replaced_by_the_default_and_says_so",
        a_missing_named_device_is_replaced_by_the_default_and_says_so,
    ),
    (
        "without_devices_open_fails_in_words_and_no_audio_carries_on",
        without_devices_open_fails_in_words_and_no_audio_carries_on,
    ),
    (
        "the_ringer_rings_on_the_ringer_device",
        the_ringer_rings_on_the_ringer_device,
    ),
    (
        "latency_of_a_loop_through_both_rings_and_resamplers",
        latency_of_a_loop_through_both_rings_and_resamplers,
    ),
];

fn main() -> ExitCode {
    if let Ok(name) = std::env::var(CASE) {
        let case = CASES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .expect("a known case");
        case();
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--nocapture");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<&(&str, Case)> = CASES
        .iter()
        .filter(|(n, _)| filters.is_empty() || filters.iter().any(|f| n.contains(f.as_str())))
        .collect();

    if args.iter().any(|a| a == "--list") {
        for (name, _) in &chosen {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }

    let mut own: Vec<(String, String)> = Vec::new();
    if std::env::var_os("VOICELAMP_PULSE_DIR").is_none()
        && std::env::var_os("VOICELAMP_LAB_DIR").is_none()
    {
        let dir = std::env::temp_dir().join(format!("voicelamp-audio-test-{}", std::process::id()));
        own.push(("VOICELAMP_PULSE_DIR".into(), dir.display().to_string()));
    }
    let was_running = pulse("status", &own).is_ok();
    if let Err(err) = pulse("start", &own) {
        println!("FAILED: the lab's PulseAudio does not start: {err}");
        println!("0 passed, {} failed", chosen.len());
        return ExitCode::FAILURE;
    }
    let env = parse_env(&pulse("env", &own).expect("env prints"));
    let none_config = env
        .iter()
        .find(|(k, _)| k == "LAB_PULSE_NO_DEVICES_ALSA_CONFIG")
        .map(|(_, v)| v.clone())
        .expect("the lab names its ALSA configuration without devices");

    println!(
        "\nrunning {} tests against the lab's PulseAudio",
        chosen.len()
    );
    let (mut passed, mut failed) = (0, 0);
    let mut failures = Vec::new();
    for (name, _) in chosen {
        let mut cmd = Command::new(std::env::current_exe().expect("own path"));
        cmd.envs(env.iter().map(|(k, v)| (k, v))).env(CASE, name);
        if name.starts_with("without_devices") {
            cmd.env("ALSA_CONFIG_PATH", &none_config);
        }
        let out = cmd.output().expect("the test binary runs itself");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for line in text.lines().filter(|l| l.starts_with("figure:")) {
            println!("{line}");
        }
        if out.status.success() {
            passed += 1;
            println!("test {name} ... ok");
            if verbose {
                print!("{text}");
            }
        } else {
            failed += 1;
            println!("test {name} ... FAILED");
            failures.push((name, text));
        }
    }
    for (name, text) in &failures {
        println!("\n---- {name} ----\n{text}");
    }
    if !was_running && let Err(err) = pulse("stop", &own) {
        println!("{err}");
    }
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {verdict}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out"
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn choice(microphone: Option<&str>, speaker: Option<&str>) -> AudioChoice {
    AudioChoice {
        microphone: microphone.map(str::to_owned),
        speaker: speaker.map(str::to_owned),
        ringer: None,
    }
}

fn lists_the_lab_devices() {
    let devices = voicelamp_audio::list_devices();
    let outputs: Vec<&str> = devices.outputs.iter().map(|d| d.name.as_str()).collect();
    let inputs: Vec<&str> = devices.inputs.iter().map(|d| d.name.as_str()).collect();
    for want in ["voicelamp_speaker", "voicelamp_ringer", "voicelamp_headset"] {
        assert!(
            outputs.contains(&want),
            "{want} missing from outputs {outputs:?}"
        );
    }
    for plugin in ["null", "lavrate", "speexrate", "upmix"] {
        assert!(
            !outputs.contains(&plugin),
            "{plugin} is a converter, not a device: {outputs:?}"
        );
    }
    assert!(
        inputs.contains(&"voicelamp_mic"),
        "voicelamp_mic missing from inputs {inputs:?}"
    );
    let headset = devices
        .outputs
        .iter()
        .find(|d| d.name == "voicelamp_headset")
        .unwrap();
    assert_eq!(
        headset.label, "Voicelamp lab headset",
        "the label a person reads"
    );
    assert!(
        devices.outputs.iter().any(|d| d.is_default),
        "the default output is marked"
    );
}

fn a_1khz_tone_played_reaches_the_speaker() {
    for codec_rate in [8000u32, 48000] {
        let recorder = Recorder::start("voicelamp_speaker.monitor");
        let mut audio = DeviceAudio::open(&choice(None, Some("voicelamp_speaker"))).expect("opens");
        assert_eq!(audio.devices_in_use().0, Some("Voicelamp lab speaker"));
        let mut tone = Sine::new(1000.0, 0.5, codec_rate);
        let found = every_20ms(Duration::from_secs(15), |n| {
            audio.play(&tone.frame(20), codec_rate);
            // Judge a whole second once the recording has had time to fill with the tone.
            (n % 5 == 0 && n >= 40)
                .then(|| has_tone(&recorder.last(0.4), 1000.0, 0.5, LAB_RATE).ok())
                .flatten()
        });
        let last = recorder.last(0.4);
        assert!(
            found.is_some(),
            "codec rate {codec_rate}: no 1 kHz tone at the speaker's monitor: {:?} (recorded {} samples)",
            has_tone(&last, 1000.0, 0.5, LAB_RATE),
            recorder.len()
        );
        let stats = audio.stats();
        println!(
            "figure: playback at {codec_rate} Hz to a {} Hz device: {stats:?}",
            stats.output_rate
        );
        let notice = audio.take_notice();
        assert!(
            notice.is_none(),
            "nothing to say on a working speaker: {notice:?}"
        );
    }
}

fn a_700hz_tone_at_the_microphone_is_captured() {
    let _feed = Injector::tone("voicelamp_mic_feed", 700.0, 0.4, 15);
    let mut audio = DeviceAudio::open(&choice(Some("voicelamp_mic"), None)).expect("opens");
    let rate = 16000;
    let mut captured: Vec<i16> = Vec::new();
    let mut frame = vec![0i16; (rate / 50) as usize];
    let found = every_20ms(Duration::from_secs(15), |n| {
        let got = audio.capture(&mut frame, rate);
        assert!(got <= frame.len());
        captured.extend_from_slice(&frame[..got]);
        let second = rate as usize;
        (n % 10 == 0 && captured.len() > 2 * second)
            .then(|| has_tone(&captured[captured.len() - second..], 700.0, 0.4, rate).ok())
            .flatten()
    });
    let tail = &captured[captured.len().saturating_sub(rate as usize)..];
    assert!(
        found.is_some(),
        "no 700 Hz tone in what capture returned: {:?} ({} samples captured)",
        has_tone(tail, 700.0, 0.4, rate),
        captured.len()
    );
    println!(
        "figure: capture at {rate} Hz from a {} Hz device: {:?}",
        audio.stats().input_rate,
        audio.stats()
    );
}

fn headset_module() -> Option<String> {
    pactl(&["list", "short", "modules"])
        .lines()
        .find(|l| l.contains("sink_name=voicelamp_headset"))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_owned)
}

fn a_speaker_that_fails_falls_back_to_the_default_and_says_so() {
    if headset_module().is_none() {
        pactl(&[
            "load-module",
            "module-null-sink",
            "sink_name=voicelamp_headset",
            "sink_properties=device.description=Voicelamp-lab-headset",
        ]);
    }
    let headset = Recorder::start("voicelamp_headset.monitor");
    let speaker = Recorder::start("voicelamp_speaker.monitor");
    let mut audio = DeviceAudio::open(&choice(None, Some("voicelamp_headset"))).expect("opens");
    assert_eq!(audio.devices_in_use().0, Some("Voicelamp lab headset"));
    let rate = 16000;
    let mut tone = Sine::new(1500.0, 0.5, rate);
    let on_headset = every_20ms(Duration::from_secs(15), |n| {
        audio.play(&tone.frame(20), rate);
        (n % 10 == 0 && n >= 40)
            .then(|| has_tone(&headset.last(0.5), 1500.0, 0.5, LAB_RATE).ok())
            .flatten()
    });
    assert!(
        on_headset.is_some(),
        "the tone never reached the headset: {:?}; notice {:?}; {:?}",
        has_tone(&headset.last(0.5), 1500.0, 0.5, LAB_RATE),
        audio.take_notice(),
        audio.stats()
    );

    // A device whose stream dies (a USB headset pulled out under plain ALSA, WASAPI's "device
    // invalidated"): here the sound server ends our stream on the headset.
    let ours = sink_inputs_on("voicelamp_headset");
    assert_eq!(ours.len(), 1, "one stream plays on the headset: {ours:?}");
    pacmd(&["kill-sink-input", &ours[0]]);
    // The wait is a bound, not a delay: it ends at the notice (the failure is seen once the
    // stream's callback stays silent, at most 5 s; the default opens on a helper thread).
    let notice = every_20ms(Duration::from_secs(30), |_| {
        audio.play(&tone.frame(20), rate);
        audio.take_notice()
    });
    let notice = notice.unwrap_or_else(|| {
        panic!(
            "no notice after the headset's stream ended: {:?}",
            audio.stats()
        )
    });
    println!("notice: {notice}");
    assert!(
        notice.contains("Voicelamp lab headset")
            && notice.contains("now using the default speaker"),
        "the notice names the lost device and the fallback: {notice}"
    );
    assert!(
        !notice.contains("Error") && !notice.contains("{"),
        "words, not a dump: {notice}"
    );
    let on_default = every_20ms(Duration::from_secs(15), |n| {
        audio.play(&tone.frame(20), rate);
        (n % 10 == 0 && n >= 40)
            .then(|| has_tone(&speaker.last(0.5), 1500.0, 0.5, LAB_RATE).ok())
            .flatten()
    });
    assert!(
        on_default.is_some(),
        "after the fallback the tone is not at the default speaker: {:?}",
        has_tone(&speaker.last(0.5), 1500.0, 0.5, LAB_RATE)
    );
    assert_ne!(audio.devices_in_use().0, Some("Voicelamp lab headset"));
    drop(audio);

    // A sink that goes away while a stream plays on it: PulseAudio (like PipeWire) moves the
    // stream to the default sink itself, so the sound goes on there without our stream failing.
    let mut audio = DeviceAudio::open(&choice(None, Some("voicelamp_headset"))).expect("opens");
    let on_headset = every_20ms(Duration::from_secs(15), |n| {
        audio.play(&tone.frame(20), rate);
        (n % 10 == 0 && n >= 40)
            .then(|| has_tone(&headset.last(0.5), 1500.0, 0.5, LAB_RATE).ok())
            .flatten()
    });
    assert!(
        on_headset.is_some(),
        "the tone never reached the headset again"
    );
    let module = headset_module().expect("the headset sink is loaded");
    pactl(&["unload-module", &module]);
    let moved = every_20ms(Duration::from_secs(15), |n| {
        audio.play(&tone.frame(20), rate);
        (n % 10 == 0 && n >= 40)
            .then(|| has_tone(&speaker.last(0.5), 1500.0, 0.5, LAB_RATE).ok())
            .flatten()
    });
    pactl(&[
        "load-module",
        "module-null-sink",
        "sink_name=voicelamp_headset",
        "sink_properties=device.description=Voicelamp-lab-headset",
    ]);
    assert!(
        moved.is_some(),
        "after the headset sink went away the tone is not at the default speaker: {:?}; notice {:?}",
        has_tone(&speaker.last(0.5), 1500.0, 0.5, LAB_RATE),
        audio.take_notice()
    );
}

/// Runs `pacmd` (the sound server's CLI protocol, for what `pactl` cannot do) or fails the test.
fn pacmd(args: &[&str]) {
    let out = Command::new("pacmd")
        .args(args)
        .output()
        .expect("pacmd runs (Debian package pulseaudio)");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !said.contains("No "),
        "pacmd {args:?} failed: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The sound server's streams (sink inputs) that play on the sink named `sink`.
fn sink_inputs_on(sink: &str) -> Vec<String> {
    let sinks = pactl(&["list", "short", "sinks"]);
    let Some(index) = sinks
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(sink))
        .and_then(|l| l.split_whitespace().next())
    else {
        return Vec::new();
    };
    pactl(&["list", "short", "sink-inputs"])
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(index))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn module_of(name_arg: &str) -> Option<String> {
    pactl(&["list", "short", "modules"])
        .lines()
        .find(|l| l.contains(name_arg))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_owned)
}

fn capture_goes_on_from_the_default_when_the_microphone_goes_away() {
    let mic = "source_name=voicelamp_mic";
    let reload = || {
        if module_of(mic).is_none() {
            pactl(&[
                "load-module",
                "module-remap-source",
                mic,
                "master=voicelamp_mic_feed.monitor",
                "source_properties=device.description=Voicelamp-lab-microphone",
            ]);
        }
        pactl(&["set-default-source", "voicelamp_mic"]);
    };
    reload();
    // Sound at the microphone, and the same tone on the speaker, whose monitor becomes the
    // default source once the microphone is gone.
    let _feed = Injector::tone("voicelamp_mic_feed", 700.0, 0.4, 20);
    let _speaker = Injector::tone("voicelamp_speaker", 700.0, 0.4, 20);
    pactl(&["set-default-source", "voicelamp_speaker.monitor"]);
    let mut audio = DeviceAudio::open(&choice(Some("voicelamp_mic"), None)).expect("opens");
    assert_eq!(audio.devices_in_use().1, Some("Voicelamp lab microphone"));
    let rate = 8000;
    let mut frame = vec![0i16; 160];
    let mut captured: Vec<i16> = Vec::new();
    let mut tick = |audio: &mut DeviceAudio, captured: &mut Vec<i16>| {
        let got = audio.capture(&mut frame, rate);
        captured.extend_from_slice(&frame[..got]);
    };
    let first = every_20ms(Duration::from_secs(15), |n| {
        tick(&mut audio, &mut captured);
        (n % 5 == 0 && captured.len() > 8000)
            .then(|| has_tone(&captured[captured.len() - 4000..], 700.0, 0.4, rate).ok())
            .flatten()
    });
    assert!(first.is_some(), "the microphone never captured the tone");

    let module = module_of(mic).expect("the microphone is loaded");
    pactl(&["unload-module", &module]);
    // PulseAudio moves a recording whose source went away to the default source itself; if
    // the stream fails instead, DeviceAudio opens the default and says so. Either way the
    // capture goes on, from the default source, which hears the same tone.
    captured.clear();
    let mut notices = Vec::new();
    let again = every_20ms(Duration::from_secs(15), |n| {
        tick(&mut audio, &mut captured);
        notices.extend(audio.take_notice());
        (n % 5 == 0 && n >= 25 && captured.len() > 4000)
            .then(|| has_tone(&captured[captured.len() - 4000..], 700.0, 0.4, rate).ok())
            .flatten()
    });
    reload();
    println!("notices: {notices:?}");
    assert!(
        again.is_some(),
        "nothing captured after the microphone went away: {:?}; notices {notices:?}",
        has_tone(
            &captured[captured.len().saturating_sub(4000)..],
            700.0,
            0.4,
            rate
        )
    );
    for notice in &notices {
        assert!(
            notice.contains(
                "the microphone \u{201c}Voicelamp lab microphone\u{201d} stopped working"
            ) && notice.contains("now using the default microphone"),
            "only the microphone's fallback is news: {notice}"
        );
    }
}

fn a_missing_named_device_is_replaced_by_the_default_and_says_so() {
    let mut audio = DeviceAudio::open(&choice(Some("Old USB microphone"), Some("Old USB headset")))
        .expect("opens the defaults");
    let mut notices = Vec::new();
    while let Some(n) = audio.take_notice() {
        notices.push(n);
    }
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(
        notices[0].contains(
            "\u{201c}Old USB headset\u{201d} is not connected; using the default speaker"
        ),
        "{}",
        notices[0]
    );
    assert!(
        notices[1].contains(
            "\u{201c}Old USB microphone\u{201d} is not connected; using the default microphone"
        ),
        "{}",
        notices[1]
    );
}

fn without_devices_open_fails_in_words_and_no_audio_carries_on() {
    let err = DeviceAudio::open(&AudioChoice::default()).expect_err("no device to open");
    let words = err.to_string();
    println!("open without devices: {words}");
    assert!(
        matches!(err, AudioError::NoDevice { what: "speaker" }),
        "{err:?}"
    );
    assert!(
        words.starts_with("no sound device for the speaker: connect one"),
        "{words}"
    );
    assert!(
        !words.contains("Error {") && !words.contains("BackendSpecific"),
        "words: {words}"
    );
    let mut audio = NoAudio::new();
    assert_eq!(
        audio.take_notice().as_deref(),
        Some("no sound device: the call goes on without sound")
    );
    assert_eq!(audio.take_notice(), None, "said once");
    audio.play(&[1000; 160], 8000);
    let mut frame = [7i16; 160];
    assert_eq!(audio.capture(&mut frame, 8000), 160);
    assert!(frame.iter().all(|&s| s == 0), "silence");
    let ringer = Ringer::start(None);
    assert!(ringer.is_err(), "no device to ring on either");
}

fn the_ringer_rings_on_the_ringer_device() {
    let ringer_monitor = Recorder::start("voicelamp_ringer.monitor");
    let mut ringer = Ringer::start(Some("voicelamp_ringer")).expect("rings");
    assert_eq!(ringer.device(), "Voicelamp lab ringer");
    assert!(ringer.take_notice().is_none());
    // The media crate's ringer: 440 Hz + 554 Hz at a quarter of full scale each, trilled (on
    // half the time) for 1.5 s of every 5 s.
    let heard = every_20ms(Duration::from_secs(15), |n| {
        let x = ringer_monitor.last(0.5);
        (n % 5 == 0 && x.len() >= 8000)
            .then(|| {
                let (a, b) = (level(&x, 440.0, LAB_RATE), level(&x, 554.37, LAB_RATE));
                (a > 0.08 && b > 0.08 && level(&x, 1000.0, LAB_RATE) < 0.02).then_some((a, b))
            })
            .flatten()
    });
    assert!(heard.is_some(), "no ringing at the ringer's monitor");
    ringer.stop();
    // Stopped: the monitor falls silent.
    let quiet = every_20ms(Duration::from_secs(5), |n| {
        let x = ringer_monitor.last(0.3);
        (n >= 20 && level(&x, 440.0, LAB_RATE) < 0.01).then_some(())
    });
    assert!(quiet.is_some(), "still ringing after stop");
}

/// Plays into the null sink behind the lab's microphone and captures that microphone: bursts
/// of 1 kHz go round through playback ring + resampler, PulseAudio and capture ring +
/// resampler. Prints the figures; asserts only that bursts come back (a loaded machine may
/// lose one to a stalled device thread, so there are eight).
fn latency_of_a_loop_through_both_rings_and_resamplers() {
    let mut audio = DeviceAudio::open(&choice(Some("voicelamp_mic"), Some("voicelamp_mic_feed")))
        .expect("opens");
    let rate = 8000;
    let frame_len = (rate / 50) as usize;
    let mut burst = Sine::new(1000.0, 0.5, rate);
    let mut captured: Vec<i16> = Vec::new();
    let mut frame = vec![0i16; frame_len];
    // Where `captured` stood when each burst was played, and where it came back.
    let mut played: Vec<usize> = Vec::new();
    let mut heard: Vec<Option<usize>> = Vec::new();
    let mut scanned = 0usize;
    every_20ms(Duration::from_secs(15), |n| {
        // 1 s to settle, then every second 100 ms of tone and 900 ms of silence.
        let k = n.saturating_sub(50);
        let out = if n >= 50 && k % 50 < 5 && played.len() < 8 {
            if k % 50 == 0 {
                played.push(captured.len());
                heard.push(None);
            }
            burst.frame(20)
        } else {
            vec![0; frame_len]
        };
        audio.play(&out, rate);
        let got = audio.capture(&mut frame, rate);
        captured.extend_from_slice(&frame[..got]);
        let last = played.len().checked_sub(1)?;
        scanned = scanned.max(played[last]);
        while heard[last].is_none() && scanned + 40 <= captured.len() {
            if level(&captured[scanned..scanned + 40], 1000.0, rate) > 0.25 {
                heard[last] = Some(scanned);
            }
            scanned += 1;
        }
        // Done when the eighth burst is back, or had a second to come back.
        let done = played.len() == 8
            && (heard[last].is_some() || captured.len() > played[last] + rate as usize);
        done.then_some(())
    });
    let mut ms: Vec<f64> = played
        .iter()
        .zip(&heard)
        .filter_map(|(p, h)| h.map(|h| (h - p) as f64 * 1000.0 / f64::from(rate)))
        .collect();
    let stats = audio.stats();
    assert!(
        !ms.is_empty(),
        "no burst came back through the loop ({} played); notice {:?}; {stats:?}",
        played.len(),
        audio.take_notice()
    );
    ms.sort_by(f64::total_cmp);
    println!(
        "figure: loop latency play() → PulseAudio → capture() at {rate} Hz: median {:.0} ms, \
         min {:.0} ms, max {:.0} ms over {} of {} bursts (resamplers {:.1} ms, playback queue \
         now {:.1} ms, device rates {}/{})",
        ms[ms.len() / 2],
        ms[0],
        ms[ms.len() - 1],
        ms.len(),
        played.len(),
        stats.resampler_delay_ms,
        stats.playback_queue_ms,
        stats.output_rate,
        stats.input_rate
    );
}

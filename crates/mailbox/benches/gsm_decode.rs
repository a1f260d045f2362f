//! Decode throughput of a 60-second GSM 06.10 wav49 voicemail, compared with sox (libgsm) decoding
//! the same file in the same run.
//!
//! The input is made at start-up with espeak-ng and sox (both required). Criterion measures our
//! decoder; then a summary prints samples per second and multiples of real time for the crate,
//! for the `sox in.wav -e signed-integer -b 16 out.wav` command, for that command less sox's
//! start-up cost (measured on a one-block file), and for sox decoding to its null output less
//! start-up, so the codecs themselves can be compared.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use voicelamp_mailbox::audio::decode_to_wav;

/// Length of the benchmark voicemail.
const SECONDS: u32 = 60;
/// Sample rate of GSM 06.10.
const RATE: u32 = 8000;
/// Timed runs of each command for the summary.
const RUNS: u32 = 15;

/// Runs a required tool, failing with a clear message.
fn run(tool: &str, args: &[&str]) {
    let status = Command::new(tool)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("`{tool}` is required by this benchmark ({e})"));
    assert!(status.success(), "`{tool} {}` failed", args.join(" "));
}

/// Makes a 60 s wav49 file of repeated synthetic speech and a one-block file, returns their paths.
fn make_inputs(dir: &Path) -> (String, String) {
    let p = |name: &str| dir.join(name).to_str().expect("UTF-8 temp path").to_owned();
    let (speech, long, short) = (p("speech.wav"), p("voicemail49.wav"), p("one-block49.wav"));
    run(
        "espeak-ng",
        &[
            "-w",
            &speech,
            "Hello, this is a message for the front desk. Please call me back about the \
             delivery that was due this morning, my number is five five five, one two three four.",
        ],
    );
    let effects = ["repeat", "20", "trim", "0", &SECONDS.to_string()].map(str::to_owned);
    let mut args = vec![
        speech.as_str(),
        "-r",
        "8000",
        "-c",
        "1",
        "-e",
        "gsm-full-rate",
        long.as_str(),
    ];
    args.extend(effects.iter().map(String::as_str));
    run("sox", &args);
    run(
        "sox",
        &[
            &speech,
            "-r",
            "8000",
            "-c",
            "1",
            "-e",
            "gsm-full-rate",
            &short,
            "trim",
            "0",
            "320s",
        ],
    );
    (long, short)
}

/// Median wall time of `runs` calls of `f`.
fn median_time(runs: u32, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

/// Median wall time of sox decoding `input` to 16-bit PCM WAV.
fn sox_time(input: &str, output: &str) -> Duration {
    median_time(RUNS, || {
        run("sox", &[input, "-e", "signed-integer", "-b", "16", output])
    })
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (long, short) = make_inputs(dir.path());
    let bytes = std::fs::read(&long).expect("generated input");
    let samples = decode_to_wav(&bytes).expect("decodes").samples.len() as u64;
    assert!(samples >= u64::from(SECONDS * RATE), "{samples} samples");

    let mut criterion = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = criterion.benchmark_group("gsm610");
    group.throughput(Throughput::Elements(samples));
    group.bench_function("decode_60s_wav49", |b| {
        b.iter(|| decode_to_wav(black_box(&bytes)))
    });
    group.bench_function("decode_60s_wav49_to_wav_bytes", |b| {
        b.iter(|| decode_to_wav(black_box(&bytes)).map(|a| a.to_wav_bytes()))
    });
    group.finish();
    criterion.final_summary();

    // Summary: the crate (decode + WAV serialisation + file write, like sox) against sox.
    let ours_out = dir.path().join("ours.wav");
    let ours_decode = median_time(RUNS * 4, || {
        black_box(decode_to_wav(black_box(&bytes)).expect("decodes"));
    });
    let ours_file = median_time(RUNS * 4, || {
        let input = std::fs::read(&long).expect("read");
        let wav = decode_to_wav(&input).expect("decodes").to_wav_bytes();
        std::fs::write(&ours_out, wav).expect("write");
    });
    let sox_out = dir
        .path()
        .join("sox.wav")
        .to_str()
        .expect("UTF-8")
        .to_owned();
    let sox_long = sox_time(&long, &sox_out);
    let sox_short = sox_time(&short, &sox_out);
    let sox_net = sox_long
        .saturating_sub(sox_short)
        .max(Duration::from_micros(1));
    // Decoding only: sox's null output writes nothing, so this is libgsm plus sox's sample loop.
    let sox_null = |input: &str| median_time(RUNS, || run("sox", &[input, "-n"]));
    let sox_decode = sox_null(&long)
        .saturating_sub(sox_null(&short))
        .max(Duration::from_micros(1));

    let audio_secs = samples as f64 / f64::from(RATE);
    let line = |name: &str, t: Duration| {
        let s = t.as_secs_f64();
        println!(
            "{name:<46} {:>9.3} ms  {:>7.2} Msamples/s  {:>8.0}x real time",
            s * 1e3,
            samples as f64 / s / 1e6,
            audio_secs / s
        );
    };
    println!(
        "\n{audio_secs:.1} s of wav49 ({} bytes, {samples} samples), medians of {RUNS}+ runs:",
        bytes.len()
    );
    line("voicelamp decode_to_wav (in memory)", ours_decode);
    line("voicelamp read + decode + WAV + write", ours_file);
    line("sox command (process, read, decode, write)", sox_long);
    line("sox command less start-up (one-block file)", sox_net);
    line("sox decode only (null output, less start-up)", sox_decode);
    println!(
        "speed vs sox: {:.2}x (in-memory decode vs sox decode only), {:.2}x (file to file vs sox \
         command less start-up), {:.2}x (file to file vs the whole sox command)",
        sox_decode.as_secs_f64() / ours_decode.as_secs_f64(),
        sox_net.as_secs_f64() / ours_file.as_secs_f64(),
        sox_long.as_secs_f64() / ours_file.as_secs_f64()
    );
}

//! `WavFiles`: a WAV as the microphone and a WAV that records what the call hears; `NoAudio`.

mod support;

use std::path::Path;

use support::{Sine, level};
use voicelamp_audio::{AudioError, AudioPort, NoAudio, WavFiles};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("voicelamp-audio-wav-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_wav(path: &Path, rate: u32, channels: u16, freq: f64, seconds: f64) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut tone = Sine::new(freq, 0.5, rate);
    let frames = tone.frame((seconds * 1000.0) as u32);
    for s in frames {
        for _ in 0..channels {
            w.write_sample(s).unwrap();
        }
    }
    w.finalize().unwrap();
}

#[test]
fn a_stereo_44k_wav_is_the_microphone_at_the_codec_rate_then_silence() {
    let dir = temp_dir("play");
    let path = dir.join("ivr.wav");
    write_wav(&path, 44100, 2, 700.0, 1.0);
    let mut files = WavFiles::open(Some(&path), None).unwrap();
    let mut all = Vec::new();
    let mut frame = [0i16; 160];
    for _ in 0..75 {
        assert_eq!(files.capture(&mut frame, 8000), 160, "always a whole frame");
        all.extend_from_slice(&frame);
    }
    // 1 s of tone, resampled to 8 kHz: its middle has the tone at its level.
    let middle = &all[1000..7000];
    let at = level(middle, 700.0, 8000);
    assert!((at - 0.5).abs() < 0.05, "700 Hz at {at}");
    assert!(level(middle, 1000.0, 8000) < 0.01);
    // Then silence.
    assert!(
        all[8200..].iter().all(|&s| s == 0),
        "silence after the file's end"
    );
    assert!(files.take_notice().is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_recording_appears_whole_on_finish_at_the_call_rate() {
    let dir = temp_dir("record");
    let path = dir.join("heard.wav");
    let mut files = WavFiles::open(None, Some(&path)).unwrap();
    let mut tone = Sine::new(1000.0, 0.5, 16000);
    for _ in 0..50 {
        files.play(&tone.frame(20), 16000);
    }
    assert!(!path.exists(), "no half-written file under the final name");
    let mut frame = [5i16; 320];
    assert_eq!(files.capture(&mut frame, 16000), 320);
    assert!(
        frame.iter().all(|&s| s == 0),
        "no --play: the far end hears silence"
    );
    files.finish().unwrap();
    let mut r = hound::WavReader::open(&path).unwrap();
    let spec = r.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, 16000, 16)
    );
    let samples: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
    assert_eq!(samples.len(), 16000);
    assert!((level(&samples, 1000.0, 16000) - 0.5).abs() < 0.01);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "the temporary file is gone: {left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_codec_change_mid_call_keeps_the_recording_at_its_first_rate() {
    let dir = temp_dir("rates");
    let path = dir.join("heard.wav");
    let mut files = WavFiles::open(None, Some(&path)).unwrap();
    let mut a = Sine::new(1000.0, 0.5, 8000);
    let mut b = Sine::new(1000.0, 0.5, 48000);
    for _ in 0..50 {
        files.play(&a.frame(20), 8000);
    }
    for _ in 0..50 {
        files.play(&b.frame(20), 48000);
    }
    drop(files); // dropping finishes too
    let mut r = hound::WavReader::open(&path).unwrap();
    assert_eq!(r.spec().sample_rate, 8000);
    let samples: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
    assert!(
        samples.len() > 15800 && samples.len() <= 16000,
        "{}",
        samples.len()
    );
    let second = &samples[9000..15000];
    assert!(
        (level(second, 1000.0, 8000) - 0.5).abs() < 0.03,
        "the 48 kHz part resampled"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_or_broken_file_is_refused_in_words() {
    let dir = temp_dir("broken");
    let missing = dir.join("nope.wav");
    let err = WavFiles::open(Some(&missing), None).unwrap_err();
    assert!(matches!(err, AudioError::ReadWav { .. }));
    assert!(
        err.to_string().starts_with("cannot read the sound file"),
        "{err}"
    );
    let junk = dir.join("junk.wav");
    std::fs::write(&junk, b"this is not a wav file at all").unwrap();
    let err = WavFiles::open(Some(&junk), None).unwrap_err();
    assert!(err.to_string().contains("is not a WAV file"), "{err}");
    assert!(
        !err.to_string().contains("FormatError("),
        "words, not a dump: {err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_recording_into_a_missing_folder_fails_once_with_a_notice_and_the_call_goes_on() {
    let dir = temp_dir("nofolder");
    let path = dir.join("not-there").join("heard.wav");
    let mut files = WavFiles::open(None, Some(&path)).unwrap();
    files.play(&[100; 160], 8000);
    files.play(&[100; 160], 8000);
    let notice = files.take_notice().expect("a notice");
    assert!(notice.starts_with("cannot write the recording"), "{notice}");
    assert!(
        notice.ends_with("the rest of the call is not recorded"),
        "{notice}"
    );
    assert!(files.take_notice().is_none(), "said once");
    assert!(files.finish().is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_audio_is_silence_and_says_so_once() {
    let mut audio = NoAudio::new();
    audio.play(&[1000; 160], 8000);
    let mut frame = [3i16; 160];
    assert_eq!(audio.capture(&mut frame, 8000), 160);
    assert_eq!(frame, [0; 160]);
    assert_eq!(
        audio.take_notice().as_deref(),
        Some("no sound device: the call goes on without sound")
    );
    assert_eq!(audio.take_notice(), None);
}

//! Voicemail audio decoding: any attachment a voicemail server sends (16/8-bit PCM, G.711 µ-law and
//! A-law, GSM 06.10 "wav49" WAV, raw `.gsm`, MP3) to 16-bit PCM, ready to be served as a WAV file.
//! GSM and G.711 are decoded by `voicelamp-codec` (the same code as a call's RTP), bit-exact with
//! libgsm and sox; MP3 goes through `symphonia`.
//!
//! ```
//! use voicelamp_mailbox::audio::{decode_to_wav, probe, AudioFormat};
//! # fn main() -> Result<(), voicelamp_mailbox::audio::AudioError> {
//! # let attachment = voicelamp_mailbox::audio::DecodedAudio {
//! #     sample_rate: 8000, channels: 1, samples: vec![0; 80] }.to_wav_bytes();
//! assert_eq!(probe(&attachment)?, AudioFormat::Pcm16);
//! let audio = decode_to_wav(&attachment)?;
//! let wav: Vec<u8> = audio.to_wav_bytes();
//! # assert_eq!(wav, attachment);
//! # Ok(()) }
//! ```
//!
//! # Bounds and truncation
//! Input larger than [`MAX_INPUT_BYTES`] or decoding to more than [`MAX_OUTPUT_SAMPLES`] is
//! refused with [`AudioError::TooLarge`] before any decoding. Within a file, whole codec blocks
//! (a 65-byte GSM block, a 33-byte GSM frame, one PCM/G.711 sample frame) are decoded. Bytes left
//! over after the last whole block make the file [`AudioError::Truncated`], except when a `fact`
//! chunk says the whole blocks already hold every sample (a writer's padding). A `data` chunk that
//! declares more bytes than the file holds is decoded up to what is there under the same rule, so
//! streamed files with a placeholder size play, and files cut mid-block are reported. As with
//! libgsm (sox), every sample of every whole GSM block is output: the `fact` count does not trim
//! the last block's padding. An MP3 stream cut inside a frame keeps the frames before it, and
//! frames the MP3 decoder rejects are skipped.
//!
//! Decoding never panics, whatever the bytes (property-tested, the MP3 path included).

mod decoded;
mod error;
mod mp3;
mod pcm;
mod probe;
pub mod riff;

use voicelamp_codec::g711;
/// GSM 06.10, re-exported from `voicelamp-codec` for the file formats built on it.
pub use voicelamp_codec::gsm610;

pub use decoded::DecodedAudio;
pub use error::AudioError;
pub use probe::{AudioFormat, codec_of_prefix, tag};

use gsm610::{FRAME_BYTES, FRAME_SAMPLES, WAV49_BLOCK_BYTES, WAV49_BLOCK_SAMPLES};
use riff::WaveFile;

/// Largest input accepted (256 MiB; a 2-hour 16-bit 8 kHz voicemail is 110 MiB). The IMAP store
/// fetches at most [`crate::imap::MAX_AUDIO_PART_BYTES`] of base64, which decodes to less.
pub const MAX_INPUT_BYTES: usize = 256 * 1024 * 1024;

/// Largest decoded output accepted, in samples over all channels: two hours of 48 kHz stereo
/// (1.29 GiB of 16-bit PCM), so a two-hour 44.1 kHz stereo MP3 plays; anything longer is
/// refused with [`AudioError::TooLarge`] rather than grown without bound.
pub const MAX_OUTPUT_SAMPLES: usize = 2 * 3600 * 48_000 * 2;

/// Highest sample rate accepted.
const MAX_SAMPLE_RATE: u32 = 384_000;

/// Most channels accepted.
const MAX_CHANNELS: u16 = 8;

/// Names the format of a voicemail attachment without decoding it.
pub fn probe(input: &[u8]) -> Result<AudioFormat, AudioError> {
    check_input_size(input)?;
    probe::probe_bytes(input)
}

/// Decodes a voicemail attachment to 16-bit PCM; [`DecodedAudio::to_wav_bytes`] makes it a WAV.
pub fn decode_to_wav(input: &[u8]) -> Result<DecodedAudio, AudioError> {
    match probe(input)? {
        AudioFormat::Gsm610Raw => decode_raw_gsm(input),
        AudioFormat::Mp3 if !input.starts_with(b"RIFF") => {
            mp3::decode_mp3(input, MAX_OUTPUT_SAMPLES)
        }
        _ => decode_wave(&riff::parse_wave(input)?),
    }
}

/// Refuses inputs larger than [`MAX_INPUT_BYTES`].
fn check_input_size(input: &[u8]) -> Result<(), AudioError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(AudioError::TooLarge {
            what: "input size in bytes",
            limit: MAX_INPUT_BYTES as u64,
        });
    }
    Ok(())
}

/// Refuses outputs larger than [`MAX_OUTPUT_SAMPLES`].
fn check_output_size(samples: usize) -> Result<(), AudioError> {
    if samples > MAX_OUTPUT_SAMPLES {
        return Err(AudioError::TooLarge {
            what: "decoded sample count",
            limit: MAX_OUTPUT_SAMPLES as u64,
        });
    }
    Ok(())
}

/// The number of bytes of `data` to decode: whole `unit`-byte blocks. A partial last block is
/// [`AudioError::Truncated`] unless `fact` (samples per channel) is already covered by the whole
/// blocks of `samples_per_unit` samples each.
fn whole_units(
    data: &[u8],
    unit: usize,
    samples_per_unit: usize,
    fact: Option<u32>,
) -> Result<usize, AudioError> {
    let units = data.len() / unit;
    if data.len().is_multiple_of(unit) {
        return Ok(units);
    }
    let covered = units.saturating_mul(samples_per_unit);
    match fact {
        Some(n) if covered >= n as usize => Ok(units),
        _ => Err(AudioError::Truncated {
            what: "audio data ends inside a block",
        }),
    }
}

/// Decodes the audio of a parsed WAVE file.
fn decode_wave(wave: &WaveFile<'_>) -> Result<DecodedAudio, AudioError> {
    let fmt = &wave.fmt;
    let format = probe::wave_format(fmt)?;
    if fmt.channels == 0 || fmt.sample_rate == 0 {
        return Err(AudioError::Corrupt {
            what: "zero channels or zero sample rate",
        });
    }
    if fmt.channels > MAX_CHANNELS || fmt.sample_rate > MAX_SAMPLE_RATE {
        return Err(AudioError::UnsupportedTag {
            tag: fmt.format_tag,
            what: "more than 8 channels or a sample rate above 384 kHz",
        });
    }
    let channels = usize::from(fmt.channels);
    let mut samples = Vec::new();
    match format {
        AudioFormat::Pcm8 | AudioFormat::Pcm16 | AudioFormat::MuLaw | AudioFormat::ALaw => {
            let width = if format == AudioFormat::Pcm16 { 2 } else { 1 };
            if format != AudioFormat::Pcm16
                && format != AudioFormat::Pcm8
                && fmt.bits_per_sample != 8
            {
                return Err(AudioError::UnsupportedTag {
                    tag: fmt.format_tag,
                    what: "G.711 with other than 8 bits per sample",
                });
            }
            let frame = width * channels;
            if usize::from(fmt.block_align) != frame {
                return Err(AudioError::Corrupt {
                    what: "block alignment does not match channels",
                });
            }
            let frames = whole_units(wave.data, frame, 1, wave.fact_samples)?;
            check_output_size(frames * channels)?;
            let data = &wave.data[..frames * frame];
            samples.reserve_exact(frames * channels);
            match format {
                AudioFormat::Pcm16 => pcm::decode_s16le(data, &mut samples),
                AudioFormat::Pcm8 => pcm::decode_u8(data, &mut samples),
                AudioFormat::MuLaw => g711::ulaw_decode(data, &mut samples),
                _ => g711::alaw_decode(data, &mut samples),
            }
        }
        AudioFormat::Gsm610 => {
            if fmt.channels != 1 {
                return Err(AudioError::UnsupportedTag {
                    tag: tag::GSM610,
                    what: "GSM with more than one channel",
                });
            }
            if usize::from(fmt.block_align) != WAV49_BLOCK_BYTES
                || fmt
                    .samples_per_block
                    .is_some_and(|n| usize::from(n) != WAV49_BLOCK_SAMPLES)
            {
                return Err(AudioError::UnsupportedTag {
                    tag: tag::GSM610,
                    what: "GSM blocks other than 65 bytes for 320 samples",
                });
            }
            let blocks = whole_units(
                wave.data,
                WAV49_BLOCK_BYTES,
                WAV49_BLOCK_SAMPLES,
                wave.fact_samples,
            )?;
            check_output_size(blocks * WAV49_BLOCK_SAMPLES)?;
            gsm610::decode_wav49(&wave.data[..blocks * WAV49_BLOCK_BYTES], &mut samples);
        }
        AudioFormat::Mp3 => return mp3::decode_mp3(wave.data, MAX_OUTPUT_SAMPLES),
        AudioFormat::Gsm610Raw => {
            return Err(AudioError::Corrupt {
                what: "raw GSM inside WAVE",
            });
        }
    }
    Ok(DecodedAudio {
        sample_rate: fmt.sample_rate,
        channels: fmt.channels,
        samples,
    })
}

/// Decodes headerless 33-byte GSM frames at 8 kHz.
fn decode_raw_gsm(input: &[u8]) -> Result<DecodedAudio, AudioError> {
    if !input.len().is_multiple_of(FRAME_BYTES) {
        return Err(AudioError::Truncated {
            what: "GSM data ends inside a frame",
        });
    }
    check_output_size(input.len() / FRAME_BYTES * FRAME_SAMPLES)?;
    let mut samples = Vec::new();
    gsm610::decode_frames(input, &mut samples).map_err(|_| AudioError::Corrupt {
        what: "GSM frame without its 0xD signature",
    })?;
    Ok(DecodedAudio {
        sample_rate: 8000,
        channels: 1,
        samples,
    })
}

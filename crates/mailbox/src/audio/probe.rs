//! Recognition of a voicemail attachment's audio format from its bytes alone (the MIME type of
//! voicemail e-mail is unreliable: Asterisk labels GSM "wav49" as `audio/x-wav`).

use super::error::AudioError;
use super::gsm610::{FRAME_BYTES, FRAME_MAGIC};
use super::riff::{self, FmtChunk};

/// WAVE format tags this module knows by name.
pub mod tag {
    /// Linear PCM.
    pub const PCM: u16 = 0x0001;
    /// ITU-T G.711 A-law.
    pub const ALAW: u16 = 0x0006;
    /// ITU-T G.711 µ-law.
    pub const MULAW: u16 = 0x0007;
    /// GSM 06.10 full rate, Microsoft packing ("wav49").
    pub const GSM610: u16 = 0x0031;
    /// MPEG-1 layer III in WAVE.
    pub const MPEG_LAYER3: u16 = 0x0055;
}

/// An audio format, as found by [`probe`](super::probe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    /// WAVE, 8-bit unsigned linear PCM.
    Pcm8,
    /// WAVE, 16-bit signed little-endian linear PCM.
    Pcm16,
    /// WAVE, G.711 µ-law.
    MuLaw,
    /// WAVE, G.711 A-law.
    ALaw,
    /// WAVE, GSM 06.10 in Microsoft 65-byte blocks ("wav49", Asterisk's default attachment).
    Gsm610,
    /// Headerless GSM 06.10 33-byte frames (`.gsm`).
    Gsm610Raw,
    /// MPEG-1/2 audio layer III, bare or in WAVE.
    Mp3,
}

impl AudioFormat {
    /// The codec's short name for lists and JSON: `"pcm"`, `"ulaw"`, `"alaw"`, `"gsm"`, `"mp3"`.
    pub fn codec(self) -> &'static str {
        match self {
            Self::Pcm8 | Self::Pcm16 => "pcm",
            Self::MuLaw => "ulaw",
            Self::ALaw => "alaw",
            Self::Gsm610 | Self::Gsm610Raw => "gsm",
            Self::Mp3 => "mp3",
        }
    }

    /// A short human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pcm8 => "8-bit PCM WAV",
            Self::Pcm16 => "16-bit PCM WAV",
            Self::MuLaw => "G.711 µ-law WAV",
            Self::ALaw => "G.711 A-law WAV",
            Self::Gsm610 => "GSM 06.10 WAV (wav49)",
            Self::Gsm610Raw => "GSM 06.10 raw frames",
            Self::Mp3 => "MP3",
        }
    }
}

/// Names the format of a WAVE file's `fmt ` chunk.
pub(crate) fn wave_format(fmt: &FmtChunk) -> Result<AudioFormat, AudioError> {
    match (fmt.format_tag, fmt.bits_per_sample) {
        (tag::PCM, 8) => Ok(AudioFormat::Pcm8),
        (tag::PCM, 16) => Ok(AudioFormat::Pcm16),
        (tag::PCM, _) => Err(AudioError::UnsupportedTag {
            tag: tag::PCM,
            what: "PCM sample width other than 8 or 16 bits",
        }),
        (tag::MULAW, _) => Ok(AudioFormat::MuLaw),
        (tag::ALAW, _) => Ok(AudioFormat::ALaw),
        (tag::GSM610, _) => Ok(AudioFormat::Gsm610),
        (tag::MPEG_LAYER3, _) => Ok(AudioFormat::Mp3),
        (other, _) => Err(AudioError::UnsupportedTag {
            tag: other,
            what: "codec not supported",
        }),
    }
}

/// Whether the input starts with an ID3v2 tag or an MPEG audio layer III frame header.
fn looks_like_mp3(input: &[u8]) -> bool {
    if input.starts_with(b"ID3") {
        return true;
    }
    match input {
        [0xFF, b1, b2, ..] => {
            let sync = b1 & 0xE0 == 0xE0;
            let version_ok = (b1 >> 3) & 0x03 != 0x01;
            let layer3 = (b1 >> 1) & 0x03 == 0x01;
            let bitrate_ok = b2 >> 4 != 0x0F;
            let rate_ok = (b2 >> 2) & 0x03 != 0x03;
            sync && version_ok && layer3 && bitrate_ok && rate_ok
        }
        _ => false,
    }
}

/// Whether the input looks like headerless GSM frames: the first (and second, when present)
/// 33-byte frame carries the `0xD` signature.
fn looks_like_raw_gsm(input: &[u8]) -> bool {
    input.len() >= FRAME_BYTES
        && input[0] >> 4 == FRAME_MAGIC
        && (input.len() < 2 * FRAME_BYTES || input[FRAME_BYTES] >> 4 == FRAME_MAGIC)
}

/// Recognises the codec from the first bytes of a file only (a listing fetches ~100 bytes of each
/// attachment): for WAVE, the `fmt ` chunk found by walking chunk headers within the prefix.
/// `None` when the prefix is too short or the format unknown.
pub fn codec_of_prefix(prefix: &[u8]) -> Option<AudioFormat> {
    if riff::is_wave(prefix) {
        let mut pos = 12usize;
        while prefix.len().saturating_sub(pos) >= 8 {
            let size = u32::from_le_bytes(prefix[pos + 4..pos + 8].try_into().ok()?) as usize;
            let body = pos + 8;
            if &prefix[pos..pos + 4] == b"fmt " {
                let field = |at: usize| {
                    prefix
                        .get(body + at..body + at + 2)
                        .map(|b| u16::from_le_bytes([b[0], b[1]]))
                };
                let mut format_tag = field(0)?;
                if format_tag == riff::TAG_EXTENSIBLE {
                    format_tag = field(24)?;
                }
                let fmt = FmtChunk {
                    format_tag,
                    channels: field(2)?,
                    sample_rate: 0,
                    block_align: field(12)?,
                    bits_per_sample: field(14)?,
                    samples_per_block: None,
                };
                return wave_format(&fmt).ok();
            }
            pos = body.checked_add(size)?.checked_add(size & 1)?;
        }
        return None;
    }
    if looks_like_mp3(prefix) {
        return Some(AudioFormat::Mp3);
    }
    looks_like_raw_gsm(prefix).then_some(AudioFormat::Gsm610Raw)
}

/// Recognises the container and codec without decoding.
pub(crate) fn probe_bytes(input: &[u8]) -> Result<AudioFormat, AudioError> {
    if input.is_empty() {
        return Err(AudioError::Truncated {
            what: "empty input",
        });
    }
    if input.len() < 4 && b"RIFF".starts_with(input) {
        return Err(AudioError::Truncated {
            what: "RIFF header",
        });
    }
    if input.starts_with(b"RIFF") {
        let wave = riff::parse_wave(input)?;
        return wave_format(&wave.fmt);
    }
    if looks_like_mp3(input) {
        return Ok(AudioFormat::Mp3);
    }
    if looks_like_raw_gsm(input) {
        return Ok(AudioFormat::Gsm610Raw);
    }
    Err(AudioError::Unsupported {
        what: "unrecognised audio container",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAVE header with a `LIST` chunk before `fmt `, cut after the fields that matter.
    fn wave_prefix(tag: u16, bits: u16) -> Vec<u8> {
        let mut w = b"RIFF\xff\xff\0\0WAVELIST\x05\0\0\0abcde\0fmt \x14\0\0\0".to_vec();
        w.extend_from_slice(&tag.to_le_bytes());
        w.extend_from_slice(&[1, 0, 0x40, 0x1f, 0, 0, 0, 0, 0, 0, 65, 0]);
        w.extend_from_slice(&bits.to_le_bytes());
        w
    }

    #[test]
    fn codec_from_the_first_bytes() {
        let cases = [
            (tag::PCM, 16, Some("pcm")),
            (tag::MULAW, 8, Some("ulaw")),
            (tag::ALAW, 8, Some("alaw")),
            (tag::GSM610, 0, Some("gsm")),
            (tag::MPEG_LAYER3, 0, Some("mp3")),
            (0x0002, 4, None),
        ];
        for (t, bits, want) in cases {
            let prefix = wave_prefix(t, bits);
            assert_eq!(
                codec_of_prefix(&prefix).map(AudioFormat::codec),
                want,
                "{t:#x}"
            );
            for cut in 0..prefix.len() {
                assert_eq!(codec_of_prefix(&prefix[..cut]), None, "{t:#x} cut at {cut}");
            }
        }
        assert_eq!(
            codec_of_prefix(b"ID3\x04\0").map(AudioFormat::codec),
            Some("mp3")
        );
    }

    #[test]
    fn recognises_bare_formats() {
        assert_eq!(probe_bytes(b"ID3\x04\0\0\0\0\0\0"), Ok(AudioFormat::Mp3));
        assert_eq!(probe_bytes(&[0xFF, 0xFB, 0x90, 0x00]), Ok(AudioFormat::Mp3));
        let mut gsm = vec![0u8; 66];
        gsm[0] = 0xD4;
        gsm[33] = 0xD9;
        assert_eq!(probe_bytes(&gsm), Ok(AudioFormat::Gsm610Raw));
        gsm[33] = 0x19;
        assert!(matches!(
            probe_bytes(&gsm),
            Err(AudioError::Unsupported { .. })
        ));
        assert!(matches!(
            probe_bytes(b""),
            Err(AudioError::Truncated { .. })
        ));
        assert!(matches!(
            probe_bytes(b"hello"),
            Err(AudioError::Unsupported { .. })
        ));
    }
}

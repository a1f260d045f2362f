//! A bounded reader of RIFF/WAVE files: finds the `fmt `, `fact` and `data` chunks, skips every
//! other chunk (`LIST`, `cue `, ...), honours the pad byte after odd-sized chunks, and never reads
//! past the input.
//!
//! Sizes that do not fit the input are handled as follows:
//! - the RIFF size field is not trusted: chunks are walked up to the end of the input (writers that
//!   stream, and mail gateways that append padding, get it wrong both ways);
//! - a `data` chunk whose declared size runs past the end of the input is clamped to the bytes
//!   present and flagged [`WaveFile::data_clamped`] (streaming writers declare a huge size; a cut
//!   file does too). Whether the bytes present end on a block boundary is for the codec to judge:
//!   see `decode_to_wav`;
//! - a `fmt ` or `fact` chunk cut by the end of the input is [`AudioError::Truncated`].

use super::error::AudioError;

/// `WAVE_FORMAT_EXTENSIBLE`: the real format tag is in the first two bytes of the sub-format GUID.
pub const TAG_EXTENSIBLE: u16 = 0xFFFE;

/// The fields of the `fmt ` chunk that decoding needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FmtChunk {
    /// The codec: `wFormatTag`, or the sub-format of `WAVE_FORMAT_EXTENSIBLE`.
    pub format_tag: u16,
    /// `nChannels`.
    pub channels: u16,
    /// `nSamplesPerSec`.
    pub sample_rate: u32,
    /// `nBlockAlign`: bytes per codec block (per sample frame for PCM and G.711).
    pub block_align: u16,
    /// `wBitsPerSample` (0 for GSM).
    pub bits_per_sample: u16,
    /// The first word of the codec-specific extension, when present: `wSamplesPerBlock` for GSM.
    pub samples_per_block: Option<u16>,
}

/// The chunks of a WAVE file that decoding needs, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaveFile<'a> {
    /// The format.
    pub fmt: FmtChunk,
    /// The `fact` chunk's sample count per channel, when present.
    pub fact_samples: Option<u32>,
    /// The audio bytes present (the `data` chunk, clamped to the input).
    pub data: &'a [u8],
    /// The `data` chunk declared more bytes than the input holds.
    pub data_clamped: bool,
}

/// Whether the input starts like a RIFF/WAVE file.
pub fn is_wave(input: &[u8]) -> bool {
    input.len() >= 12 && &input[0..4] == b"RIFF" && &input[8..12] == b"WAVE"
}

/// Reads a little-endian `u16` at `at`; the caller guarantees the bounds.
fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Reads a little-endian `u32` at `at`; the caller guarantees the bounds.
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses a RIFF/WAVE file's chunk structure.
pub fn parse_wave(input: &[u8]) -> Result<WaveFile<'_>, AudioError> {
    if input.len() < 12 {
        return Err(AudioError::Truncated {
            what: "RIFF header",
        });
    }
    if !is_wave(input) {
        return Err(AudioError::Corrupt {
            what: "not a RIFF/WAVE file",
        });
    }
    let mut fmt = None;
    let mut fact_samples = None;
    let mut data: Option<(&[u8], bool)> = None;
    let mut pos = 12usize;
    while input.len() - pos >= 8 {
        let id = &input[pos..pos + 4];
        let declared = u32_at(input, pos + 4) as usize;
        let body_start = pos + 8;
        let available = input.len() - body_start;
        let body = &input[body_start..body_start + declared.min(available)];
        let cut = declared > available;
        match id {
            b"fmt " => {
                if cut {
                    return Err(AudioError::Truncated { what: "fmt chunk" });
                }
                if fmt.is_some() {
                    return Err(AudioError::Corrupt {
                        what: "two fmt chunks",
                    });
                }
                fmt = Some(parse_fmt(body)?);
            }
            b"fact" => {
                if cut || body.len() < 4 {
                    return Err(AudioError::Truncated { what: "fact chunk" });
                }
                fact_samples = Some(u32_at(body, 0));
            }
            b"data" if data.is_none() => data = Some((body, cut)),
            _ => {}
        }
        if fmt.is_some() && data.is_some() {
            break;
        }
        // Next chunk: the body plus a pad byte when the size is odd (absent at the very end).
        match body_start
            .checked_add(declared)
            .and_then(|end| end.checked_add(declared & 1))
        {
            Some(next) if next <= input.len() => pos = next,
            _ => break,
        }
    }
    let fmt = fmt.ok_or(AudioError::Corrupt {
        what: "no fmt chunk",
    })?;
    let (data, data_clamped) = data.ok_or(AudioError::Truncated {
        what: "no data chunk",
    })?;
    Ok(WaveFile {
        fmt,
        fact_samples,
        data,
        data_clamped,
    })
}

/// Parses the body of a `fmt ` chunk (`WAVEFORMATEX`, possibly `WAVE_FORMAT_EXTENSIBLE`).
fn parse_fmt(body: &[u8]) -> Result<FmtChunk, AudioError> {
    if body.len() < 16 {
        return Err(AudioError::Corrupt {
            what: "fmt chunk shorter than 16 bytes",
        });
    }
    let mut fmt = FmtChunk {
        format_tag: u16_at(body, 0),
        channels: u16_at(body, 2),
        sample_rate: u32_at(body, 4),
        block_align: u16_at(body, 12),
        bits_per_sample: u16_at(body, 14),
        samples_per_block: None,
    };
    let extension_len = if body.len() >= 18 {
        usize::from(u16_at(body, 16))
    } else {
        0
    };
    let extension = &body[body.len().min(18)..];
    if extension_len > extension.len() {
        return Err(AudioError::Corrupt {
            what: "fmt extension longer than its chunk",
        });
    }
    if extension_len >= 2 {
        fmt.samples_per_block = Some(u16_at(extension, 0));
    }
    if fmt.format_tag == TAG_EXTENSIBLE {
        // cbSize 22: wValidBitsPerSample, dwChannelMask, then the 16-byte sub-format GUID whose
        // first two bytes are the format tag.
        if extension_len < 22 {
            return Err(AudioError::Corrupt {
                what: "WAVE_FORMAT_EXTENSIBLE without sub-format",
            });
        }
        fmt.format_tag = u16_at(extension, 6);
        fmt.samples_per_block = None;
    }
    Ok(fmt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut c = id.to_vec();
        c.extend_from_slice(&(body.len() as u32).to_le_bytes());
        c.extend_from_slice(body);
        if body.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn fmt_pcm16() -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&1u16.to_le_bytes());
        f.extend_from_slice(&1u16.to_le_bytes());
        f.extend_from_slice(&8000u32.to_le_bytes());
        f.extend_from_slice(&16000u32.to_le_bytes());
        f.extend_from_slice(&2u16.to_le_bytes());
        f.extend_from_slice(&16u16.to_le_bytes());
        f
    }

    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(4 + body.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn skips_unknown_and_odd_sized_chunks() {
        let file = riff(&[
            chunk(b"LIST", b"abc"),
            chunk(b"fmt ", &fmt_pcm16()),
            chunk(b"junk", &[1, 2, 3, 4, 5]),
            chunk(b"data", &[1, 0, 2, 0]),
        ]);
        let w = parse_wave(&file).expect("valid");
        assert_eq!(w.fmt.format_tag, 1);
        assert_eq!(w.fmt.sample_rate, 8000);
        assert_eq!(w.data, &[1, 0, 2, 0]);
        assert!(!w.data_clamped);
        assert_eq!(w.fact_samples, None);
    }

    #[test]
    fn data_before_fmt_is_found() {
        let file = riff(&[
            chunk(b"data", &[9, 9]),
            chunk(b"fact", &7u32.to_le_bytes()),
            chunk(b"fmt ", &fmt_pcm16()),
        ]);
        let w = parse_wave(&file).expect("valid");
        assert_eq!(w.data, &[9, 9]);
        assert_eq!(w.fact_samples, Some(7));
    }

    #[test]
    fn oversized_data_is_clamped_and_flagged() {
        let mut file = riff(&[chunk(b"fmt ", &fmt_pcm16()), chunk(b"data", &[1, 0, 2, 0])]);
        let at = file.len() - 8;
        file[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let w = parse_wave(&file).expect("valid");
        assert_eq!(w.data, &[1, 0, 2, 0]);
        assert!(w.data_clamped);
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            parse_wave(b"RIFF"),
            Err(AudioError::Truncated {
                what: "RIFF header"
            })
        );
        assert!(matches!(
            parse_wave(b"RIFX\0\0\0\0WAVEfmt "),
            Err(AudioError::Corrupt { .. })
        ));
        let no_data = riff(&[chunk(b"fmt ", &fmt_pcm16())]);
        assert!(matches!(
            parse_wave(&no_data),
            Err(AudioError::Truncated { .. })
        ));
        let no_fmt = riff(&[chunk(b"data", &[0, 0])]);
        assert!(matches!(
            parse_wave(&no_fmt),
            Err(AudioError::Corrupt { .. })
        ));
        let mut cut_fmt = riff(&[chunk(b"fmt ", &fmt_pcm16())]);
        cut_fmt.truncate(cut_fmt.len() - 3);
        assert_eq!(
            parse_wave(&cut_fmt),
            Err(AudioError::Truncated { what: "fmt chunk" })
        );
        let short_fmt = riff(&[chunk(b"fmt ", &[1, 0, 1, 0]), chunk(b"data", &[])]);
        assert!(matches!(
            parse_wave(&short_fmt),
            Err(AudioError::Corrupt { .. })
        ));
    }

    #[test]
    fn extensible_uses_the_sub_format() {
        let mut f = fmt_pcm16();
        f[0..2].copy_from_slice(&TAG_EXTENSIBLE.to_le_bytes());
        f.extend_from_slice(&22u16.to_le_bytes());
        f.extend_from_slice(&16u16.to_le_bytes());
        f.extend_from_slice(&4u32.to_le_bytes());
        f.extend_from_slice(&7u16.to_le_bytes()); // µ-law sub-format
        f.extend_from_slice(&[0; 14]);
        let file = riff(&[chunk(b"fmt ", &f), chunk(b"data", &[0xFF])]);
        assert_eq!(parse_wave(&file).expect("valid").fmt.format_tag, 7);
    }
}

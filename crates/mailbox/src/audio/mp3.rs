//! MPEG audio layer III decoding (voicemail systems that attach `.mp3`), through `symphonia`'s MPEG
//! audio demuxer and decoder, to interleaved 16-bit PCM.
//!
//! A leading ID3v2 tag is skipped here; frames the decoder rejects as malformed are skipped (as
//! players do); the output is bounded like every other format.

use std::io::Cursor;

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::default::codecs::MpaDecoder;
use symphonia::default::formats::MpaReader;

use super::decoded::DecodedAudio;
use super::error::AudioError;

/// Skips an ID3v2 tag (10-byte header, "synchsafe" size, optional 10-byte footer).
fn skip_id3v2(input: &[u8]) -> &[u8] {
    match input {
        [b'I', b'D', b'3', _, _, flags, s0, s1, s2, s3, ..] => {
            let size = [s0, s1, s2, s3]
                .iter()
                .fold(0usize, |acc, &&b| (acc << 7) | usize::from(b & 0x7F));
            let footer = if flags & 0x10 != 0 { 10 } else { 0 };
            input.get(10 + size + footer..).unwrap_or(&[])
        }
        _ => input,
    }
}

/// Maps a symphonia error to ours.
fn map_error(e: SymphoniaError) -> AudioError {
    match e {
        SymphoniaError::IoError(_) => AudioError::Truncated { what: "MP3 stream" },
        SymphoniaError::Unsupported(_) => AudioError::Unsupported {
            what: "MPEG audio variant",
        },
        SymphoniaError::LimitError(_) => AudioError::Unsupported {
            what: "MP3 stream beyond the decoder's limits",
        },
        _ => AudioError::Corrupt { what: "MP3 stream" },
    }
}

/// Decodes an MPEG audio stream, stopping with [`AudioError::TooLarge`] past `max_samples`.
pub fn decode_mp3(input: &[u8], max_samples: usize) -> Result<DecodedAudio, AudioError> {
    let stream = skip_id3v2(input);
    let source = MediaSourceStream::new(
        Box::new(Cursor::new(stream)),
        MediaSourceStreamOptions::default(),
    );
    let mut reader = MpaReader::try_new(source, FormatOptions::default()).map_err(map_error)?;
    let params = reader
        .tracks()
        .first()
        .and_then(|t| t.codec_params.as_ref())
        .and_then(|p| p.audio())
        .cloned()
        .ok_or(AudioError::Corrupt {
            what: "MP3 stream without an audio track",
        })?;
    let mut decoder =
        MpaDecoder::try_new(&params, &AudioDecoderOptions::default()).map_err(map_error)?;

    let mut samples: Vec<i16> = Vec::new();
    let mut chunk: Vec<i16> = Vec::new();
    let mut format: Option<(u32, u16)> = None;
    loop {
        let packet = match reader.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // The stream ends part-way through a frame: keep what was decoded.
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(e) => return Err(map_error(e)),
        };
        let audio = match decoder.decode(&packet) {
            Ok(audio) => audio,
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => return Err(map_error(e)),
        };
        let spec = audio.spec();
        let channels =
            u16::try_from(spec.channels().count()).map_err(|_| AudioError::Unsupported {
                what: "MP3 channel layout",
            })?;
        let this = (spec.rate(), channels);
        match format {
            None => format = Some(this),
            Some(first) if first != this => {
                return Err(AudioError::Unsupported {
                    what: "MP3 that changes rate or channels",
                });
            }
            Some(_) => {}
        }
        audio.copy_to_vec_interleaved(&mut chunk);
        if samples.len() + chunk.len() > max_samples {
            return Err(AudioError::TooLarge {
                what: "decoded sample count",
                limit: max_samples as u64,
            });
        }
        if samples.capacity() < samples.len() + chunk.len() {
            // Grow by half, never past the bound (doubling could reserve twice the bound).
            let target = (samples.capacity() / 2 * 3)
                .max(samples.len() + chunk.len())
                .min(max_samples);
            samples.reserve_exact(target - samples.len());
        }
        samples.extend_from_slice(&chunk);
    }
    let (sample_rate, channels) = format.ok_or(AudioError::Corrupt {
        what: "MP3 without a decodable frame",
    })?;
    if sample_rate == 0 || channels == 0 {
        return Err(AudioError::Corrupt {
            what: "MP3 without a sample rate or channels",
        });
    }
    Ok(DecodedAudio {
        sample_rate,
        channels,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id3v2_tags_are_skipped() {
        let mut tagged = b"ID3\x04\x00\x00\x00\x00\x01\x01".to_vec();
        tagged.extend_from_slice(&[0; 129]);
        tagged.extend_from_slice(&[0xFF, 0xFB]);
        assert_eq!(skip_id3v2(&tagged), &[0xFF, 0xFB]);
        assert_eq!(skip_id3v2(b"ID3\x04\x00\x00\x7F\x7F\x7F\x7F"), &[] as &[u8]);
        assert_eq!(skip_id3v2(&[0xFF, 0xFB]), &[0xFF, 0xFB]);
    }

    #[test]
    fn junk_is_an_error_not_a_panic() {
        assert!(decode_mp3(&[0xFF, 0xFB, 0x90, 0x00, 1, 2, 3], 1000).is_err());
        assert!(decode_mp3(b"ID3\x04\x00\x00\x00\x00\x00\x00", 1000).is_err());
    }
}

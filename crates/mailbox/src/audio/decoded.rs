//! Decoded audio: interleaved 16-bit PCM samples, and their serialisation as a RIFF/WAVE file.

/// Decoded audio ready for playback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedAudio {
    /// Frames per second.
    pub sample_rate: u32,
    /// Interleaved channels (1 for every voicemail codec).
    pub channels: u16,
    /// Interleaved signed 16-bit samples.
    pub samples: Vec<i16>,
}

impl DecodedAudio {
    /// Duration in milliseconds (rounded down).
    pub fn duration_ms(&self) -> u64 {
        let frames = self.samples.len() as u64 / u64::from(self.channels.max(1));
        frames * 1000 / u64::from(self.sample_rate.max(1))
    }

    /// Serialises the samples as a canonical 44-byte-header 16-bit PCM WAVE file.
    pub fn to_wav_bytes(&self) -> Vec<u8> {
        // The decoders bound the sample count far below 2^31 bytes, so these casts do not wrap;
        // they saturate to keep the header well-formed whatever the caller put in `samples`.
        let data_len = u32::try_from(self.samples.len() * 2).unwrap_or(u32::MAX - 36);
        let block_align = self.channels.saturating_mul(2);
        let byte_rate = self.sample_rate.saturating_mul(u32::from(block_align));
        let mut out = Vec::with_capacity(44 + self.samples.len() * 2);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36u32.saturating_add(data_len)).to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // WAVE_FORMAT_PCM
        out.extend_from_slice(&self.channels.to_le_bytes());
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.extend_from_slice(&byte_rate.to_le_bytes());
        out.extend_from_slice(&block_align.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for s in &self.samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_header_is_canonical() {
        let audio = DecodedAudio {
            sample_rate: 8000,
            channels: 1,
            samples: vec![1, -2, 3],
        };
        let wav = audio.to_wav_bytes();
        assert_eq!(wav.len(), 44 + 6);
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]), 36 + 6);
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(
            u32::from_le_bytes([wav[28], wav[29], wav[30], wav[31]]),
            16000
        );
        assert_eq!(&wav[36..40], b"data");
        assert_eq!(&wav[44..], &[1, 0, 0xFE, 0xFF, 3, 0]);
        assert_eq!(audio.duration_ms(), 0);
    }
}

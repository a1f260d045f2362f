//! The voice codec a session runs: encoding captured frames, decoding received payloads and,
//! for Opus, its own concealment (FEC from the next packet when it is there, else libopus PLC).

use voicelamp_codec::g711;
use voicelamp_codec::g722::{G722Decoder, G722Encoder};

use crate::CodecKind;

/// Whether this build can run a codec (others are never offered or accepted).
pub(crate) fn available(kind: CodecKind) -> bool {
    match kind {
        CodecKind::Pcmu | CodecKind::Pcma | CodecKind::G722 => true,
        CodecKind::Opus => cfg!(all(feature = "opus", target_os = "linux")),
    }
}

/// An encoder and decoder pair for one codec.
pub(crate) enum Voice {
    Pcmu,
    Pcma,
    G722(Box<(G722Encoder, G722Decoder)>),
    #[cfg(all(feature = "opus", target_os = "linux"))]
    Opus(Box<opus_pair::Pair>),
}

impl std::fmt::Debug for Voice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
            Self::G722(_) => "G722",
            #[cfg(all(feature = "opus", target_os = "linux"))]
            Self::Opus(_) => "opus",
        })
    }
}

impl Voice {
    pub(crate) fn new(kind: CodecKind) -> Option<Self> {
        match kind {
            CodecKind::Pcmu => Some(Self::Pcmu),
            CodecKind::Pcma => Some(Self::Pcma),
            CodecKind::G722 => Some(Self::G722(Box::new((
                G722Encoder::new(),
                G722Decoder::new(),
            )))),
            #[cfg(all(feature = "opus", target_os = "linux"))]
            CodecKind::Opus => opus_pair::Pair::new().map(|p| Self::Opus(Box::new(p))),
            #[cfg(not(all(feature = "opus", target_os = "linux")))]
            CodecKind::Opus => None,
        }
    }

    /// Encodes one frame, replacing `out`.
    pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.clear();
        match self {
            Self::Pcmu => g711::ulaw_encode(pcm, out),
            Self::Pcma => g711::alaw_encode(pcm, out),
            Self::G722(p) => p.0.encode(pcm, out),
            #[cfg(all(feature = "opus", target_os = "linux"))]
            Self::Opus(p) => p.encode(pcm, out),
        }
    }

    /// Decodes a payload, replacing `out`; at most `max` samples are kept.
    pub(crate) fn decode(&mut self, payload: &[u8], max: usize, out: &mut Vec<i16>) {
        out.clear();
        match self {
            Self::Pcmu => g711::ulaw_decode(&payload[..payload.len().min(max)], out),
            Self::Pcma => g711::alaw_decode(&payload[..payload.len().min(max)], out),
            Self::G722(p) => {
                p.1.decode(&payload[..payload.len().min(max.div_ceil(2))], out)
            }
            #[cfg(all(feature = "opus", target_os = "linux"))]
            Self::Opus(p) => p.decode(payload, out),
        }
        out.truncate(max);
    }

    /// Conceals one missing frame with the codec's own means, replacing `out`; false when the
    /// codec has none (the session's waveform concealment is used).
    pub(crate) fn conceal(&mut self, next: Option<&[u8]>, max: usize, out: &mut Vec<i16>) -> bool {
        out.clear();
        match self {
            #[cfg(all(feature = "opus", target_os = "linux"))]
            Self::Opus(p) => {
                p.conceal(next, out);
                out.truncate(max);
                true
            }
            _ => {
                let _ = (next, max);
                false
            }
        }
    }
}

#[cfg(all(feature = "opus", target_os = "linux"))]
mod opus_pair {
    use voicelamp_codec::opus::{FRAME_SAMPLES, OpusDecoder, OpusEncoder};

    pub(crate) struct Pair {
        encoder: OpusEncoder,
        decoder: OpusDecoder,
    }

    impl Pair {
        pub(crate) fn new() -> Option<Self> {
            match (OpusEncoder::new(), OpusDecoder::new()) {
                (Ok(encoder), Ok(decoder)) => Some(Self { encoder, decoder }),
                _ => {
                    tracing::warn!("the Opus codec could not be started; it is not used");
                    None
                }
            }
        }

        pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
            let mut frame = [0i16; FRAME_SAMPLES];
            let n = pcm.len().min(FRAME_SAMPLES);
            frame[..n].copy_from_slice(&pcm[..n]);
            if let Ok(bytes) = self.encoder.encode(&frame) {
                *out = bytes;
            }
        }

        pub(crate) fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
            if self.decoder.decode(payload, out).is_err() {
                out.clear();
            }
        }

        pub(crate) fn conceal(&mut self, next: Option<&[u8]>, out: &mut Vec<i16>) {
            let done = match next {
                Some(n) => self.decoder.recover(n, out).is_ok(),
                None => false,
            };
            if !done {
                out.clear();
                let _ = self.decoder.conceal(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_available_codec_round_trips_a_frame() {
        for kind in [
            CodecKind::Pcmu,
            CodecKind::Pcma,
            CodecKind::G722,
            CodecKind::Opus,
        ] {
            if !available(kind) {
                continue;
            }
            let mut v = Voice::new(kind).expect("available codecs start");
            let n = (kind.sample_rate() / 50) as usize;
            let mut bytes = Vec::new();
            let mut pcm = Vec::new();
            // A few frames, so stateful codecs settle.
            for _ in 0..5 {
                let frame: Vec<i16> = (0..n)
                    .map(|i| (6000.0 * (i as f32 * 0.05).sin()) as i16)
                    .collect();
                v.encode(&frame, &mut bytes);
                assert!(!bytes.is_empty() && bytes.len() <= n, "{kind:?}");
                v.decode(&bytes, n, &mut pcm);
                assert_eq!(pcm.len(), n, "{kind:?}");
            }
            assert!(
                pcm.iter().any(|&s| s.abs() > 1000),
                "{kind:?} decodes to silence"
            );
        }
        assert!(available(CodecKind::G722));
    }
}

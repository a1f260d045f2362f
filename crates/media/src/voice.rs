//! The voice codec a session runs: encoding captured frames, decoding received payloads.

use voicelamp_codec::g711;

use crate::CodecKind;

/// Whether this build can run a codec (others are never offered or accepted).
pub(crate) fn available(kind: CodecKind) -> bool {
    matches!(kind, CodecKind::Pcmu | CodecKind::Pcma)
}

/// An encoder and decoder pair for one codec.
#[derive(Debug)]
pub(crate) enum Voice {
    Pcmu,
    Pcma,
}

impl Voice {
    pub(crate) fn new(kind: CodecKind) -> Option<Self> {
        match kind {
            CodecKind::Pcmu => Some(Self::Pcmu),
            CodecKind::Pcma => Some(Self::Pcma),
            CodecKind::G722 | CodecKind::Opus => None,
        }
    }

    /// Encodes one frame, replacing `out`.
    pub(crate) fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.clear();
        match self {
            Self::Pcmu => g711::ulaw_encode(pcm, out),
            Self::Pcma => g711::alaw_encode(pcm, out),
        }
    }

    /// Decodes a payload, replacing `out`; at most `max` samples are kept.
    pub(crate) fn decode(&mut self, payload: &[u8], max: usize, out: &mut Vec<i16>) {
        out.clear();
        let payload = &payload[..payload.len().min(max)];
        match self {
            Self::Pcmu => g711::ulaw_decode(payload, out),
            Self::Pcma => g711::alaw_decode(payload, out),
        }
    }
}

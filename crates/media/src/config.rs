//! What a session may use: our address, codecs, SRTP policy and timing.

use std::net::SocketAddr;

/// A voice codec the session can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    /// G.711 µ-law (static payload type 0).
    Pcmu,
    /// G.711 A-law (static payload type 8).
    Pcma,
    /// G.722 (static payload type 9, 16 kHz audio on an 8 kHz RTP clock).
    G722,
    /// Opus (dynamic payload type, 48 kHz).
    Opus,
}

impl CodecKind {
    /// The name in an `a=rtpmap` line.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
            Self::G722 => "G722",
            Self::Opus => "opus",
        }
    }

    /// The static payload type, or the dynamic one we offer.
    pub fn default_payload_type(self) -> u8 {
        match self {
            Self::Pcmu => 0,
            Self::Pcma => 8,
            Self::G722 => 9,
            Self::Opus => 111,
        }
    }

    /// The RTP clock rate written in SDP (G.722 says 8000 for historical reasons).
    pub fn rtp_clock_rate(self) -> u32 {
        match self {
            Self::Pcmu | Self::Pcma | Self::G722 => 8000,
            Self::Opus => 48_000,
        }
    }

    /// The audio sample rate the codec runs at.
    pub fn sample_rate(self) -> u32 {
        match self {
            Self::Pcmu | Self::Pcma => 8000,
            Self::G722 => 16_000,
            Self::Opus => 48_000,
        }
    }

    /// Channels in the `a=rtpmap` line (Opus is always signalled as stereo, RFC 7587).
    pub fn sdp_channels(self) -> Option<u8> {
        (self == Self::Opus).then_some(2)
    }

    /// The codec named by an `a=rtpmap` entry (case-insensitive), if it is one of ours.
    pub fn from_rtpmap(name: &str, clock: u32) -> Option<Self> {
        [Self::Pcmu, Self::Pcma, Self::G722, Self::Opus]
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name) && c.rtp_clock_rate() == clock)
    }

    /// The codec of a static payload type offered without `a=rtpmap`.
    pub fn from_static(pt: u8) -> Option<Self> {
        match pt {
            0 => Some(Self::Pcmu),
            8 => Some(Self::Pcma),
            9 => Some(Self::G722),
            _ => None,
        }
    }
}

/// Whether to use SDES-SRTP (RFC 4568).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrtpPolicy {
    /// Plain RTP; an offer that requires SRTP is refused.
    #[default]
    Off,
    /// Offer SRTP keys and accept plain RTP (only when the signaling is TLS).
    Offer,
    /// Offer and require SRTP (only when the signaling is TLS).
    Require,
}

/// What a session may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// The address and port written in our SDP (where the driver's RTP socket listens).
    pub local_rtp: SocketAddr,
    /// Codecs in order of preference.
    pub codecs: Vec<CodecKind>,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// Packet time we offer and send, in milliseconds (10–60; others are clamped).
    pub ptime_ms: u32,
    /// Least jitter-buffer delay, in milliseconds.
    pub jitter_min_ms: u32,
    /// Most jitter-buffer delay, in milliseconds.
    pub jitter_max_ms: u32,
}

impl MediaConfig {
    /// G.711 µ-law then A-law, plain RTP, 20 ms packets, a 20–200 ms jitter buffer.
    pub fn new(local_rtp: SocketAddr) -> Self {
        Self {
            local_rtp,
            codecs: vec![CodecKind::Pcmu, CodecKind::Pcma],
            srtp: SrtpPolicy::Off,
            ptime_ms: 20,
            jitter_min_ms: 20,
            jitter_max_ms: 200,
        }
    }

    /// The packet time in use: a multiple of 10 ms in 10..=60.
    pub(crate) fn ptime(&self) -> u32 {
        (self.ptime_ms.clamp(10, 60) / 10) * 10
    }
}

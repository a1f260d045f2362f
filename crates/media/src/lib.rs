//! A call's media as a state machine, like `voicelamp-sip`.
//!
//! It makes and answers SDP, packs and unpacks RTP, keeps RTCP figures, runs the jitter buffer
//! and concealment, makes tones (ringback, busy, stutter dial tone, ringer), sends and receives
//! RFC 4733 events, and protects media with SDES-SRTP when the signaling is TLS. Input comes in
//! through `handle_input(now, …)`, output is polled (`poll_transmit`, `poll_playback`,
//! `poll_event`, `poll_timeout`). It must never open a socket or a sound device, read a clock or
//! spawn a task: time, packets and captured samples come in as arguments.
//!
//! [`Session`] is the entry point: [`Session::offer`] or [`Session::answer`] make one from SDP,
//! then a driver ticks it every packet time (see [`AudioPort`]).

mod cn;
mod config;
mod dtmf;
pub mod jitter;
mod negotiate;
pub mod netem;
mod plc;
mod port;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
mod session;
pub mod srtp;
mod stats;
pub mod tones;
mod voice;

pub use config::{CodecKind, MediaConfig, SrtpPolicy};
pub use port::AudioPort;
pub use session::Session;

use std::net::SocketAddr;

/// Why a session description was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The far end's SDP could not be read.
    #[error("the far end sent a session description that cannot be read ({0})")]
    BadSdp(&'static str),
    /// No audio stream in the SDP.
    #[error("the far end offered no audio stream")]
    NoAudio,
    /// None of the far end's codecs is one we have (SIP answers 488).
    #[error("the far end offered no codec in common with ours (G.711 µ-law or A-law)")]
    NoCommonCodec,
    /// The far end wants encrypted media and we cannot (or may not) provide it.
    #[error(
        "the far end requires encrypted media (SRTP); turn on SRTP for this account, which needs TLS signaling"
    )]
    SrtpRequired,
    /// We require encrypted media and the far end offered none.
    #[error("this account requires encrypted media (SRTP) and the far end offered none")]
    SrtpRefused,
}

/// One input to [`Session::handle_input`].
#[derive(Debug, Clone, Copy)]
pub enum MediaInput<'a> {
    /// A datagram from the call's socket: RTP or RTCP (told apart as RFC 5761 does).
    Packet {
        /// Where it came from (symmetric RTP sends back there).
        from: SocketAddr,
        /// The datagram.
        bytes: &'a [u8],
    },
    /// Microphone samples at [`Session::sample_rate`], mono.
    Captured(&'a [i16]),
    /// The time of [`Session::poll_timeout`] has come.
    Timeout,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaTransmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The datagram.
    pub payload: Vec<u8>,
    /// Whether it is RTCP (sent to the RTCP port unless rtcp-mux is in use).
    pub rtcp: bool,
}

/// Receive-side figures from RTCP and our own counting.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallQuality {
    /// Interarrival jitter of the far end's packets (RFC 3550 A.8), in milliseconds.
    pub jitter_ms: f32,
    /// Packets lost of those expected since the call started, in percent.
    pub loss_percent: f32,
    /// Round-trip time from the far end's reports (LSR/DLSR), once known.
    pub rtt_ms: Option<u32>,
}

/// Something the session reports.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// A key pressed at the far end (RFC 4733), reported once per press.
    Dtmf {
        /// `0`–`9`, `*`, `#`, `A`–`D`.
        digit: char,
        /// How long it was held.
        duration_ms: u32,
    },
    /// New figures (about every 5 seconds).
    Quality(CallQuality),
    /// Packets arrive but have carried only silence for a while.
    FarEndSilent,
    /// No packets have arrived for this long although the far end should be sending.
    NoMedia {
        /// Seconds without a packet.
        for_secs: u32,
    },
}

/// How a key press goes to the far end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfRoute {
    /// Sent in the media stream as RFC 4733 events.
    Rfc4733,
    /// The far end offered no telephone-event: send it with SIP INFO instead.
    NeedsInfo,
}

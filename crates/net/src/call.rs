//! Calls: what [`crate::NetHandle`]'s call methods take and what [`crate::NetEvent::Call`]
//! reports. The driver task owns the SIP side of a call (through the user agent); each call's
//! media runs in a task of its own (`task.rs`): its RTP and RTCP sockets (an even/odd port pair
//! bound on the address of the account's SIP flow), the `voicelamp-media` [`Session`] ticked
//! every packet time, and the [`AudioPort`] the sound goes through. When the call ends the task
//! ends, and its sockets and sound with it; [`crate::Snapshot::call_tasks`] counts the tasks.
//!
//! [`Session`]: voicelamp_media::Session

pub(crate) mod sockets;
pub(crate) mod task;

use std::fmt;
use voicelamp_media::{AudioPort, CallQuality, CodecKind};
use voicelamp_sip::call::{CallEnd, Party};

/// What a call needs from the one who starts or answers it.
pub struct CallOptions {
    /// Where the sound goes: sound devices, WAV files or silence.
    pub audio: Box<dyn AudioPort>,
    /// Codecs in order of preference; empty: the media layer's default (G.711 µ-law, A-law).
    pub codecs: Vec<CodecKind>,
    /// Play the stutter dial tone (messages wait on this line) while the call is dialled.
    pub stutter_dial_tone: bool,
}

impl CallOptions {
    /// Default codecs, no dial tone.
    pub fn new(audio: Box<dyn AudioPort>) -> Self {
        Self {
            audio,
            codecs: Vec::new(),
            stutter_dial_tone: false,
        }
    }
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallOptions")
            .field("codecs", &self.codecs)
            .field("stutter_dial_tone", &self.stutter_dial_tone)
            .finish_non_exhaustive()
    }
}

/// What happened in a call.
#[derive(Debug, Clone, PartialEq)]
pub enum CallUpdate {
    /// An incoming call rings here: [`answer`](crate::NetHandle::answer) or
    /// [`decline`](crate::NetHandle::decline) it.
    Incoming {
        /// The caller.
        from: Party,
        /// The called address.
        to: String,
    },
    /// An incoming call was answered busy (`486`): another call runs.
    Missed {
        /// The caller.
        from: Party,
        /// The called address.
        to: String,
    },
    /// Our call rings at the far end (ringback plays here).
    Ringing,
    /// The far end sends audio before answering (a greeting, an announcement).
    EarlyMedia,
    /// The call is answered (ours got `2xx`; an incoming one got its ACK).
    Connected,
    /// The media is set up: the codec and whether it is encrypted.
    Media {
        /// The codec's name in SDP ("PCMU", "PCMA", "G722", "opus").
        codec: &'static str,
        /// The codec's sample rate.
        rate: u32,
        /// Our RTP address (the RTCP port is the next one).
        local: std::net::SocketAddr,
        /// The media is encrypted (SRTP was agreed).
        secure: bool,
    },
    /// The first frame of far-end sound was handed to the audio port.
    FirstAudio,
    /// New RTCP figures (about every 5 s).
    Quality(CallQuality),
    /// A key was pressed at the far end.
    DtmfReceived {
        /// The key.
        digit: char,
        /// How long, in milliseconds.
        duration_ms: u32,
        /// It came by SIP INFO (else RFC 4733 in the media).
        by_info: bool,
    },
    /// A key of ours went out.
    DtmfSent {
        /// The key.
        digit: char,
        /// By SIP INFO (the far end offered no telephone-event), else RFC 4733.
        by_info: bool,
    },
    /// Hold changed (ours, or the far end's new offer).
    Hold {
        /// We hold the call.
        local: bool,
    },
    /// The far end changed the session (re-INVITE or UPDATE) and was answered.
    Renegotiated,
    /// Mute changed.
    Muted(bool),
    /// No media packets for this long although the far end should send.
    NoMedia {
        /// Seconds.
        for_secs: u32,
    },
    /// Something about the sound a person should know, in words.
    Notice(String),
    /// The call is over; its task, sockets and sound are gone.
    Ended {
        /// Why (its `Display` is the words).
        reason: CallEnd,
    },
}

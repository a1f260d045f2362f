//! Calls: INVITE dialogs carrying SDP as opaque bytes. The media layer makes and reads the SDP;
//! this module moves it: the INVITE client and server transactions (RFC 3261 §17.1.1, §17.2.1
//! with RFC 6026's *Accepted* state), dialogs (§12: tags, route set, remote target, CSeq both
//! ways), CANCEL, BYE, re-INVITE (ours and the far end's) and UPDATE from the far end, RFC 4028 session timers and DTMF
//! by INFO (`application/dtmf-relay`).
//!
//! The user agent owns the calls ([`UserAgent::start_call`](crate::UserAgent::start_call) and
//! friends) and reports them as [`Event::Call`](crate::Event::Call) with a [`CallEvent`].
//!
//! Every request a call makes is counted: at most [`MAX_INVITES_PER_CALL`] INVITEs for one call
//! (one digest answer, one redirect, one `422` step), so no peer answer (a `401` to every INVITE, a
//! `302` to itself) can make a loop; at most [`MAX_CALLS`] calls at once.

use bytes::Bytes;
use std::fmt;
use std::time::Duration;

mod dialog;
mod dtmf;
pub mod end;
mod incoming;
mod invite_client;
mod invite_server;
mod machine;
mod midcall;
mod outgoing;
mod reinvite;
mod session_timer;
pub mod target;

pub use end::{CallEnd, EndCause};
pub(crate) use machine::{ALLOW, Call, Ctx, Dest};

/// Most calls a user agent holds at once (ringing, up or ending).
pub const MAX_CALLS: usize = 4;
/// Most INVITE requests built for one call: the first, one answer to a digest challenge, one
/// redirect (`3xx`) followed, one `422` (session interval too small) step.
pub const MAX_INVITES_PER_CALL: u32 = 4;
/// An outgoing call that rings this long without an answer is cancelled.
pub const MAX_RINGING: Duration = Duration::from_secs(180);
/// An incoming call that rings this long unanswered is refused with `480`.
pub const MAX_INCOMING_RINGING: Duration = Duration::from_secs(180);
/// How long a far-end offer (re-INVITE, UPDATE) waits for
/// [`answer_offer`](crate::UserAgent::answer_offer) before it is answered with the last local SDP.
pub const ANSWER_OFFER_WAIT: Duration = Duration::from_secs(2);
/// Most DTMF digits queued for INFO (sent one at a time, in order).
pub const MAX_DTMF_QUEUE: usize = 32;
/// Smallest session interval accepted (RFC 4028 `Min-SE`), in seconds.
pub const MIN_SESSION_EXPIRES: u32 = 90;

/// Whether an INVITE asks for a session interval below [`MIN_SESSION_EXPIRES`] (answered `422`).
pub(crate) fn too_brief(request: &crate::message::Request) -> bool {
    session_timer::session_expires(&request.head).is_some_and(|(s, _)| s < MIN_SESSION_EXPIRES)
}

/// The extensions an INVITE requires (`Require`) that this user agent does not support (all but
/// `timer`): answered `420 Bad Extension` with them in `Unsupported`.
pub(crate) fn unsupported_required(request: &crate::message::Request) -> Option<String> {
    let unsupported: Vec<String> = request
        .head
        .header_values("Require")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty() && t != "timer")
        .take(8)
        .map(|t| t.chars().take(32).collect())
        .collect();
    (!unsupported.is_empty()).then(|| unsupported.join(", "))
}

/// A call handle, unique within a user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u32);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call {}", self.0)
    }
}

/// Who is calling (from the `From` header of an incoming INVITE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// The display name, when the caller sent one.
    pub display: Option<String>,
    /// The caller's URI.
    pub uri: String,
    /// The user part when it reads as a phone number (digits, optionally a leading `+`).
    pub number: Option<String>,
}

/// What happens in a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// An incoming call: ring it ([`ring_call`](crate::UserAgent::ring_call)), answer or reject.
    Incoming {
        /// The caller.
        from: Party,
        /// The called URI (the `To` header's).
        to: String,
        /// The caller's SDP offer (`None`: the offer is ours to make in the `200`, and the answer
        /// comes with the ACK as [`CallEvent::RemoteAnswer`]).
        offer: Option<Bytes>,
    },
    /// An incoming call was answered `486` because the user agent already has as many calls as
    /// it takes: for a missed-call list.
    Missed {
        /// The caller.
        from: Party,
        /// The called URI.
        to: String,
    },
    /// Our INVITE is ringing (`180`) or in progress (`183`); SDP in it is early media.
    Progress {
        /// The status code.
        code: u16,
        /// The far end's SDP answer, when the provisional response carried one.
        early_answer: Option<Bytes>,
    },
    /// Our INVITE was answered (`2xx`) with this SDP.
    Answered {
        /// The far end's SDP answer.
        answer: Bytes,
    },
    /// An incoming call we answered is confirmed: the ACK came.
    Confirmed,
    /// The far end made a new offer (re-INVITE or UPDATE: hold, resume, codec change): answer it
    /// with [`answer_offer`](crate::UserAgent::answer_offer); otherwise the last local SDP answers
    /// after [`ANSWER_OFFER_WAIT`].
    RemoteOffer {
        /// The offer.
        offer: Bytes,
    },
    /// The far end's answer to an offer of ours that went out without the app asking (the last
    /// local SDP in a `200` to a re-INVITE that had no SDP, or in an INVITE we answered without
    /// an offer): apply it like an answer.
    RemoteAnswer {
        /// The answer.
        answer: Bytes,
    },
    /// Our new offer ([`update_call`](crate::UserAgent::update_call): hold, resume) was not
    /// taken: refused with `code`, or answered without SDP (`None`). The call goes on with the
    /// media as it was.
    UpdateFailed {
        /// The far end's status code.
        code: Option<u16>,
    },
    /// A DTMF digit arrived by INFO.
    DtmfInfo {
        /// `0`–`9`, `*`, `#`, `A`–`D`.
        digit: char,
        /// Duration in milliseconds (the sender's figure, bounded).
        duration_ms: u32,
    },
    /// The call is over.
    Ended {
        /// Why, in words.
        reason: CallEnd,
    },
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// Our INVITE is out; nothing but `100` came back yet.
    Dialing,
    /// Our INVITE rings at the far end.
    Ringing,
    /// Our INVITE is in progress with early media.
    EarlyMedia,
    /// An incoming call waits to be answered (`ringing`: `180` was sent).
    Incoming {
        /// `180 Ringing` was sent.
        ringing: bool,
    },
    /// We answered an incoming call; its ACK has not come yet.
    Answering,
    /// The call is up.
    Connected,
    /// CANCEL or BYE is on its way.
    Ending,
    /// Over (kept a short while to absorb retransmissions).
    Ended,
}

/// Why a call request cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No such account.
    #[error("this line does not exist (it may have been removed); choose another line")]
    NoAccount,
    /// No such call (it ended).
    #[error("the call is over")]
    NoCall,
    /// As many calls as the user agent takes are going on.
    #[error("another call is going on; hang it up first")]
    Busy,
    /// The target cannot be dialled.
    #[error("cannot dial {0:?}: enter a number, an extension or a sip: address")]
    BadTarget(String),
    /// The call is not in a state where this can be done.
    #[error("{0}")]
    NotNow(&'static str),
    /// Not a DTMF digit.
    #[error("{0:?} is not a keypad key: use 0-9, *, #, A-D")]
    BadDigit(char),
    /// Too many DTMF digits wait to be sent.
    #[error("too many keypad presses are waiting to be sent; wait a moment")]
    DtmfQueueFull,
}

//! Why a call ended, in words a person reads: what happened and what to do.

use std::fmt;

/// How a call ended, beyond the status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndCause {
    /// A BYE ended the call (from `by_peer`'s side).
    HungUp,
    /// Our CANCEL stopped the call before it was answered.
    Cancelled,
    /// The caller gave up before we answered (an incoming call that is now missed).
    CallerCancelled,
    /// We refused an incoming call (`486`).
    Rejected,
    /// An incoming call rang for [`MAX_INCOMING_RINGING`](super::MAX_INCOMING_RINGING) unanswered.
    NotAnswered,
    /// Our call rang for [`MAX_RINGING`](super::MAX_RINGING) unanswered and was cancelled.
    NoAnswer,
    /// The far end answered our INVITE with a final error (see `code`).
    Failed,
    /// No answer from the server to a request of the call.
    Timeout,
    /// A digest challenge could not be answered (wrong or missing credentials).
    AuthFailed,
    /// Redirected more than once.
    TooManyRedirects,
    /// The far end asked for a longer session interval more than once, or one too long.
    SessionIntervalRefused,
    /// The session timer ran out without a refresh (RFC 4028): we sent BYE.
    SessionExpired,
    /// The ACK for our `200` never came.
    NoAck,
    /// The far end answered without a usable SDP answer.
    NoMedia,
    /// The far end says the dialog does not exist any more (`481`) or it timed out.
    DialogLost,
}

/// Why a call ended. `Display` says it in words, e.g. "busy (486): the line is busy; try again
/// later".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEnd {
    /// The SIP status that ended it, if one did.
    pub code: Option<u16>,
    /// Whether the far end (or the network) ended it, rather than us.
    pub by_peer: bool,
    /// What happened.
    pub cause: EndCause,
}

impl CallEnd {
    pub(crate) fn new(cause: EndCause, code: Option<u16>, by_peer: bool) -> Self {
        Self {
            code,
            by_peer,
            cause,
        }
    }

    /// A final error response to our INVITE.
    pub(crate) fn failed(code: u16) -> Self {
        Self::new(EndCause::Failed, Some(code), true)
    }
}

fn failure_words(code: u16) -> String {
    let words = match code {
        404 | 604 => {
            "not found (CODE): the number or address does not exist; check it and dial again"
        }
        480 => "unavailable (CODE): the person cannot be reached right now; try again later",
        486 | 600 => "busy (CODE): the line is busy; try again later",
        488 | 606 => {
            "no common audio format (CODE): the far end accepts none of the offered codecs; \
             check the codecs of this line in Settings"
        }
        503 => {
            "service unavailable (CODE): the server cannot place the call now; try again in a \
             minute, and check the line's server if it keeps happening"
        }
        603 => "declined (CODE): the person declined the call",
        401 | 407 => {
            "not authorized (CODE): the server did not accept the line's credentials for calls; \
             check the user name and password"
        }
        403 => {
            "forbidden (CODE): the server does not let this line make this call; check that the \
             account may dial this number"
        }
        408 => "no answer (CODE): the far end did not answer in time; try again later",
        410 => "gone (CODE): the number is no longer in service",
        415 | 420 => {
            "not supported (CODE): the far end does not accept how the call was made; tell the \
             administrator of the server"
        }
        484 => "incomplete number (CODE): dial the whole number",
        485 => "ambiguous (CODE): the address matches several people; dial a full number",
        487 => "cancelled (CODE): the call was stopped before it was answered",
        500..=599 => {
            "server error (CODE): the server could not complete the call; try again later, and \
             tell its administrator if it keeps happening"
        }
        300..=399 => {
            "redirected (CODE): the far end sent the call elsewhere in a way that cannot be followed"
        }
        _ => "failed (CODE): the far end refused the call; try again or check the number",
    };
    words.replace("CODE", &code.to_string())
}

impl fmt::Display for CallEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = match self.cause {
            EndCause::HungUp if self.by_peer => "the other side hung up".to_owned(),
            EndCause::HungUp => "you hung up".to_owned(),
            EndCause::Cancelled => "you cancelled the call before it was answered".to_owned(),
            EndCause::CallerCancelled => {
                "missed: the caller hung up before the call was answered".to_owned()
            }
            EndCause::Rejected => "you declined the call (the caller hears busy)".to_owned(),
            EndCause::NotAnswered => "missed: the call rang unanswered".to_owned(),
            EndCause::NoAnswer => {
                "no answer: the call rang for three minutes and was stopped; try again later"
                    .to_owned()
            }
            EndCause::Failed => failure_words(self.code.unwrap_or(0)),
            EndCause::Timeout => "no answer from the server: check the network connection and \
                                  the line's server, then try again"
                .to_owned(),
            EndCause::AuthFailed => "not authorized: the server's challenge could not be \
                                     answered; check the line's user name and password"
                .to_owned(),
            EndCause::TooManyRedirects => "redirected more than once: the call was stopped to \
                                           avoid a loop; check the number or the forwarding set \
                                           on the server"
                .to_owned(),
            EndCause::SessionIntervalRefused => "the far end asks for session refresh intervals \
                                                 this phone cannot agree to; tell the \
                                                 administrator of the server"
                .to_owned(),
            EndCause::SessionExpired => "the call was lost: the far end stopped confirming it \
                                         (session timer ran out)"
                .to_owned(),
            EndCause::NoAck => "the call was lost: the far end never confirmed the answer; \
                                check the network (a firewall may block the replies)"
                .to_owned(),
            EndCause::NoMedia => "the far end answered without saying how to send audio; the \
                                  call was ended; try again"
                .to_owned(),
            EndCause::DialogLost => "the call was lost: the server no longer knows it; call \
                                     again"
                .to_owned(),
        };
        f.write_str(&words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_say_what_happened_and_what_to_do() {
        let busy = CallEnd::failed(486).to_string();
        assert!(busy.starts_with("busy (486): "), "{busy}");
        assert!(busy.contains("try again later"));
        for code in [404, 480, 486, 488, 503, 603] {
            let text = CallEnd::failed(code).to_string();
            assert!(text.contains(&format!("({code})")), "{text}");
            assert!(!text.contains("CODE"));
        }
        assert_eq!(
            CallEnd::new(EndCause::HungUp, None, true).to_string(),
            "the other side hung up"
        );
    }
}

//! Calls as people see them: one [`CallView`] per call (who, which line, which way, its
//! [`CallState`], mute, the quality RTCP reports), the [`MissedCall`]s, and the
//! [`CallCommand`]s a front end sends (start, call voicemail, answer, decline, hang up, a key
//! of the dial pad, mute, hold).
//!
//! The engine builds these from the network driver's call events; the tray, the window and the
//! CLI only show them. They serialize as the CLI's JSON lines (inside
//! [`crate::EngineEvent::Call`]) and, with the `specta` feature, into the window's bindings.
//!
//! ```text
//! {"type":"call","id":1,"line":"office","line_name":"Office","remote":"*97","remote_name":null,
//!  "direction":"outgoing","state":{"kind":"connected","since":"2026-12-04T21:00:00Z"},
//!  "muted":false,"heard":true,"quality":{"jitter_ms":3,"loss_percent":0.0,"rtt_ms":12,"rating":"good"},"codec":"G.711 µ-law",
//!  "secure":false,"voicemail":true,"notice":null}
//! ```

pub mod model;

pub use model::{CallModel, Line};
use serde::{Deserialize, Serialize};

/// One call (at most one runs at a time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CallView {
    /// The call's number within this run of the engine (from 1).
    pub id: u32,
    /// The account (line) it is on: the account's id.
    pub line: String,
    /// The line's name to show.
    pub line_name: String,
    /// Whom it is with, as shown: the number when there is one, else the SIP address.
    pub remote: String,
    /// The far end's display name, when it sent one.
    pub remote_name: Option<String>,
    /// Who called whom.
    pub direction: CallDirection,
    /// Where the call is.
    pub state: CallState,
    /// Our microphone is muted.
    pub muted: bool,
    /// Sound from the far end has been played (early media included).
    pub heard: bool,
    /// The latest figures from RTCP, once there are any.
    pub quality: Option<CallQuality>,
    /// The codec in use once media flows ("G.711 µ-law", "G.722", "Opus").
    pub codec: Option<String>,
    /// The media is encrypted (SRTP).
    pub secure: bool,
    /// The call is to the line's voicemail ("Call voicemail").
    pub voicemail: bool,
    /// Something about the sound a person should know, in words ("no sound device: the call goes
    /// on without sound").
    pub notice: Option<String>,
}

/// Who called whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    /// We called.
    Outgoing,
    /// They called us.
    Incoming,
}

/// Where a call is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallState {
    /// Outgoing: the INVITE is on its way, nothing heard from the far end's phone yet.
    Dialing,
    /// Outgoing: the far end rings (ringback plays here). Incoming: it rings here.
    Ringing,
    /// Outgoing: the far end plays audio before answering (a greeting, announcements).
    EarlyMedia,
    /// Answered; `since` is when (RFC 3339, UTC).
    Connected {
        /// When the call was answered.
        since: String,
    },
    /// Answered and on hold (by either side); `since` is when it was answered.
    OnHold {
        /// When the call was answered.
        since: String,
        /// The far end put it on hold (else we did).
        by_peer: bool,
    },
    /// Over.
    Ended {
        /// Why, in words: "hung up", "the far end hung up", "busy (486)", …
        why: String,
        /// It ended in a failure a person should see (busy, not found, no common codec, …),
        /// not by someone hanging up.
        failed: bool,
    },
}

impl CallState {
    /// The call is over.
    pub fn is_ended(&self) -> bool {
        matches!(self, Self::Ended { .. })
    }

    /// The call is answered (connected or on hold).
    pub fn is_answered(&self) -> bool {
        matches!(self, Self::Connected { .. } | Self::OnHold { .. })
    }

    /// One short word for people and logs: "dialing", "ringing", "early media", "connected",
    /// "on hold", "ended".
    pub fn word(&self) -> &'static str {
        match self {
            Self::Dialing => "dialing",
            Self::Ringing => "ringing",
            Self::EarlyMedia => "early media",
            Self::Connected { .. } => "connected",
            Self::OnHold { .. } => "on hold",
            Self::Ended { .. } => "ended",
        }
    }
}

/// What RTCP says about a call's media (received by us, and what the far end reports of ours).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CallQuality {
    /// Interarrival jitter of what we receive, in milliseconds.
    pub jitter_ms: u32,
    /// Packets lost on the way to us, in percent of those sent (0–100).
    pub loss_percent: f32,
    /// Round-trip time from RTCP (LSR/DLSR), once the far end reported one.
    pub rtt_ms: Option<u32>,
    /// How it sounds, judged from the figures above (the window and the CLI show this).
    pub rating: QualityRating,
}

impl CallQuality {
    /// The figures with their rating.
    pub fn new(jitter_ms: u32, loss_percent: f32, rtt_ms: Option<u32>) -> Self {
        CallQuality {
            jitter_ms,
            loss_percent,
            rtt_ms,
            rating: QualityRating::of(jitter_ms, loss_percent, rtt_ms),
        }
    }

    /// The rating in a word: "good", "fair" or "poor".
    pub fn rating(&self) -> &'static str {
        self.rating.word()
    }
}

/// How a call sounds, from RTCP's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum QualityRating {
    /// Nothing a person would hear.
    Good,
    /// Some loss, jitter or delay a person may hear.
    Fair,
    /// Loss, jitter or delay that spoil the call.
    Poor,
}

impl QualityRating {
    /// ITU-T G.107 rule of thumb: loss over 1 %, jitter over 30 ms or a round trip over 300 ms is
    /// heard; over 5 %, 60 ms or 600 ms is poor.
    pub fn of(jitter_ms: u32, loss_percent: f32, rtt_ms: Option<u32>) -> Self {
        let rtt = rtt_ms.unwrap_or(0);
        if loss_percent > 5.0 || jitter_ms > 60 || rtt > 600 {
            Self::Poor
        } else if loss_percent > 1.0 || jitter_ms > 30 || rtt > 300 {
            Self::Fair
        } else {
            Self::Good
        }
    }

    /// "good", "fair" or "poor".
    pub fn word(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Fair => "fair",
            Self::Poor => "poor",
        }
    }
}

/// An incoming call nobody answered here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MissedCall {
    /// The line it came in on (account id).
    pub line: String,
    /// The line's name to show.
    pub line_name: String,
    /// The caller as shown: the number when there is one, else the SIP address.
    pub from: String,
    /// The caller's display name, when sent.
    pub from_name: Option<String>,
    /// The number to call back, when there is one.
    pub number: Option<String>,
    /// When it came (RFC 3339, UTC).
    pub at: String,
    /// Why it was missed.
    pub why: MissedWhy,
}

/// Why an incoming call was missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum MissedWhy {
    /// Another call was running: it was answered busy (486).
    Busy,
    /// The caller gave up (or another phone of the line took it) while it rang here.
    NotAnswered,
    /// Declined here (486, so the line's other phones may still take it).
    Declined,
}

impl MissedWhy {
    /// In words: "while you were on another call", "not answered", "declined".
    pub fn words(self) -> &'static str {
        match self {
            Self::Busy => "while you were on another call",
            Self::NotAnswered => "not answered",
            Self::Declined => "declined",
        }
    }
}

/// What a front end asks of the running call (or to start one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CallCommand {
    /// Call `target` on `line`: a number, an extension, `*97`, or a `sip:`/`tel:` URI.
    Start {
        /// Account id.
        line: String,
        /// What to dial.
        target: String,
    },
    /// Call the line's voicemail: its `voicemail_access_code`, else its mailbox's voicemail
    /// address; the PIN follows when the line is set up for it.
    Voicemail {
        /// Account id.
        line: String,
    },
    /// Answer the ringing incoming call.
    Answer,
    /// Decline the ringing incoming call (486: the line's other phones may still take it).
    Decline,
    /// Hang up (cancels a call that is not answered yet).
    HangUp,
    /// A key of the dial pad: `0`–`9`, `*`, `#`, `A`–`D`, sent as DTMF.
    Dtmf {
        /// The key.
        digit: char,
    },
    /// Mute or unmute our microphone.
    Mute {
        /// Muted.
        on: bool,
    },
    /// Put the call on hold or take it back.
    Hold {
        /// On hold.
        on: bool,
    },
}

/// Whether `digit` is a DTMF key (RFC 4733 events 0–15).
pub fn is_dtmf_key(digit: char) -> bool {
    matches!(digit, '0'..='9' | '*' | '#' | 'A'..='D')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_shape_is_fixed() {
        let view = CallView {
            id: 1,
            line: "office".into(),
            line_name: "Office".into(),
            remote: "*97".into(),
            remote_name: None,
            direction: CallDirection::Outgoing,
            state: CallState::Connected {
                since: "2026-12-04T21:00:00Z".into(),
            },
            muted: false,
            heard: true,
            quality: Some(CallQuality::new(3, 0.0, Some(12))),
            codec: Some("G.711 µ-law".into()),
            secure: false,
            voicemail: true,
            notice: None,
        };
        assert_eq!(
            serde_json::to_string(&view).expect("json"),
            r#"{"id":1,"line":"office","line_name":"Office","remote":"*97","remote_name":null,"direction":"outgoing","state":{"kind":"connected","since":"2026-12-04T21:00:00Z"},"muted":false,"heard":true,"quality":{"jitter_ms":3,"loss_percent":0.0,"rtt_ms":12,"rating":"good"},"codec":"G.711 µ-law","secure":false,"voicemail":true,"notice":null}"#
        );
        let ended = CallState::Ended {
            why: "busy (486)".into(),
            failed: true,
        };
        assert_eq!(
            serde_json::to_string(&ended).expect("json"),
            r#"{"kind":"ended","why":"busy (486)","failed":true}"#
        );
    }

    #[test]
    fn commands_read_as_front_ends_write_them() {
        let cases = [
            (
                r#"{"command":"start","line":"office","target":"+4930123"}"#,
                CallCommand::Start {
                    line: "office".into(),
                    target: "+4930123".into(),
                },
            ),
            (
                r#"{"command":"voicemail","line":"office"}"#,
                CallCommand::Voicemail {
                    line: "office".into(),
                },
            ),
            (r#"{"command":"hang_up"}"#, CallCommand::HangUp),
            (
                r##"{"command":"dtmf","digit":"#"}"##,
                CallCommand::Dtmf { digit: '#' },
            ),
            (
                r#"{"command":"hold","on":true}"#,
                CallCommand::Hold { on: true },
            ),
        ];
        for (json, command) in cases {
            assert_eq!(
                serde_json::from_str::<CallCommand>(json).expect(json),
                command
            );
        }
    }

    #[test]
    fn quality_ratings_follow_loss_jitter_and_delay() {
        let q = CallQuality::new;
        assert_eq!(q(5, 0.0, Some(20)).rating(), "good");
        assert_eq!(q(5, 2.0, None).rating(), "fair");
        assert_eq!(q(40, 0.0, None).rating(), "fair");
        assert_eq!(q(5, 0.0, Some(400)).rating(), "fair");
        assert_eq!(q(5, 8.0, None).rating(), "poor");
        assert_eq!(q(90, 0.0, None).rating(), "poor");
    }

    #[test]
    fn dtmf_keys() {
        for key in "0123456789*#ABCD".chars() {
            assert!(is_dtmf_key(key));
        }
        for key in "aEx !".chars() {
            assert!(!is_dtmf_key(key));
        }
    }
}

//! [`EngineEvent`]: the one stream of typed state changes that the tray, notifications, UI and
//! CLI subscribe to. Serialized with serde as one JSON object per line
//! ([`EngineEvent::to_json_line`]); the shapes are fixed by tests below.
//!
//! ```text
//! {"type":"registration","account":"office","state":"registered","reason":null}
//! {"type":"call","id":1,"line":"office",…,"state":{"kind":"ringing"},…}  (see crate::call)
//! {"type":"missed_call","line":"office",…,"why":"busy"}
//! {"type":"mailbox","account":"office","mailbox":"sip:alice@pbx","state":"active","waiting":true,
//!  "new":2,"old":1,"urgent_new":0,"urgent_old":0,"source":"subscription","reason":null,
//!  "at":"2026-11-27T00:00:00Z"}
//! ```
//!
//! A mailbox that is `unknown` has `null` counts, never `0`; a `stale` one carries its last known
//! counts when there are any, with the reason in words.

use crate::call::{CallView, MissedCall};
use crate::lamp::{ClassCounts, LampSource};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// A change of state (or, in [`crate::lamp::LampModel::snapshot`], the current state).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    /// An account's registration.
    Registration(RegistrationEvent),
    /// A mailbox's lamp.
    Mailbox(MailboxEvent),
    /// A call changed (state, mute, quality); the last one of a call is `ended`.
    Call(CallView),
    /// An incoming call was missed.
    MissedCall(MissedCall),
}

impl EngineEvent {
    /// The event as one line of JSON (no trailing newline).
    pub fn to_json_line(&self) -> String {
        // Strings, numbers, booleans and maps with string keys always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The account id the event is about.
    pub fn account(&self) -> &str {
        match self {
            Self::Registration(e) => &e.account,
            Self::Mailbox(e) => &e.account,
            Self::Call(c) => &c.line,
            Self::MissedCall(m) => &m.line,
        }
    }
}

/// Registration state of an account, as events show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// Nothing heard yet.
    Unknown,
    /// Registered.
    Registered,
    /// Failed (see the reason); it may be retried.
    Failed,
    /// Unregistered after shutdown.
    Unregistered,
    /// The account is configured with `register = false`.
    Disabled,
}

/// `{"type":"registration","account","state","reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationEvent {
    /// Account id.
    pub account: String,
    /// State.
    pub state: RegistrationState,
    /// Why it failed, in words; `null` otherwise.
    pub reason: Option<String>,
}

/// The lamp state of a mailbox, as events show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum LampState {
    /// Nothing heard: counts are `null`.
    Unknown,
    /// Current counts.
    Active,
    /// What was known may be out of date (last counts, if any, and why).
    Stale,
    /// The mailbox cannot be watched (why).
    Failed,
}

/// `{"type":"mailbox","account","mailbox","state","waiting","new","old","urgent_new","urgent_old",
/// "source","reason","at"}`, plus `"classes"` when classes other than voice-message were sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailboxEvent {
    /// Account id.
    pub account: String,
    /// Mailbox URI.
    pub mailbox: String,
    /// Lamp state.
    pub state: LampState,
    /// `Messages-Waiting`, when known.
    pub waiting: Option<bool>,
    /// New voice messages (urgent included), when known.
    pub new: Option<u32>,
    /// Old voice messages (urgent included), when known.
    pub old: Option<u32>,
    /// Urgent new voice messages, when the server sent them.
    pub urgent_new: Option<u32>,
    /// Urgent old voice messages, when the server sent them.
    pub urgent_old: Option<u32>,
    /// Where the (last) counts came from.
    pub source: Option<LampSource>,
    /// Why the mailbox is stale or failed, in words.
    pub reason: Option<String>,
    /// When this state began (active: when the counts arrived), RFC 3339 UTC, whole seconds.
    #[serde(serialize_with = "rfc3339")]
    pub at: Option<SystemTime>,
    /// Counts of the classes other than `voice-message`, by class name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<String, ClassCounts>,
}

/// RFC 3339 in UTC with whole seconds: `2026-11-27T00:00:00Z`.
pub fn format_rfc3339(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn rfc3339<S: Serializer>(at: &Option<SystemTime>, serializer: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serializer.serialize_str(&format_rfc3339(*at)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn registration_shape() {
        let event = EngineEvent::Registration(RegistrationEvent {
            account: "office".into(),
            state: RegistrationState::Failed,
            reason: Some("the server refused the user name or password".into()),
        });
        assert_eq!(
            event.to_json_line(),
            r#"{"type":"registration","account":"office","state":"failed","reason":"the server refused the user name or password"}"#
        );
    }

    #[test]
    fn active_mailbox_shape_with_other_classes() {
        let mut classes = BTreeMap::new();
        classes.insert(
            "fax-message".to_owned(),
            ClassCounts {
                new: 1,
                old: Some(0),
                urgent_new: None,
                urgent_old: None,
            },
        );
        let event = EngineEvent::Mailbox(MailboxEvent {
            account: "office".into(),
            mailbox: "sip:alice@pbx.example.com".into(),
            state: LampState::Active,
            waiting: Some(true),
            new: Some(2),
            old: Some(8),
            urgent_new: Some(1),
            urgent_old: Some(0),
            source: Some(LampSource::Subscription),
            reason: None,
            at: Some(at(1_795_737_600) + Duration::from_millis(750)),
            classes,
        });
        assert_eq!(
            event.to_json_line(),
            r#"{"type":"mailbox","account":"office","mailbox":"sip:alice@pbx.example.com","state":"active","waiting":true,"new":2,"old":8,"urgent_new":1,"urgent_old":0,"source":"subscription","reason":null,"at":"2026-11-27T00:00:00Z","classes":{"fax-message":{"new":1,"old":0,"urgent_new":null,"urgent_old":null}}}"#
        );
    }

    #[test]
    fn unknown_mailbox_shape_has_null_counts() {
        let event = EngineEvent::Mailbox(MailboxEvent {
            account: "office".into(),
            mailbox: "sip:support@pbx".into(),
            state: LampState::Unknown,
            waiting: None,
            new: None,
            old: None,
            urgent_new: None,
            urgent_old: None,
            source: None,
            reason: None,
            at: None,
            classes: BTreeMap::new(),
        });
        assert_eq!(
            event.to_json_line(),
            r#"{"type":"mailbox","account":"office","mailbox":"sip:support@pbx","state":"unknown","waiting":null,"new":null,"old":null,"urgent_new":null,"urgent_old":null,"source":null,"reason":null,"at":null}"#
        );
    }

    #[test]
    fn missed_call_shape() {
        let event = EngineEvent::MissedCall(MissedCall {
            line: "office".into(),
            line_name: "Office".into(),
            from: "+4930123".into(),
            from_name: Some("Ana".into()),
            number: Some("+4930123".into()),
            at: "2026-12-04T21:00:00Z".into(),
            why: crate::call::MissedWhy::Busy,
        });
        assert_eq!(
            event.to_json_line(),
            r#"{"type":"missed_call","line":"office","line_name":"Office","from":"+4930123","from_name":"Ana","number":"+4930123","at":"2026-12-04T21:00:00Z","why":"busy"}"#
        );
        assert_eq!(event.account(), "office");
    }

    #[test]
    fn rfc3339_is_utc_whole_seconds() {
        assert_eq!(format_rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_rfc3339(at(1_795_741_199) + Duration::from_nanos(999_999_999)),
            "2026-11-27T00:59:59Z"
        );
    }
}

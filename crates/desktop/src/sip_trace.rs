//! The last SIP messages sent and received, for Diagnostics: a `tracing` layer keeps the user
//! agent's debug traces (already redacted by `voicelamp-sip`: no `Authorization` values, no
//! passwords) in a bounded ring, whatever the log level of the console.

use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Messages kept.
pub const KEPT: usize = 200;

/// The target of the user agent's traces: the module and those inside it (what it receives is
/// traced from `voicelamp_sip::user_agent::incoming`).
pub const TARGET: &str = "voicelamp_sip::user_agent";

/// Whether `target` is the user agent's module or one inside it (as `Targets` filters match).
fn from_user_agent(target: &str) -> bool {
    target
        .strip_prefix(TARGET)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// One SIP message as traced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SipExchange {
    /// When (RFC 3339).
    pub at: String,
    /// `true` when sent, `false` when received.
    pub sent: bool,
    /// The other side's address.
    pub peer: String,
    /// The message, redacted.
    pub text: String,
}

/// The ring of recent messages; cloned handles share it.
#[derive(Debug, Clone, Default)]
pub struct SipTrace {
    ring: Arc<Mutex<VecDeque<SipExchange>>>,
}

impl SipTrace {
    /// The messages kept, oldest first.
    pub fn recent(&self) -> Vec<SipExchange> {
        self.ring
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    fn push(&self, exchange: SipExchange) {
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        if ring.len() >= KEPT {
            ring.pop_front();
        }
        ring.push_back(exchange);
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    peer: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message.push_str(value),
            "to" | "from" => self.peer.push_str(value),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            "to" | "from" => {
                let _ = write!(self.peer, "{value:?}");
            }
            _ => {}
        }
    }
}

impl<S: Subscriber> Layer<S> for SipTrace {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !from_user_agent(event.metadata().target()) {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let (sent, text) = if let Some(text) = fields.message.strip_prefix("sip send\n") {
            (true, text)
        } else if let Some(text) = fields.message.strip_prefix("sip recv\n") {
            (false, text)
        } else {
            return;
        };
        self.push(SipExchange {
            at: voicelamp_core::event::format_rfc3339(std::time::SystemTime::now()),
            sent,
            peer: fields.peer,
            text: text.trim_end().to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt as _;

    #[test]
    fn keeps_the_newest_sip_messages_only() {
        let trace = SipTrace::default();
        let subscriber = tracing_subscriber::registry().with(trace.clone());
        tracing::subscriber::with_default(subscriber, || {
            for n in 0..(KEPT + 5) {
                tracing::debug!(target: "voicelamp_sip::user_agent", to = "127.0.0.1:5060", "sip send\nOPTIONS {n}");
            }
            tracing::debug!(target: "voicelamp_sip::user_agent", from = "127.0.0.1:5060", "sip recv\nSIP/2.0 200 OK\r\n");
            tracing::debug!(target: "voicelamp_sip::user_agent", "something else");
            tracing::debug!(target: "voicelamp_sip::user_agentish", from = "x", "sip recv\nnot the user agent");
            tracing::debug!(target: "voicelamp_net", to = "x", "sip send\nnot from the user agent");
        });
        let recent = trace.recent();
        assert_eq!(recent.len(), KEPT);
        assert_eq!(recent[0].text, "OPTIONS 6");
        let last = recent.last().expect("last");
        assert!(!last.sent);
        assert_eq!(last.peer, "127.0.0.1:5060");
        assert_eq!(last.text, "SIP/2.0 200 OK");
    }
}

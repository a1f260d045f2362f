//! Output: one JSON object per line for scripts, one readable line per change for people.

use std::io::Write;
use voicelamp_core::call::{CallState, CallView};
use voicelamp_core::event::format_rfc3339;
use voicelamp_core::{EngineEvent, LampState, MailboxEvent, RegistrationState};

/// Writes events to stdout, as JSON lines or readable lines, flushing after each batch.
pub fn events(events: &[EngineEvent], json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for event in events {
        let line = if json {
            event.to_json_line()
        } else {
            human(event)
        };
        writeln!(out, "{line}")?;
    }
    out.flush()
}

/// One readable line.
pub fn human(event: &EngineEvent) -> String {
    match event {
        EngineEvent::Registration(r) => {
            let state = match r.state {
                RegistrationState::Unknown => "not registered yet",
                RegistrationState::Registered => "registered",
                RegistrationState::Failed => "registration FAILED",
                RegistrationState::Unregistered => "unregistered",
                RegistrationState::Disabled => "registration disabled",
            };
            match &r.reason {
                Some(why) => format!("{}: {state}: {why}", r.account),
                None => format!("{}: {state}", r.account),
            }
        }
        EngineEvent::Mailbox(m) => format!("{} {}: {}", m.account, m.mailbox, mailbox_words(m)),
        EngineEvent::Call(c) => call_words(c),
        EngineEvent::MissedCall(m) => {
            format!(
                "{}: missed call from {} ({})",
                m.line,
                m.from,
                m.why.words()
            )
        }
    }
}

fn mailbox_words(m: &MailboxEvent) -> String {
    let counts = || {
        let mut text = match (m.new, m.old) {
            (Some(new), Some(old)) => format!("{new} new, {old} old"),
            (Some(new), None) => format!("{new} new"),
            _ if m.waiting == Some(true) => "messages waiting (no count given)".to_owned(),
            _ if m.waiting == Some(false) => "no messages waiting".to_owned(),
            _ => "no counts".to_owned(),
        };
        if let Some(urgent) = m.urgent_new.filter(|u| *u > 0) {
            text.push_str(&format!(" ({urgent} urgent)"));
        }
        text
    };
    let source = m
        .source
        .map(|s| {
            format!(
                " via {}",
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let at =
        m.at.map(|at| format!(" at {}", format_rfc3339(at)))
            .unwrap_or_default();
    let reason = m
        .reason
        .as_deref()
        .map(|r| format!(" — {r}"))
        .unwrap_or_default();
    match m.state {
        LampState::Unknown => format!("unknown (nothing heard yet){reason}"),
        LampState::Active => format!("{}{source}{at}", counts()),
        LampState::Stale if m.new.is_some() || m.waiting.is_some() => {
            format!("stale, last known {}{source}{reason}", counts())
        }
        LampState::Stale => format!("stale{reason}"),
        LampState::Failed => format!("FAILED{reason}"),
    }
}

/// A line of words, or `{"type":"error","message":…}` with `--json`.
pub fn words_or_json(words: &str, json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let line = serde_json::json!({ "type": "error", "message": words });
        writeln!(out, "{line}")?;
    } else {
        writeln!(out, "{words}")?;
    }
    out.flush()
}

fn call_words(c: &CallView) -> String {
    let who = match &c.remote_name {
        Some(name) => format!("{name} ({})", c.remote),
        None => c.remote.clone(),
    };
    let mut text = format!("{}: call {who}: ", c.line);
    match &c.state {
        CallState::Connected { since } => {
            text.push_str(&format!("connected since {since}"));
            if let Some(codec) = &c.codec {
                text.push_str(&format!(", {codec}"));
            }
        }
        CallState::OnHold { by_peer, .. } => text.push_str(if *by_peer {
            "on hold by the far end"
        } else {
            "on hold"
        }),
        CallState::Ended { why, .. } => text.push_str(&format!("ended: {why}")),
        other => text.push_str(other.word()),
    }
    if c.muted {
        text.push_str(", muted");
    }
    if let Some(q) = &c.quality {
        text.push_str(&format!(
            "; quality {} (jitter {} ms, loss {:.1} %{})",
            q.rating(),
            q.jitter_ms,
            q.loss_percent,
            q.rtt_ms
                .map(|r| format!(", round trip {r} ms"))
                .unwrap_or_default()
        ));
    }
    if let Some(notice) = &c.notice {
        text.push_str(&format!(" — {notice}"));
    }
    text
}

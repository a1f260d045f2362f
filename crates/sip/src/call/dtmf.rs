//! DTMF by SIP INFO (`application/dtmf-relay`, `Signal=5\r\nDuration=160`): presses of ours
//! go out one at a time, in order, each waiting for the answer to the one before (at most
//! [`MAX_DTMF_QUEUE`] waiting); the far end's INFO is read here (also `application/dtmf`).

use super::machine::{Call, Ctx, Purpose};
use super::{CallError, CallState, MAX_DTMF_QUEUE};
use std::time::Instant;

/// Longest DTMF duration reported or sent, in milliseconds.
pub const MAX_DTMF_DURATION_MS: u32 = 10_000;

fn dtmf_key(c: char) -> Option<char> {
    let c = c.to_ascii_uppercase();
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
}

/// A DTMF digit in an INFO body: `application/dtmf-relay` (`Signal=5\r\nDuration=160`) or
/// `application/dtmf` (`5`); event numbers 10–15 are `*`, `#`, `A`–`D`.
pub(crate) fn parse_dtmf(content_type: Option<&str>, body: &[u8]) -> Option<(char, u32)> {
    let text = std::str::from_utf8(body).ok()?;
    let signal_of = |v: &str| -> Option<char> {
        let v = v.trim();
        match v.parse::<u8>() {
            Ok(n @ 0..=9) => Some(char::from(b'0' + n)),
            Ok(10) => Some('*'),
            Ok(11) => Some('#'),
            Ok(n @ 12..=15) => Some(char::from(b'A' + n - 12)),
            Ok(_) => None,
            Err(_) if v.chars().count() == 1 => dtmf_key(v.chars().next()?),
            Err(_) => None,
        }
    };
    match content_type {
        Some("application/dtmf") => Some((signal_of(text)?, 250)),
        Some("application/dtmf-relay") => {
            let mut signal = None;
            let mut duration = 250;
            for line in text.lines().take(16) {
                let Some((name, value)) = line.split_once('=') else {
                    continue;
                };
                match name.trim().to_ascii_lowercase().as_str() {
                    "signal" => signal = signal_of(value),
                    "duration" => duration = value.trim().parse().unwrap_or(250),
                    _ => {}
                }
            }
            Some((signal?, duration.min(MAX_DTMF_DURATION_MS)))
        }
        _ => None,
    }
}

impl Call {
    /// Queues a DTMF digit for INFO.
    pub(crate) fn send_dtmf_info(
        &mut self,
        now: Instant,
        digit: char,
        duration_ms: u32,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), CallError> {
        let key = dtmf_key(digit).ok_or(CallError::BadDigit(digit))?;
        if self.ended {
            return Err(CallError::NoCall);
        }
        if self.state != CallState::Connected && self.state != CallState::EarlyMedia {
            return Err(CallError::NotNow(
                "keypad presses can be sent once the call is up",
            ));
        }
        if self.dtmf.len() >= MAX_DTMF_QUEUE {
            return Err(CallError::DtmfQueueFull);
        }
        self.dtmf
            .push_back((key, duration_ms.clamp(40, MAX_DTMF_DURATION_MS)));
        // One key at a time: the next waits for the final answer to the last one (its
        // transaction lingers in Completed for Timer K over UDP).
        if !self
            .clients
            .iter()
            .any(|c| c.purpose == Purpose::Dtmf && !c.tx.is_finished())
        {
            self.send_next_dtmf(now, ctx);
        }
        Ok(())
    }

    pub(crate) fn send_next_dtmf(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let Some((digit, duration)) = self.dtmf.pop_front() else {
            return;
        };
        let body = format!("Signal={digit}\r\nDuration={duration}\r\n");
        self.send_in_dialog(
            now,
            "INFO",
            Purpose::Dtmf,
            &[],
            Some(("application/dtmf-relay", body.as_bytes())),
            ctx,
        );
        self.collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_bodies_are_read() {
        let relay = Some("application/dtmf-relay");
        assert_eq!(
            parse_dtmf(relay, b"Signal=5\r\nDuration=160\r\n"),
            Some(('5', 160))
        );
        assert_eq!(
            parse_dtmf(relay, b"Signal= #\nDuration= 999999"),
            Some(('#', MAX_DTMF_DURATION_MS))
        );
        assert_eq!(parse_dtmf(relay, b"Signal=11\r\n"), Some(('#', 250)));
        assert_eq!(parse_dtmf(relay, b"Signal=x\r\n"), None);
        assert_eq!(parse_dtmf(Some("application/dtmf"), b"*"), Some(('*', 250)));
        assert_eq!(parse_dtmf(Some("text/plain"), b"Signal=1"), None);
    }
}

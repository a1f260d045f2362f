//! `[notifications]`: the written form of [`NotificationSettings`] (owned by the policy), read and
//! written here.
//!
//! ```toml
//! [notifications]
//! enabled = true
//! privacy = "caller"              # count_only | caller | caller_and_duration
//! quiet_hours = "22:00-07:00"     # leave out for none
//! urgent_reminder_minutes = 15    # 0 = never
//! coalesce_seconds = 3
//! ```

use super::parse_hh_mm;
use crate::policy::{NotificationSettings, Privacy, QuietHours};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

/// Longest urgent reminder interval, in minutes (a day).
pub const MAX_URGENT_REMINDER_MINUTES: u32 = 24 * 60;
/// Longest coalescing window, in seconds.
pub const MAX_COALESCE_SECONDS: u32 = 600;

/// The table as written; every field may be left out (the policy's defaults).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotifications {
    enabled: Option<bool>,
    privacy: Option<Privacy>,
    quiet_hours: Option<Spanned<String>>,
    urgent_reminder_minutes: Option<Spanned<u32>>,
    coalesce_seconds: Option<Spanned<u32>>,
}

/// An error at a span: field name (after `notifications.`) and message.
pub(super) type NotificationsError = (Range<usize>, &'static str, String);

/// Checks the values and fills the defaults.
pub(super) fn validate(raw: RawNotifications) -> Result<NotificationSettings, NotificationsError> {
    let defaults = NotificationSettings::default();
    let quiet_hours = match raw.quiet_hours {
        None => None,
        Some(text) => {
            Some(parse_quiet_hours(text.get_ref()).map_err(|m| (text.span(), "quiet_hours", m))?)
        }
    };
    let urgent_reminder = match raw.urgent_reminder_minutes {
        None => defaults.urgent_reminder,
        Some(m) if *m.get_ref() > MAX_URGENT_REMINDER_MINUTES => {
            return Err((
                m.span(),
                "urgent_reminder_minutes",
                format!(
                    "{} minutes is out of range; use 0 (never) to {MAX_URGENT_REMINDER_MINUTES}",
                    m.get_ref()
                ),
            ));
        }
        Some(m) if *m.get_ref() == 0 => None,
        Some(m) => Some(Duration::from_secs(u64::from(*m.get_ref()) * 60)),
    };
    let coalesce = match raw.coalesce_seconds {
        None => defaults.coalesce,
        Some(s) if *s.get_ref() > MAX_COALESCE_SECONDS => {
            return Err((
                s.span(),
                "coalesce_seconds",
                format!(
                    "{} seconds is out of range; use 0 to {MAX_COALESCE_SECONDS}",
                    s.get_ref()
                ),
            ));
        }
        Some(s) => Duration::from_secs(u64::from(*s.get_ref())),
    };
    Ok(NotificationSettings {
        enabled: raw.enabled.unwrap_or(defaults.enabled),
        privacy: raw.privacy.unwrap_or(defaults.privacy),
        quiet_hours,
        urgent_reminder,
        coalesce,
    })
}

/// `"HH:MM-HH:MM"`, local time; the end may be earlier than the start (across midnight).
pub fn parse_quiet_hours(text: &str) -> Result<QuietHours, String> {
    let shape = "write it as \"HH:MM-HH:MM\", e.g. \"22:00-07:00\"";
    let (start, end) = text
        .split_once('-')
        .ok_or_else(|| format!("\"{text}\" is not a time range; {shape}"))?;
    let minute = |part: &str| {
        parse_hh_mm(part.trim())
            .map(|(h, m)| u16::from(h) * 60 + u16::from(m))
            .ok_or_else(|| format!("\"{}\" is not a time of day; {shape}", part.trim()))
    };
    let (start_minute, end_minute) = (minute(start)?, minute(end)?);
    if start_minute == end_minute {
        return Err(format!(
            "\"{text}\" starts and ends at the same time; leave quiet_hours out for none"
        ));
    }
    Ok(QuietHours {
        start_minute,
        end_minute,
    })
}

/// The written form of quiet hours.
pub fn format_quiet_hours(q: &QuietHours) -> String {
    let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    format!("{}-{}", hm(q.start_minute), hm(q.end_minute))
}

/// The table as written back (every field, so the file shows what is in force).
#[derive(Serialize)]
pub(super) struct NotificationsOut {
    enabled: bool,
    privacy: Privacy,
    #[serde(skip_serializing_if = "Option::is_none")]
    quiet_hours: Option<String>,
    urgent_reminder_minutes: u64,
    coalesce_seconds: u64,
}

impl From<&NotificationSettings> for NotificationsOut {
    fn from(n: &NotificationSettings) -> Self {
        Self {
            enabled: n.enabled,
            privacy: n.privacy,
            // Quiet hours equal at both ends mean none (the policy's reading).
            quiet_hours: n
                .quiet_hours
                .filter(|q| q.start_minute != q.end_minute)
                .map(|q| format_quiet_hours(&q)),
            // Minutes and seconds round up, so a reminder set in code never becomes "off".
            urgent_reminder_minutes: n
                .urgent_reminder
                .map_or(0, |d| d.as_secs().div_ceil(60).max(1)),
            coalesce_seconds: n.coalesce.as_secs() + u64::from(n.coalesce.subsec_nanos() > 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_forms() {
        let q = parse_quiet_hours("22:00-07:00").unwrap();
        assert_eq!((q.start_minute, q.end_minute), (22 * 60, 7 * 60));
        assert_eq!(format_quiet_hours(&q), "22:00-07:00");
        assert_eq!(
            parse_quiet_hours(" 12:30 - 13:05 ").map(|q| format_quiet_hours(&q)),
            Ok("12:30-13:05".into())
        );
        for bad in ["22:00", "25:00-07:00", "22:00-7:00", "10:00-10:00", "-"] {
            assert!(parse_quiet_hours(bad).is_err(), "{bad}");
        }
    }
}

//! The notification settings a person chooses (the `[notifications]` table of the config).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How much a notification may say about a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Privacy {
    /// "2 new voicemails" only.
    CountOnly,
    /// The caller's name and number when the mailbox knows them.
    #[default]
    Caller,
    /// The caller and the message's duration.
    CallerAndDuration,
}

/// A daily window (local time) in which non-urgent notifications are held back. `start` may be
/// later than `end` (e.g. 22:00–07:00 spans midnight); equal values mean no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuietHours {
    /// Minutes after local midnight when the quiet time starts (0..1440).
    pub start_minute: u16,
    /// Minutes after local midnight when it ends (0..1440).
    pub end_minute: u16,
}

impl QuietHours {
    /// Whether `minute_of_day` (local, 0..1440) is inside the window.
    pub fn contains(&self, minute_of_day: u16) -> bool {
        let (start, end) = (self.start_minute, self.end_minute);
        match start.cmp(&end) {
            std::cmp::Ordering::Equal => false,
            std::cmp::Ordering::Less => (start..end).contains(&minute_of_day),
            std::cmp::Ordering::Greater => minute_of_day >= start || minute_of_day < end,
        }
    }
}

/// Everything that shapes notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// Raise notifications at all.
    pub enabled: bool,
    /// What a notification may say.
    pub privacy: Privacy,
    /// Non-urgent notifications are held back in this window.
    pub quiet_hours: Option<QuietHours>,
    /// Remind of urgent messages still unheard after this long; `None` = never.
    pub urgent_reminder: Option<Duration>,
    /// News within this time after a shown notification gathers into one, shown when it is
    /// over; notifications of one kind are at least this far apart.
    pub coalesce: Duration,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            privacy: Privacy::default(),
            quiet_hours: None,
            urgent_reminder: Some(Duration::from_secs(15 * 60)),
            coalesce: Duration::from_secs(3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_across_midnight() {
        let night = QuietHours {
            start_minute: 22 * 60,
            end_minute: 7 * 60,
        };
        assert!(night.contains(23 * 60));
        assert!(night.contains(0));
        assert!(night.contains(6 * 60 + 59));
        assert!(!night.contains(7 * 60));
        assert!(!night.contains(12 * 60));
        let lunch = QuietHours {
            start_minute: 12 * 60,
            end_minute: 13 * 60,
        };
        assert!(lunch.contains(12 * 60 + 30));
        assert!(!lunch.contains(13 * 60));
        let none = QuietHours {
            start_minute: 60,
            end_minute: 60,
        };
        assert!(!none.contains(60));
    }
}

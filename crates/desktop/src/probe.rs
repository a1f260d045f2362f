//! What the tray shows, kept for tests and diagnostics (`VOICELAMP_TRAY_PROBE=path` also writes
//! it to that file as JSON each time it changes, so end-to-end tests can read the lamp), how
//! often it changed, and the last notifications the engine raised.

use crate::badge::Badge;

/// The last state of the tray, and the file it is written to.
#[derive(Debug, Default)]
pub struct TrayProbe {
    last: std::sync::Mutex<Option<TrayShown>>,
    file: Option<std::path::PathBuf>,
    changes: std::sync::atomic::AtomicU64,
    notifications: std::sync::Mutex<std::collections::VecDeque<String>>,
}

/// How many notifications the probe keeps (the oldest go first).
pub const NOTIFICATIONS_KEPT: usize = 64;

/// One state of the tray.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrayShown {
    /// New messages on the badge.
    pub new: u32,
    /// Urgent mark shown.
    pub urgent: bool,
    /// Grey, struck-through lamp shown.
    pub not_known: bool,
    /// The count text drawn.
    pub count_text: String,
    /// Tooltip.
    pub tooltip: String,
    /// Menu rows of the lines.
    pub rows: Vec<String>,
    /// The call the menu shows, in words.
    pub call: Option<String>,
    /// When the tray was updated, in milliseconds since the Unix epoch (for latency figures).
    pub at_ms: u128,
}

impl TrayProbe {
    /// A probe that also writes to `file` when given.
    pub fn new(file: Option<std::path::PathBuf>) -> Self {
        Self {
            file,
            ..Self::default()
        }
    }

    /// How many times the tray changed.
    pub fn changes(&self) -> u64 {
        self.changes.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The notifications raised (the last [`NOTIFICATIONS_KEPT`]), as "kind: title".
    pub fn notifications(&self) -> Vec<String> {
        self.notifications
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Keeps a notification the engine raised.
    pub fn notified(&self, notification: &voicelamp_core::Notification) {
        let mut kept = self
            .notifications
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() == NOTIFICATIONS_KEPT {
            kept.pop_front();
        }
        kept.push_back(format!("{:?}: {}", notification.kind, notification.title));
    }

    /// The last state shown.
    pub fn last(&self) -> Option<TrayShown> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Keeps (and writes) what the tray shows now.
    pub fn record(&self, badge: &Badge, tooltip: &str, menu: &crate::tray_menu::TrayMenu) {
        let shown = TrayShown {
            new: badge.new,
            urgent: badge.urgent,
            not_known: badge.not_known,
            count_text: badge.count_text(),
            tooltip: tooltip.to_owned(),
            rows: menu.lines.clone(),
            call: menu.call.clone(),
            at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
        };
        if let Some(file) = &self.file {
            let text = serde_json::to_string(&shown).unwrap_or_default();
            let tmp = file.with_extension("tmp");
            if std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, file))
                .is_err()
            {
                tracing::warn!("the tray probe file cannot be written");
            }
        }
        self.changes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(shown);
    }
}

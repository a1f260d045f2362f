//! Notification policy: when a change of the lamps becomes a desktop notification, and what it
//! may say. Pure: time comes in as arguments, nothing is shown from here.

pub mod settings;

pub use settings::{NotificationSettings, Privacy, QuietHours};

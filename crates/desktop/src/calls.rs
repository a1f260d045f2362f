//! The calls as the window and the tray show them: core's call in progress (one at a time: who,
//! line, state, mute, quality) and missed calls, with the far end's volume, which the tray
//! process applies to the call's sound. The window only draws them and asks through the
//! [`Call`](crate::protocol::Call)s that act on them.

use serde::{Deserialize, Serialize};
use specta::Type;
use voicelamp_core::{CallView, MissedCall};

/// The calls as the window shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CallsView {
    /// The call in progress, or the one that just ended (with why) until the next one starts.
    pub call: Option<CallView>,
    /// Calls that rang here and were not answered, oldest first.
    pub missed: Vec<MissedCall>,
    /// How loud the far end plays, 0–100 %.
    pub volume: u8,
}

impl Default for CallsView {
    fn default() -> Self {
        Self {
            call: None,
            missed: Vec::new(),
            volume: 100,
        }
    }
}

/// What the voicemail key of `line` asks: its account's voicemail.
pub fn voicemail_of(line: &voicelamp_core::view::LineView) -> crate::engine::CallCommand {
    crate::engine::CallCommand::Call(voicelamp_core::CallCommand::Voicemail {
        line: line.account.clone(),
    })
}

/// A DTMF key: `0`–`9`, `*`, `#`, `A`–`D`.
pub fn dtmf_key(digit: &str) -> Result<char, String> {
    let mut chars = digit.chars();
    match (chars.next().map(|c| c.to_ascii_uppercase()), chars.next()) {
        (Some(c), None) if voicelamp_core::call::is_dtmf_key(c) => Ok(c),
        _ => Err(format!(
            "“{digit}” is not a key of the keypad; use 0–9, * or #"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keypad_keys_are_sent_as_dtmf() {
        for key in ["0", "9", "*", "#", "A", "d"] {
            assert!(dtmf_key(key).is_ok(), "{key}");
        }
        assert_eq!(dtmf_key("d"), Ok('D'));
        for bad in ["", "12", "x", "E", " "] {
            let reason = dtmf_key(bad).expect_err(bad);
            assert!(reason.contains("keypad"), "{reason}");
        }
    }
}

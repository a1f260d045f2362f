use crate::sip_trace::{SipExchange, SipTrace};

/// The last SIP messages sent and received (redacted: no `Authorization` values), oldest first.
#[tauri::command]
#[specta::specta]
pub fn sip_trace(trace: tauri::State<'_, SipTrace>) -> Vec<SipExchange> {
    trace.recent()
}

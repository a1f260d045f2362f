//! Calls: the voicemail key, the dial pad, a link's number, call back; and the call in progress
//! (answer, decline, hang up, keypad, mute, hold, volume). The call itself runs in the tray
//! process, so closing the window never ends it.

use tauri::State;
use voicelamp_desktop::calls::CallsView;
use voicelamp_desktop::protocol::Call;

use super::expect_reply;
use crate::HostLink;

/// The call in progress and the missed calls; changes follow as `CallChanged`.
#[tauri::command]
#[specta::specta]
pub async fn calls_view(link: State<'_, HostLink>) -> Result<CallsView, String> {
    expect_reply!(link.call(Call::CallsView).await, Calls(view) => view)
}

/// Calls `target` (a number, a code such as `*97`, or a `sip:`/`tel:` address) on the line.
#[tauri::command]
#[specta::specta]
pub async fn call_start(
    link: State<'_, HostLink>,
    line: String,
    target: String,
) -> Result<(), String> {
    expect_reply!(link.call(Call::CallStart { line, target }).await, Done)
}

/// Calls the line's voicemail (its access code, else the voicemail address its server named).
#[tauri::command]
#[specta::specta]
pub async fn call_voicemail(link: State<'_, HostLink>, line: String) -> Result<(), String> {
    expect_reply!(link.call(Call::CallVoicemail { line }).await, Done)
}

/// Ends the call in progress.
#[tauri::command]
#[specta::specta]
pub async fn call_hang_up(link: State<'_, HostLink>) -> Result<(), String> {
    expect_reply!(link.call(Call::CallHangUp).await, Done)
}

/// Answers the call that rings.
#[tauri::command]
#[specta::specta]
pub async fn call_answer(link: State<'_, HostLink>) -> Result<(), String> {
    expect_reply!(link.call(Call::CallAnswer).await, Done)
}

/// Declines the call that rings (the line's other devices may still take it).
#[tauri::command]
#[specta::specta]
pub async fn call_decline(link: State<'_, HostLink>) -> Result<(), String> {
    expect_reply!(link.call(Call::CallDecline).await, Done)
}

/// Sends one keypad key (`0`–`9`, `*`, `#`) to the far end.
#[tauri::command]
#[specta::specta]
pub async fn call_dtmf(link: State<'_, HostLink>, digit: String) -> Result<(), String> {
    expect_reply!(link.call(Call::CallDtmf { digit }).await, Done)
}

/// Turns the microphone off (`on`) or back on.
#[tauri::command]
#[specta::specta]
pub async fn call_mute(link: State<'_, HostLink>, on: bool) -> Result<(), String> {
    expect_reply!(link.call(Call::CallMute { on }).await, Done)
}

/// Puts the call on hold (`on`) or takes it back.
#[tauri::command]
#[specta::specta]
pub async fn call_hold(link: State<'_, HostLink>, on: bool) -> Result<(), String> {
    expect_reply!(link.call(Call::CallHold { on }).await, Done)
}

/// How loud the far end plays, 0–100 %.
#[tauri::command]
#[specta::specta]
pub async fn call_volume(link: State<'_, HostLink>, percent: u8) -> Result<(), String> {
    expect_reply!(link.call(Call::CallVolume { percent }).await, Done)
}

/// Forgets the missed calls listed.
#[tauri::command]
#[specta::specta]
pub async fn missed_clear(link: State<'_, HostLink>) -> Result<(), String> {
    expect_reply!(link.call(Call::MissedClear).await, Done)
}

//! `mailbox watch`: a folder's changes as they happen (IDLE, else polling), one line each, until
//! Ctrl-C or SIGTERM. After each (re)connect the offline journal is replayed. A refused password
//! stops the watch (it is not tried again): the command then exits 1.

use std::process::ExitCode;

use serde_json::json;
use voicelamp_core::voicemail::{Mailbox, MailboxChange, Stream};

use super::Failure;
use super::output::line;

/// Follows `folder` until a signal (exit 0), or until the server refuses the password (exit 1).
pub async fn run(mailbox: &Mailbox, folder: &str, json: bool) -> Result<ExitCode, Failure> {
    let mut changes = Box::pin(mailbox.watch(folder));
    let stop = crate::watch::terminated();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            change = std::future::poll_fn(|cx| changes.as_mut().poll_next(cx)) => {
                // Only a refused password ends the watch, after saying so.
                let Some(change) = change else { return Ok(ExitCode::FAILURE) };
                if matches!(change, MailboxChange::Connected { .. }) {
                    match mailbox.sync().await {
                        Ok(r) if r.applied > 0 || !r.dropped.is_empty() => tracing::info!(
                            "offline journal: {} applied, {} dropped", r.applied, r.dropped.len()
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!("{e}"),
                    }
                }
                line(&describe(mailbox.account_id(), folder, &change, json))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One change as a JSON object or a readable line.
fn describe(account: &str, folder: &str, change: &MailboxChange, json: bool) -> String {
    let value = match change {
        MailboxChange::Connected { messages } => {
            json!({"event": "connected", "messages": messages})
        }
        MailboxChange::Disconnected { reason } => {
            json!({"event": "disconnected", "reason": reason})
        }
        MailboxChange::Added(id) => json!({"event": "added", "id": id}),
        MailboxChange::Removed(id) => json!({"event": "removed", "id": id}),
        MailboxChange::FlagsChanged { id, heard, flagged } => {
            json!({"event": "flags", "id": id, "heard": heard, "urgent": flagged})
        }
        MailboxChange::Reset => json!({"event": "reset"}),
        MailboxChange::Stopped { reason } => json!({"event": "stopped", "reason": reason}),
    };
    if json {
        let mut value = value;
        value["account"] = json!(account);
        value["folder"] = json!(folder);
        return value.to_string();
    }
    let what = match change {
        MailboxChange::Connected { messages } => format!("following, {messages} messages"),
        MailboxChange::Disconnected { reason } => {
            format!("not connected, retrying: {reason}")
        }
        MailboxChange::Added(id) => format!("{id} arrived"),
        MailboxChange::Removed(id) => format!("{id} removed"),
        MailboxChange::FlagsChanged { id, heard, flagged } => format!(
            "{id} is now {}{}",
            if *heard { "heard" } else { "new" },
            if *flagged { ", urgent" } else { "" }
        ),
        MailboxChange::Reset => "the folder was renumbered: list it again".to_owned(),
        MailboxChange::Stopped { reason } => format!("stopped: {reason}"),
    };
    format!("{account} {folder}: {what}")
}

//! What `mailbox` prints: JSON lines for scripts (the fields of `voicelamp_mailbox`'s message
//! JSON), an aligned table for people.

use std::io::Write;
use std::path::Path;

use serde_json::Value;
use voicelamp_core::voicemail::Voicemail;

/// Writes one line to stdout and flushes (a reader on a pipe sees it at once).
pub fn line(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

/// The listing: one JSON object per line, or a table with a header.
pub fn list(list: &[Voicemail], json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        for vm in list {
            writeln!(out, "{}", serde_json::to_string(vm).unwrap_or_default())?;
        }
        return out.flush();
    }
    if list.is_empty() {
        writeln!(out, "no messages")?;
        return out.flush();
    }
    let mut rows = vec![
        [
            "ID", "FOLDER", "RECEIVED", "FROM", "LENGTH", "STATE", "FORMAT", "SIZE",
        ]
        .map(String::from),
    ];
    rows.extend(list.iter().map(row));
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let mut text = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            if c + 1 < r.len() {
                text.extend(std::iter::repeat_n(' ', widths[c] - cell.chars().count()));
            }
        }
        writeln!(out, "{text}")?;
    }
    out.flush()
}

/// One table row, from the message's JSON so both forms say the same.
fn row(vm: &Voicemail) -> [String; 8] {
    let j = serde_json::to_value(vm).unwrap_or(Value::Null);
    let s = |k: &str| j[k].as_str().unwrap_or("").to_owned();
    let from = match (j["caller_name"].as_str(), j["caller_number"].as_str()) {
        (Some(name), Some(num)) => format!("{name} <{num}>"),
        (Some(name), None) => name.to_owned(),
        (None, Some(num)) => num.to_owned(),
        (None, None) => "unknown caller".to_owned(),
    };
    // "2026-11-26T10:15:03Z" → "2026-11-26 10:15:03Z"
    let received = s("received_at").replacen('T', " ", 1);
    let length = j["duration_s"]
        .as_u64()
        .map_or_else(|| "?".to_owned(), |d| format!("{}:{:02}", d / 60, d % 60));
    let mut state = if vm.heard { "heard" } else { "NEW" }.to_owned();
    if vm.urgent {
        state.push_str(" urgent");
    }
    let format = j["format"].as_str().unwrap_or("no audio").to_owned();
    [
        s("id"),
        s("folder"),
        received,
        from,
        length,
        state,
        format,
        vm.size.to_string(),
    ]
}

/// Says what `fetch` wrote: the file, its length and rate (from the WAV header we made).
pub fn fetched(out: &Path, wav: &[u8]) -> std::io::Result<()> {
    let u32_at = |at: usize| {
        wav.get(at..at + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let rate = u32_at(24);
    let byte_rate = u32_at(28).max(1);
    let data = wav.len().saturating_sub(44) as f64;
    line(&format!(
        "{}: {:.1} s of 16-bit PCM WAV at {rate} Hz ({} bytes)",
        out.display(),
        data / f64::from(byte_rate),
        wav.len()
    ))
}

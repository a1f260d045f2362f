//! Where an error is: byte offsets turned into `line:column` and a field path such as
//! `accounts[1].tls.ca_file`.

use super::ConfigError;
use std::ops::Range;
use std::path::Path;

pub(super) fn located(
    path: &Path,
    text: &str,
    span: Range<usize>,
    field: Option<String>,
    message: String,
) -> ConfigError {
    let (line, column) = line_column(text, span.start);
    ConfigError::Invalid {
        path: path.to_owned(),
        line,
        column,
        field,
        message,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// toml's messages end with a newline and sometimes say "TOML parse error"; keep the sentence.
pub(super) fn clean_message(message: &str) -> String {
    message.trim().to_owned()
}

/// The field at a byte offset, as a path (`accounts[1].tls.ca_file`), from the table headers
/// above it and the key on its line.
pub(super) fn field_at(text: &str, offset: usize) -> Option<String> {
    let mut counters: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut table = String::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let here = pos..pos + line.len();
        pos += line.len();
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|t| t.split_once("]]"))
            .map(|(n, _)| n.trim())
        {
            let path = resolve_table(&table, name);
            let count = counters.entry(path.clone()).or_insert(0);
            *count += 1;
            table = format!("{path}[{}]", *count - 1);
            if here.contains(&offset) {
                return Some(table);
            }
            continue;
        }
        if let Some(name) = trimmed
            .strip_prefix('[')
            .and_then(|t| t.split_once(']'))
            .map(|(n, _)| n.trim())
        {
            table = resolve_table(&table, name);
            if here.contains(&offset) {
                return Some(table);
            }
            continue;
        }
        if here.contains(&offset) || offset >= text.len() && pos >= text.len() {
            let key = trimmed
                .split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"'));
            return match key {
                Some(k) if !k.is_empty() && !trimmed.starts_with('#') => {
                    Some(if table.is_empty() {
                        k.to_owned()
                    } else {
                        format!("{table}.{k}")
                    })
                }
                _ => (!table.is_empty()).then_some(table),
            };
        }
    }
    (!table.is_empty()).then_some(table)
}

/// `accounts.tls` under the current `accounts[2]` becomes `accounts[2].tls`.
fn resolve_table(current: &str, name: &str) -> String {
    let mut out = String::new();
    let mut current_parts = current.split('.');
    let mut matching = true;
    for part in name.split('.') {
        let part = part.trim();
        let cur = if matching { current_parts.next() } else { None };
        let next = match cur {
            Some(c) if c.split('[').next() == Some(part) => c.to_owned(),
            _ => {
                matching = false;
                part.to_owned()
            }
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&next);
    }
    out
}

//! The offline journal: changes a person made (heard, new, delete, move) that the server has not
//! confirmed yet, kept durably so that nothing is lost when the server is unreachable, the app
//! quits or the computer crashes.
//!
//! Format: one JSON object per line in `journal.jsonl` inside a directory the caller gives (the
//! app's data dir per account). The file is created 0600 (the directory 0700 if we create it);
//! each append is written and `fsync`ed before the caller is told the change is queued. Replaying
//! removes entries by rewriting the file atomically (temporary file, `fsync`, rename, `fsync` of
//! the directory). A line torn by a crash mid-append (even inside a character) is dropped on open
//! with a warning; every complete line survives, and the file is rewritten so that the next
//! append starts on a fresh line.
//!
//! [`crate::journaled::JournaledStore`] decides when to append and when to replay.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Error;
use crate::message::MessageId;

/// What the person did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// Marked heard.
    MarkHeard,
    /// Marked new.
    MarkNew,
    /// Deleted.
    Delete,
    /// Moved to `target`.
    MoveTo {
        /// Destination folder.
        target: String,
    },
}

/// One queued change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Folder of the message; empty when it was not known (the change was made without a folder
    /// while the server could not be asked which one holds the message): the replay finds it.
    pub folder: String,
    /// The message.
    pub id: MessageId,
    /// The change.
    #[serde(flatten)]
    pub change: Change,
    /// When the person made it.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The journal file of one store.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    entries: Vec<Entry>,
}

const FILE: &str = "journal.jsonl";

impl Journal {
    /// Opens (or creates) the journal in `dir`, reading what an earlier run left.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(FILE);
        let err = |e: &dyn std::fmt::Display| Error::Journal {
            path: path.clone(),
            detail: e.to_string(),
        };
        if !dir.exists() {
            create_private_dir(dir).map_err(|e| err(&e))?;
        }
        let mut entries = Vec::new();
        let mut dropped = 0;
        let mut torn_end = false;
        match fs::read(&path) {
            Ok(bytes) => {
                // Bytes, not text: a line torn inside a character is invalid UTF-8, and must cost
                // only itself.
                torn_end = !bytes.is_empty() && !bytes.ends_with(b"\n");
                for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
                    if line.trim_ascii().is_empty() {
                        continue;
                    }
                    match serde_json::from_slice::<Entry>(line) {
                        Ok(e) => entries.push(e),
                        Err(e) => {
                            dropped += 1;
                            tracing::warn!(
                                "offline journal {}: line {} is unreadable and is dropped ({e})",
                                path.display(),
                                n + 1
                            );
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(&e)),
        }
        let mut journal = Self { path, entries };
        if dropped > 0 || torn_end {
            // Rewrite, so that the next append starts on a line of its own instead of
            // continuing a torn one.
            let entries = journal.entries.clone();
            journal.replace(entries)?;
        }
        Ok(journal)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queued changes, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends a change durably: on return it is on disk.
    pub fn append(&mut self, entry: Entry) -> Result<(), Error> {
        let line = serde_json::to_string(&entry).map_err(|e| self.err(&e))?;
        let existed = self.path.exists();
        let mut f = open_private(&self.path, false).map_err(|e| self.err(&e))?;
        f.write_all(format!("{line}\n").as_bytes())
            .and_then(|()| f.sync_data())
            .map_err(|e| self.err(&e))?;
        if !existed {
            sync_dir(&self.path).map_err(|e| self.err(&e))?;
        }
        self.entries.push(entry);
        Ok(())
    }

    /// Replaces the queued changes (atomically on disk).
    pub fn replace(&mut self, entries: Vec<Entry>) -> Result<(), Error> {
        let tmp = self.path.with_extension("jsonl.tmp");
        let mut text = String::new();
        for e in &entries {
            text.push_str(&serde_json::to_string(e).map_err(|e| self.err(&e))?);
            text.push('\n');
        }
        let write = || -> std::io::Result<()> {
            let mut f = open_private(&tmp, true)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            sync_dir(&self.path)
        };
        write().map_err(|e| self.err(&e))?;
        self.entries = entries;
        Ok(())
    }

    fn err(&self, e: &dyn std::fmt::Display) -> Error {
        Error::Journal {
            path: self.path.clone(),
            detail: e.to_string(),
        }
    }
}

fn open_private(path: &Path, truncate: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true);
    if truncate {
        o.write(true).truncate(true);
    } else {
        o.append(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Makes a rename or creation in the file's directory durable (a no-op where unsupported).
fn sync_dir(file: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = file.parent() {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(uid: u32, change: Change) -> Entry {
        Entry {
            folder: "INBOX".into(),
            id: MessageId {
                uid_validity: 9,
                uid,
            },
            change,
            at: OffsetDateTime::from_unix_timestamp(1_795_737_300).unwrap(),
        }
    }

    #[test]
    fn entries_survive_reopening_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(dir.path()).unwrap();
        assert!(j.is_empty());
        j.append(entry(1, Change::MarkHeard)).unwrap();
        j.append(entry(
            2,
            Change::MoveTo {
                target: "Old".into(),
            },
        ))
        .unwrap();
        drop(j);
        let mut j = Journal::open(dir.path()).unwrap();
        assert_eq!(
            j.entries(),
            &[
                entry(1, Change::MarkHeard),
                entry(
                    2,
                    Change::MoveTo {
                        target: "Old".into()
                    }
                )
            ]
        );
        j.replace(vec![entry(
            2,
            Change::MoveTo {
                target: "Old".into(),
            },
        )])
        .unwrap();
        drop(j);
        assert_eq!(Journal::open(dir.path()).unwrap().entries().len(), 1);
        let line = fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert_eq!(
            line,
            "{\"folder\":\"INBOX\",\"id\":\"9-2\",\"op\":\"move_to\",\"target\":\"Old\",\"at\":\"2026-11-26T23:55:00Z\"}\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("acct");
        let mut j = Journal::open(&sub).unwrap();
        j.append(entry(1, Change::Delete)).unwrap();
        let mode = fs::metadata(j.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let mode = fs::metadata(&sub).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        j.replace(j.entries().to_vec()).unwrap();
        let mode = fs::metadata(j.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(dir.path()).unwrap();
        j.append(entry(1, Change::MarkNew)).unwrap();
        drop(j);
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE))
            .unwrap();
        f.write_all(b"{\"folder\":\"INB").unwrap();
        drop(f);
        let mut j = Journal::open(dir.path()).unwrap();
        assert_eq!(j.entries(), &[entry(1, Change::MarkNew)]);
        j.append(entry(3, Change::MarkHeard)).unwrap();
        drop(j);
        assert_eq!(Journal::open(dir.path()).unwrap().entries().len(), 2);
    }

    #[test]
    fn a_torn_line_of_invalid_utf8_is_dropped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(dir.path()).unwrap();
        j.append(entry(1, Change::MarkHeard)).unwrap();
        j.append(entry(2, Change::Delete)).unwrap();
        drop(j);
        // A crash mid-append in a folder name that was not ASCII.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE))
            .unwrap();
        f.write_all(b"{\"folder\":\"Bo\xc3").unwrap();
        drop(f);
        let mut j = Journal::open(dir.path()).expect("the journal opens");
        assert_eq!(
            j.entries(),
            &[entry(1, Change::MarkHeard), entry(2, Change::Delete)]
        );
        j.append(entry(3, Change::MarkNew)).unwrap();
        drop(j);
        assert_eq!(Journal::open(dir.path()).unwrap().entries().len(), 3);
    }

    #[test]
    fn an_entry_torn_before_its_newline_is_kept_and_the_next_starts_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let line = serde_json::to_string(&entry(1, Change::MarkHeard)).unwrap();
        // The whole entry reached the disk, its newline did not.
        fs::write(dir.path().join(FILE), line).unwrap();
        let mut j = Journal::open(dir.path()).unwrap();
        assert_eq!(j.entries(), &[entry(1, Change::MarkHeard)]);
        j.append(entry(2, Change::MarkNew)).unwrap();
        drop(j);
        assert_eq!(
            Journal::open(dir.path()).unwrap().entries(),
            &[entry(1, Change::MarkHeard), entry(2, Change::MarkNew)]
        );
    }
}

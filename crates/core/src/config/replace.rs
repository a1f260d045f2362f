//! Replacing the file on disk so that a reader, a crash or a full disk leaves the old file or the
//! new one, never part of either: a temporary file in the same directory with the old file's
//! permissions, written and flushed to disk, renamed over the file, and the directory flushed so
//! the rename itself survives a crash. A file that is a symbolic link (a dotfiles checkout) is
//! replaced where the link points; the link stays.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Temporary names tried before giving up (leftovers of crashed saves can take some).
const NAMES_TRIED: u32 = 16;

/// Writes `bytes` to `path`, creating its directory. `before_rename` runs once the temporary
/// file is complete on disk (tests use it to crash or fail there).
pub(super) fn replace(
    path: &Path,
    bytes: &[u8],
    before_rename: &mut dyn FnMut(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let target = through_links(path)?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let permissions = match fs::metadata(&target) {
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let (tmp, mut file) = create_temporary(&dir, &target)?;
    let written = (|| {
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        before_rename(&tmp)?;
        fs::rename(&tmp, &target)?;
        sync_dir(&dir)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// `path`, or where it points when it is a symbolic link.
fn through_links(path: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path),
        _ => Ok(path.to_owned()),
    }
}

/// A new, empty temporary file beside `target`: `.NAME.PID-N.tmp`.
fn create_temporary(dir: &Path, target: &Path) -> io::Result<(PathBuf, File)> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = target
        .file_name()
        .map_or_else(|| "config".into(), |n| n.to_string_lossy());
    let mut last = None;
    for _ in 0..NAMES_TRIED {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary file name is free")))
}

/// Makes a rename in `dir` durable (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

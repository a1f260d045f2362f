//! A private on-disk cache of decoded voicemail (16-bit PCM WAV), so a message plays again at once
//! and without the server. Files are 0600 in a 0700 directory the caller gives (the app's cache
//! dir per account); the oldest files (by last use) are evicted beyond a size limit (never the
//! most recently used one, which may alone be larger), and files
//! unused for longer than an optional age go whatever the size (a voicemail's audio should not
//! stay on the disk for months after it was played). Deleting a message should
//! [`remove`](AudioCache::remove) its entry.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::error::Error;
use crate::message::MessageId;
use crate::store::VoicemailStore;

/// The cache directory of one account.
#[derive(Debug, Clone)]
pub struct AudioCache {
    dir: PathBuf,
    max_bytes: u64,
    max_age: Option<Duration>,
}

impl AudioCache {
    /// Opens (creating 0700 if missing) a cache in `dir` holding at most `max_bytes`.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Self, Error> {
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)
            .map_err(|e| Error::Config(format!("audio cache {}: {e}", dir.display())))?;
        Ok(Self {
            dir: dir.to_owned(),
            max_bytes,
            max_age: None,
        })
    }

    /// Also evicts files not used for longer than `max_age`: at once, and on each store.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self.evict();
        self
    }

    /// The file of a message: folder escaped, then `<uidvalidity>-<uid>.wav`.
    fn path(&self, folder: &str, id: MessageId) -> PathBuf {
        let mut name = String::new();
        for b in folder.bytes() {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                name.push(char::from(b));
            } else {
                name.push_str(&format!("%{b:02X}"));
            }
        }
        self.dir.join(format!("{name}.{id}.wav"))
    }

    /// The cached WAV of a message, if present and whole (and marks it used). A file that is not
    /// a whole WAV (torn by a crash, or damaged) is removed, so the message is decoded again.
    pub fn get(&self, folder: &str, id: MessageId) -> Option<Vec<u8>> {
        let path = self.path(folder, id);
        let bytes = fs::read(&path).ok()?;
        if !is_whole_wav(&bytes) {
            tracing::warn!(
                "audio cache {}: not a whole WAV file ({} bytes); decoding the message again",
                path.display(),
                bytes.len()
            );
            let _ = fs::remove_file(&path);
            return None;
        }
        if let Ok(f) = File::options().write(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Some(bytes)
    }

    /// The length of a message's cached WAV when present and whole, from its header alone (a
    /// long message's file is not read for it); marks it used. A torn file is removed.
    pub fn wav_len(&self, folder: &str, id: MessageId) -> Option<u64> {
        use std::io::Read as _;
        let path = self.path(folder, id);
        let mut file = File::open(&path).ok()?;
        let len = file.metadata().ok()?.len();
        let mut header = [0u8; 12];
        file.read_exact(&mut header).ok()?;
        let riff = u64::from(u32::from_le_bytes([
            header[4], header[5], header[6], header[7],
        ]));
        if len < 44 || !header.starts_with(b"RIFF") || &header[8..12] != b"WAVE" || riff + 8 != len
        {
            tracing::warn!(
                "audio cache {}: not a whole WAV file ({len} bytes); decoding the message again",
                path.display()
            );
            let _ = fs::remove_file(&path);
            return None;
        }
        if let Ok(f) = File::options().write(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Some(len)
    }

    /// Up to `len` bytes of a message's cached WAV from `offset` (fewer at its end, none past
    /// it); `None` when it is not cached.
    pub fn read_wav(
        &self,
        folder: &str,
        id: MessageId,
        offset: u64,
        len: usize,
    ) -> Option<Vec<u8>> {
        use std::io::{Read as _, Seek as _};
        let mut file = File::open(self.path(folder, id)).ok()?;
        file.seek(std::io::SeekFrom::Start(offset)).ok()?;
        let mut bytes = Vec::with_capacity(len.min(1 << 24));
        file.take(len as u64).read_to_end(&mut bytes).ok()?;
        Some(bytes)
    }

    /// Stores a message's WAV, then evicts the least recently used files beyond the limit. The
    /// file is written under a name of its own (several windows or processes may store the same
    /// message at once), synced, renamed into place and the directory synced: a crash leaves the
    /// old file or the new one, never part of one.
    pub fn put(&self, folder: &str, id: MessageId, wav: &[u8]) -> Result<(), Error> {
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let path = self.path(folder, id);
        let unique = WRITES.fetch_add(1, Ordering::Relaxed);
        let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
        tmp_name.push(format!(".{}-{unique}.{TMP}", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let write = || -> std::io::Result<()> {
            let mut o = OpenOptions::new();
            o.create_new(true).write(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            let mut f = o.open(&tmp)?;
            f.write_all(wav)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &path)?;
            #[cfg(unix)]
            File::open(&self.dir)?.sync_all()?;
            Ok(())
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(Error::Config(format!(
                "audio cache {}: {e}",
                path.display()
            )));
        }
        self.evict();
        Ok(())
    }

    /// Forgets a message (after it was deleted).
    pub fn remove(&self, folder: &str, id: MessageId) {
        let _ = fs::remove_file(self.path(folder, id));
    }

    fn evict(&self) {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(SystemTime, u64, PathBuf)> = dir
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "wav"))
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((m.modified().ok()?, m.len(), e.path()))
            })
            .collect();
        // A temporary file that old was left by a writer that crashed.
        if let Some(cutoff) = SystemTime::now().checked_sub(STALE_TMP)
            && let Ok(dir) = fs::read_dir(&self.dir)
        {
            for e in dir.filter_map(Result::ok) {
                let stale = e.path().extension().is_some_and(|x| x == TMP)
                    && e.metadata()
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t < cutoff);
                if stale {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        if let Some(cutoff) = self
            .max_age
            .and_then(|age| SystemTime::now().checked_sub(age))
        {
            files.retain(|(used, _, path)| *used >= cutoff || fs::remove_file(path).is_err());
        }
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort();
        // The most recently used file stays even when it alone is over the limit: it is the
        // message just stored or being played (a two-hour stereo message is 1.27 GB), which is
        // read from here piece by piece.
        files.pop();
        for (_, len, path) in files {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }

    /// The length of a message's playable WAV, decoding and caching it first when needed;
    /// then [`read_wav`](Self::read_wav) serves it piece by piece, so a long message never has
    /// to be held whole to be played.
    pub async fn cached_wav_len<S: VoicemailStore>(
        &self,
        store: &S,
        folder: &str,
        id: MessageId,
    ) -> Result<u64, Error> {
        let cache = self.clone();
        let key = folder.to_owned();
        if let Some(len) = blocking(move || Ok(cache.wav_len(&key, id))).await? {
            return Ok(len);
        }
        Ok(self.fetch_wav(store, folder, id).await?.len() as u64)
    }

    /// The playable WAV of a message: from the cache, else fetched (audio part only), decoded
    /// and cached. Reading the cache, decoding and writing run off the async threads (they can
    /// take seconds for a long message), one decode at a time per process so that memory stays
    /// within one message's bound ([`crate::audio::MAX_OUTPUT_SAMPLES`]).
    pub async fn fetch_wav<S: VoicemailStore>(
        &self,
        store: &S,
        folder: &str,
        id: MessageId,
    ) -> Result<Vec<u8>, Error> {
        let cache = self.clone();
        let key = folder.to_owned();
        if let Some(wav) = blocking(move || Ok(cache.get(&key, id))).await? {
            return Ok(wav);
        }
        let encoded = store.fetch_audio(folder, id).await?;
        let _one_at_a_time = DECODING.acquire().await;
        let cache = self.clone();
        let key = folder.to_owned();
        blocking(move || {
            let wav = crate::audio::decode_to_wav(&encoded)?.to_wav_bytes();
            drop(encoded);
            cache.put(&key, id, &wav)?;
            Ok(wav)
        })
        .await
    }
}

/// The extension of files being written.
const TMP: &str = "tmp";

/// A temporary file older than this is left over from a crash.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// True when `bytes` is a RIFF WAVE file exactly as long as its header says.
fn is_whole_wav(bytes: &[u8]) -> bool {
    bytes.len() >= 44
        && bytes.starts_with(b"RIFF")
        && &bytes[8..12] == b"WAVE"
        && bytes[4..8]
            .try_into()
            .map(u32::from_le_bytes)
            .is_ok_and(|riff| u64::from(riff) + 8 == bytes.len() as u64)
}

/// Decodes in progress: one at a time, whatever the number of accounts and windows.
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Runs `work` on the runtime's blocking threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Config(format!("decoding the audio stopped: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(uid: u32) -> MessageId {
        MessageId {
            uid_validity: 3,
            uid,
        }
    }

    /// A well-formed 8 kHz mono WAV of `samples` samples, each `fill`.
    fn wav(samples: usize, fill: i16) -> Vec<u8> {
        crate::audio::DecodedAudio {
            sample_rate: 8000,
            channels: 1,
            samples: vec![fill; samples],
        }
        .to_wav_bytes()
    }

    #[test]
    fn one_message_stored_by_many_at_once_is_stored_by_each() {
        // Two windows, or the app and the CLI, decoding the same message: each store succeeds
        // and what is left is one whole file.
        let dir = tempfile::tempdir().unwrap();
        let cache = AudioCache::open(dir.path(), 1 << 30).unwrap();
        let bytes = wav(4000, 7);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..100 {
                        cache
                            .put("INBOX", id(1), &bytes)
                            .expect("every store succeeds");
                    }
                });
            }
        });
        assert_eq!(cache.get("INBOX", id(1)), Some(bytes));
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }

    #[test]
    fn a_truncated_file_is_not_served_and_is_decoded_again() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AudioCache::open(dir.path(), 1 << 20).unwrap();
        let whole = wav(800, 3);
        cache.put("INBOX", id(1), &whole).unwrap();
        // What a crash leaves of a file whose data never reached the disk.
        let path = cache.path("INBOX", id(1));
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(100)
            .unwrap();
        assert_eq!(cache.get("INBOX", id(1)), None, "a torn WAV is not played");
        assert!(!path.exists(), "and is removed");
        fs::write(&path, b"not a wav at all").unwrap();
        assert_eq!(cache.get("INBOX", id(1)), None);
        cache.put("INBOX", id(1), &whole).unwrap();
        assert_eq!(cache.get("INBOX", id(1)), Some(whole));
    }

    #[test]
    fn put_get_remove_and_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AudioCache::open(&dir.path().join("c"), 1 << 20).unwrap();
        assert_eq!(cache.get("INBOX", id(1)), None);
        cache.put("INBOX", id(1), &wav(10, 1)).unwrap();
        cache.put("Old/../x", id(1), &wav(10, 2)).unwrap();
        assert_eq!(cache.get("INBOX", id(1)), Some(wav(10, 1)));
        assert_eq!(cache.get("Old/../x", id(1)), Some(wav(10, 2)));
        let files: Vec<_> = fs::read_dir(dir.path().join("c")).unwrap().collect();
        assert_eq!(files.len(), 2, "folder names cannot escape the directory");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(cache.path("INBOX", id(1)))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        cache.remove("INBOX", id(1));
        assert_eq!(cache.get("INBOX", id(1)), None);
    }

    #[test]
    fn files_unused_for_longer_than_the_age_go_whatever_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let cache = AudioCache::open(dir.path(), 1 << 20).unwrap();
        cache.put("INBOX", id(1), &wav(10, 1)).unwrap();
        cache.put("INBOX", id(2), &wav(10, 2)).unwrap();
        let path = |uid: u32| cache.path("INBOX", id(uid));
        let (first, second) = (path(1), path(2));
        let aged = |file: &Path, days: u64| {
            File::options()
                .write(true)
                .open(file)
                .unwrap()
                .set_modified(SystemTime::now() - Duration::from_secs(days * 86_400))
                .unwrap();
        };
        aged(&first, 40);
        aged(&second, 3);
        let cache = cache.with_max_age(Duration::from_secs(30 * 86_400));
        assert!(cache.get("INBOX", id(1)).is_none(), "unused for 40 days");
        assert!(cache.get("INBOX", id(2)).is_some(), "used 3 days ago");
        // And on each store.
        aged(&second, 31);
        cache.put("INBOX", id(3), &wav(10, 3)).unwrap();
        assert!(cache.get("INBOX", id(2)).is_none());
        assert!(cache.get("INBOX", id(3)).is_some());
    }

    #[test]
    fn least_recently_used_files_go_first() {
        let dir = tempfile::tempdir().unwrap();
        // Room for two files of 64 bytes (44 of header, 10 samples), not three.
        let cache = AudioCache::open(dir.path(), 130).unwrap();
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for uid in 1..=2 {
            cache.put("INBOX", id(uid), &wav(10, 0)).unwrap();
            let f = File::options()
                .write(true)
                .open(cache.path("INBOX", id(uid)))
                .unwrap();
            f.set_modified(old + Duration::from_secs(u64::from(uid)))
                .unwrap();
        }
        cache.get("INBOX", id(1)); // used now: newer than 2
        cache.put("INBOX", id(3), &wav(10, 0)).unwrap();
        assert!(
            cache.get("INBOX", id(2)).is_none(),
            "least recently used evicted"
        );
        assert!(cache.get("INBOX", id(1)).is_some());
        assert!(cache.get("INBOX", id(3)).is_some());
    }
}

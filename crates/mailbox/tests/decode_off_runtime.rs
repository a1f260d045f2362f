//! Decoding a voicemail never runs on the async runtime's threads (which the SIP driver shares):
//! an allocator of this test binary counts large allocations made on the runtime's own thread
//! while [`AudioCache::fetch_wav`] fetches, decodes and caches a message, and again when it
//! serves it from the cache.
//!
//! Counting allocations needs a `GlobalAlloc`, which is `unsafe` to implement: this test binary
//! is the only place the crate allows it, and every call is forwarded unchanged to `System`.

#![allow(unsafe_code)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{gsm_fmt, wave};
use voicelamp_mailbox::{AudioCache, Error, MessageId, Voicemail, VoicemailStore};

/// Allocations at least this large are what decoding makes (the samples, the WAV); the encoded
/// attachment the store hands over is smaller.
const LARGE: usize = 512 * 1024;

thread_local! {
    static ON_RUNTIME_THREAD: Cell<bool> = const { Cell::new(false) };
}
static LARGE_ON_RUNTIME: AtomicUsize = AtomicUsize::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE && ON_RUNTIME_THREAD.with(Cell::get) {
            LARGE_ON_RUNTIME.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, i.e. from the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= LARGE && ON_RUNTIME_THREAD.with(Cell::get) {
            LARGE_ON_RUNTIME.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A store holding one message: a minute of Asterisk's wav49 (97 kB that decode to 960 kB).
struct OneMessage(Vec<u8>);

impl VoicemailStore for OneMessage {
    async fn folders(&self) -> Result<Vec<String>, Error> {
        Ok(vec!["INBOX".into()])
    }
    async fn list(&self, _: &str) -> Result<Vec<Voicemail>, Error> {
        Ok(Vec::new())
    }
    async fn fetch_audio(&self, _: &str, _: MessageId) -> Result<Vec<u8>, Error> {
        Ok(self.0.clone())
    }
    async fn mark_heard(&self, _: &str, _: MessageId) -> Result<(), Error> {
        Ok(())
    }
    async fn mark_new(&self, _: &str, _: MessageId) -> Result<(), Error> {
        Ok(())
    }
    async fn delete(&self, _: &str, _: MessageId) -> Result<(), Error> {
        Ok(())
    }
    async fn move_to(&self, _: &str, _: MessageId, _: &str) -> Result<(), Error> {
        Ok(())
    }
    async fn unseen_counts(&self, _: &str) -> Result<voicelamp_mailbox::UnseenCounts, Error> {
        Ok(Default::default())
    }
}

#[test]
fn decoding_and_the_cache_run_off_the_runtime_threads() {
    let blocks = 60 * 8000 / 320;
    let attachment = wave(&gsm_fmt(), None, &vec![0u8; blocks * 65]);
    assert!(attachment.len() < LARGE);
    let store = OneMessage(attachment);
    let dir = tempfile::tempdir().unwrap();
    let cache = AudioCache::open(dir.path(), 64 << 20).unwrap();
    let id = MessageId {
        uid_validity: 1,
        uid: 1,
    };
    // A current-thread runtime runs every task on this thread; its blocking pool has threads
    // of its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    ON_RUNTIME_THREAD.with(|f| f.set(true));
    let (fetched, cached) = runtime.block_on(async {
        let fetched = cache.fetch_wav(&store, "INBOX", id).await.expect("decodes");
        let during_fetch = LARGE_ON_RUNTIME.load(Ordering::SeqCst);
        let cached = cache.fetch_wav(&store, "INBOX", id).await.expect("cached");
        (
            (fetched.len(), during_fetch),
            (
                cached.len(),
                LARGE_ON_RUNTIME.load(Ordering::SeqCst) - during_fetch,
            ),
        )
    });
    ON_RUNTIME_THREAD.with(|f| f.set(false));
    assert_eq!(fetched.0, 44 + blocks * 320 * 2, "the whole minute decoded");
    assert_eq!(cached.0, fetched.0);
    assert_eq!(
        (fetched.1, cached.1),
        (0, 0),
        "large allocations on the runtime thread while decoding, and while reading the cache"
    );
}

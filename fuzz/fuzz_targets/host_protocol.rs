#![no_main]
//! Any bytes from a stranger on the tray process's socket, through the reader the host uses:
//! never a panic, never a loop; each message either reads or is an error.

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use voicelamp_desktop::protocol::{FromHost, ToHost, read};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    runtime().block_on(async {
        let mut reader = tokio::io::BufReader::new(data);
        // Every message read consumes at least one byte, so this ends; the count says so too.
        for _ in 0..=data.len() {
            match read::<ToHost, _>(&mut reader).await {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        let mut reader = tokio::io::BufReader::new(data);
        for _ in 0..=data.len() {
            match read::<FromHost, _>(&mut reader).await {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    });
});

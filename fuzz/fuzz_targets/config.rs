#![no_main]
//! Any text as the configuration file: never a panic, and a configuration that reads writes back
//! to TOML that reads again to the same accounts.

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use voicelamp_core::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/home/someone/.config/voicelamp/config.toml");
    if let Ok(config) = Config::from_toml_str(text, path) {
        let written = config
            .to_toml()
            .expect("a configuration that was read can be written");
        let again = Config::from_toml_str(&written, path)
            .expect("a configuration that was read must read again after writing");
        assert_eq!(again.accounts.len(), config.accounts.len());
    }
});

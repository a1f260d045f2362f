//! The OS keyring store against the real one: the Secret Service on Linux, the Credential Manager
//! on Windows, the Keychain on macOS. Ignored by default: it needs an unlocked keyring.
//! `scripts/test` runs it in a private D-Bus session with a throwaway GNOME Keyring:
//!
//! ```text
//! tests/with-keyring cargo test -p voicelamp-core --test keyring -- --ignored
//! ```
//!
//! and `scripts/check-targets` as a Windows program under Wine (whose Credential Manager keeps
//! credentials in its prefix's registry).
#![cfg(all(
    feature = "keyring",
    any(target_os = "linux", windows, target_os = "macos")
))]

use voicelamp_core::config::{AccountConfig, PasswordSource};
use voicelamp_core::secrets::{KeyringStore, Secret, SecretStore, resolve_password};

#[test]
#[ignore = "needs an unlocked Secret Service (see the file's doc comment)"]
fn stores_reads_and_deletes_a_password() {
    let store = KeyringStore::open().expect("Secret Service reachable");
    let id = "voicelamp-test-account";
    store.delete(id).expect("clean start");
    assert_eq!(store.get(id).expect("get"), None);

    store.set(id, &Secret::from("correct horse")).expect("set");
    assert_eq!(
        store.get(id).expect("get").expect("stored").expose(),
        "correct horse"
    );
    store
        .set(id, &Secret::from("battery staple"))
        .expect("replace");

    let mut account = AccountConfig::new(id, "sip:alice@example.com");
    account.password = PasswordSource::Keyring;
    assert_eq!(
        resolve_password(&account, &store)
            .expect("resolved")
            .expose(),
        "battery staple"
    );

    store.delete(id).expect("delete");
    assert_eq!(store.get(id).expect("get after delete"), None);
    let error = resolve_password(&account, &store).expect_err("gone");
    assert!(
        error.to_string().contains("no password in the OS keyring"),
        "{error}"
    );
}

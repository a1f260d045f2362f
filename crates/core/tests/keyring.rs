//! The OS keyring store against a real Secret Service. Ignored by default: it needs an unlocked
//! collection. `scripts/test` runs it in a private D-Bus session with a throwaway GNOME Keyring:
//!
//! ```text
//! tests/with-keyring cargo test -p voicelamp-core --test keyring -- --ignored
//! ```
#![cfg(all(feature = "keyring", target_os = "linux"))]

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

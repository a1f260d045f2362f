//! Passwords: the [`Secret`] type that never prints its value, the [`SecretStore`] trait (the OS
//! keyring, or [`MemoryStore`] in tests) and [`resolve_password`], which honours an account's
//! [`PasswordSource`]: environment variable, owner-only file or keyring.

use crate::config::{AccountConfig, PasswordSource};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The keyring service name under which passwords are stored (the account id is the key).
pub const KEYRING_SERVICE: &str = "voicelamp";

/// A password. `Debug` and `Display` print `***`; [`Secret::expose`] is the only way to the value.
/// Its memory is overwritten when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl Secret {
    /// Wraps a value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The value, for the one place that needs it (digest authentication).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Why a password cannot be had. No variant carries a password.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The account's environment variable is not set (or not Unicode).
    #[error(
        "account {account}: the environment variable {var} is not set; set it to the account's password"
    )]
    EnvMissing {
        /// Account id.
        account: String,
        /// Variable name.
        var: String,
    },
    /// The password file cannot be read.
    #[error("account {account}: cannot read the password file {}: {source}", path.display())]
    FileUnreadable {
        /// Account id.
        account: String,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The password file can be read by others.
    #[error(
        "account {account}: the password file {} has mode {mode:04o}, so others can read it; \
         it must be readable by its owner only: chmod 600 {}",
        path.display(),
        path.display()
    )]
    FileTooOpen {
        /// Account id.
        account: String,
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The password (from any source) is empty.
    #[error("account {account}: the password from {source_name} is empty")]
    Empty {
        /// Account id.
        account: String,
        /// Where it came from, in words.
        source_name: String,
    },
    /// The keyring has no password for the account.
    #[error(
        "account {account}: no password in the OS keyring (service \"{KEYRING_SERVICE}\", key \"{account}\"); \
         store one, or set password_env or password_file in the configuration"
    )]
    NotInKeyring {
        /// Account id.
        account: String,
    },
    /// The keyring cannot be used (locked, not running, not supported).
    #[error(
        "the OS keyring cannot be used: {0}; unlock it, or set password_env or password_file in the configuration"
    )]
    Keyring(String),
    /// This build has no keyring support.
    #[error(
        "this build has no OS keyring support; set password_env or password_file for account {account}"
    )]
    NoKeyring {
        /// Account id.
        account: String,
    },
}

/// Where passwords are kept, by account id.
pub trait SecretStore: Send + Sync {
    /// The password of an account; `None` when there is none.
    fn get(&self, account_id: &str) -> Result<Option<Secret>, SecretError>;
    /// Stores or replaces a password.
    fn set(&self, account_id: &str, secret: &Secret) -> Result<(), SecretError>;
    /// Removes a password; removing a missing one is not an error.
    fn delete(&self, account_id: &str) -> Result<(), SecretError>;
}

/// Passwords in memory: for tests, and for a session that must not persist anything.
#[derive(Default)]
pub struct MemoryStore {
    secrets: Mutex<HashMap<String, Secret>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.secrets.lock().map(|s| s.len()).unwrap_or(0);
        f.debug_struct("MemoryStore")
            .field("entries", &count)
            .finish()
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, account_id: &str) -> Result<Option<Secret>, SecretError> {
        Ok(self.lock().get(account_id).cloned())
    }

    fn set(&self, account_id: &str, secret: &Secret) -> Result<(), SecretError> {
        self.lock().insert(account_id.to_owned(), secret.clone());
        Ok(())
    }

    fn delete(&self, account_id: &str) -> Result<(), SecretError> {
        self.lock().remove(account_id);
        Ok(())
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        // A panic while holding the lock cannot leave the map half-changed.
        self.secrets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A store that has no keyring: every lookup says so. For builds without the `keyring` feature
/// and for headless hosts where every account uses `password_env` or `password_file`.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoKeyring;

impl SecretStore for NoKeyring {
    fn get(&self, account_id: &str) -> Result<Option<Secret>, SecretError> {
        Err(SecretError::NoKeyring {
            account: account_id.to_owned(),
        })
    }

    fn set(&self, account_id: &str, _secret: &Secret) -> Result<(), SecretError> {
        Err(SecretError::NoKeyring {
            account: account_id.to_owned(),
        })
    }

    fn delete(&self, account_id: &str) -> Result<(), SecretError> {
        Err(SecretError::NoKeyring {
            account: account_id.to_owned(),
        })
    }
}

/// The password of an account from its configured source: the environment, a file, or `store`.
pub fn resolve_password(
    account: &AccountConfig,
    store: &dyn SecretStore,
) -> Result<Secret, SecretError> {
    resolve_password_with_env(account, store, &|var| std::env::var(var).ok())
}

/// [`resolve_password`] with the environment given as a lookup function (tests cannot change the
/// process environment safely).
pub fn resolve_password_with_env(
    account: &AccountConfig,
    store: &dyn SecretStore,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, SecretError> {
    let id = &account.id;
    let (secret, source_name) = match &account.password {
        PasswordSource::Env(var) => {
            let value = env(var).ok_or_else(|| SecretError::EnvMissing {
                account: id.clone(),
                var: var.clone(),
            })?;
            (
                Secret::new(value),
                format!("the environment variable {var}"),
            )
        }
        PasswordSource::File(path) => (
            read_password_file(id, path)?,
            format!("the file {}", path.display()),
        ),
        PasswordSource::Keyring => {
            let secret = store.get(id)?.ok_or_else(|| SecretError::NotInKeyring {
                account: id.clone(),
            })?;
            (secret, "the OS keyring".to_owned())
        }
    };
    if secret.expose().is_empty() {
        return Err(SecretError::Empty {
            account: id.clone(),
            source_name,
        });
    }
    Ok(secret)
}

/// Reads a password file: refused unless only its owner can read it (Unix); the first line,
/// without its line end, is the password.
pub fn read_password_file(account: &str, path: &Path) -> Result<Secret, SecretError> {
    let unreadable = |source| SecretError::FileUnreadable {
        account: account.to_owned(),
        path: path.to_owned(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(unreadable)?
            .permissions()
            .mode()
            & 0o7777;
        if mode & 0o077 != 0 {
            return Err(SecretError::FileTooOpen {
                account: account.to_owned(),
                path: path.to_owned(),
                mode,
            });
        }
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    let line = text.lines().next().unwrap_or("");
    Ok(Secret::new(line.to_owned()))
}

#[cfg(feature = "keyring")]
pub use keyring_store::KeyringStore;

#[cfg(feature = "keyring")]
mod keyring_store {
    use super::{KEYRING_SERVICE, Secret, SecretError, SecretStore};
    use keyring_core::{CredentialStore, Entry, Error};
    use std::fmt;
    use std::sync::Arc;

    /// The OS keyring (Linux: the Secret Service over D-Bus, e.g. GNOME Keyring or KWallet;
    /// Windows: the Credential Manager; macOS: the Keychain), service `voicelamp`, the account
    /// id as key.
    pub struct KeyringStore {
        store: Arc<CredentialStore>,
    }

    impl fmt::Debug for KeyringStore {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("KeyringStore")
                .field("store", &self.store.vendor())
                .finish()
        }
    }

    impl KeyringStore {
        /// Connects to the platform's keyring: the Secret Service on Linux, the Credential
        /// Manager on Windows (a generic credential named `<account>.voicelamp`), the login
        /// Keychain on macOS (a generic password of service `voicelamp`, the account id as
        /// account).
        pub fn open() -> Result<Self, SecretError> {
            #[cfg(target_os = "linux")]
            {
                let store = dbus_secret_service_keyring_store::Store::new().map_err(describe)?;
                Ok(Self { store })
            }
            #[cfg(windows)]
            {
                let store = windows_native_keyring_store::Store::new().map_err(describe)?;
                Ok(Self { store })
            }
            #[cfg(target_os = "macos")]
            {
                let store = apple_native_keyring_store::keychain::Store::new().map_err(describe)?;
                Ok(Self { store })
            }
            #[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
            {
                Err(SecretError::Keyring(
                    "this platform has no keyring Voicelamp can use".into(),
                ))
            }
        }

        /// A store over any `keyring-core` credential store (e.g. its mock store in tests).
        pub fn with_store(store: Arc<CredentialStore>) -> Self {
            Self { store }
        }

        fn entry(&self, account_id: &str) -> Result<Entry, SecretError> {
            Entry::new_in_store(&self.store, KEYRING_SERVICE, account_id).map_err(describe)
        }
    }

    /// Keyring errors in words, never with secret bytes (`BadEncoding` carries them).
    fn describe(error: Error) -> SecretError {
        SecretError::Keyring(match error {
            Error::BadEncoding(_) => "the stored password is not valid UTF-8".to_owned(),
            Error::BadDataFormat(_, e) => format!("the stored data has an unexpected format: {e}"),
            Error::NoStorageAccess(e) => format!("access denied or the keyring is locked: {e}"),
            Error::PlatformFailure(e) => format!("the keyring service failed: {e}"),
            other => other.to_string(),
        })
    }

    impl SecretStore for KeyringStore {
        fn get(&self, account_id: &str) -> Result<Option<Secret>, SecretError> {
            match self.entry(account_id)?.get_password() {
                Ok(value) => Ok(Some(Secret::new(value))),
                Err(Error::NoEntry) => Ok(None),
                Err(e) => Err(describe(e)),
            }
        }

        fn set(&self, account_id: &str, secret: &Secret) -> Result<(), SecretError> {
            self.entry(account_id)?
                .set_password(secret.expose())
                .map_err(describe)
        }

        fn delete(&self, account_id: &str) -> Result<(), SecretError> {
            match self.entry(account_id)?.delete_credential() {
                Ok(()) | Err(Error::NoEntry) => Ok(()),
                Err(e) => Err(describe(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(password: PasswordSource) -> AccountConfig {
        let mut account = AccountConfig::new("office", "sip:alice@example.com");
        account.password = password;
        account
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn secret_never_prints_its_value() {
        let secret = Secret::from("hunter2");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
        assert_eq!(secret.expose(), "hunter2");
        let store = MemoryStore::new();
        store.set("a", &secret).expect("set");
        assert!(!format!("{store:?}").contains("hunter2"));
    }

    #[test]
    fn env_source() {
        let account = account(PasswordSource::Env("VL_PW".into()));
        let env = |var: &str| (var == "VL_PW").then(|| "s3cret".to_owned());
        let secret = resolve_password_with_env(&account, &NoKeyring, &env).expect("found");
        assert_eq!(secret.expose(), "s3cret");
        let error = resolve_password_with_env(&account, &NoKeyring, &no_env).expect_err("missing");
        assert_eq!(
            error.to_string(),
            "account office: the environment variable VL_PW is not set; set it to the account's password"
        );
        let empty = |_: &str| Some(String::new());
        assert!(matches!(
            resolve_password_with_env(&account, &NoKeyring, &empty),
            Err(SecretError::Empty { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn file_source_requires_owner_only_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("office.pw");
        std::fs::write(&path, "s3cret\n").expect("write");
        let account = account(PasswordSource::File(path.clone()));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let secret =
            resolve_password_with_env(&account, &NoKeyring, &no_env).expect("0600 accepted");
        assert_eq!(secret.expose(), "s3cret");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        assert!(
            resolve_password_with_env(&account, &NoKeyring, &no_env).is_ok(),
            "0400 accepted"
        );

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let error =
            resolve_password_with_env(&account, &NoKeyring, &no_env).expect_err("0644 refused");
        let message = error.to_string();
        assert!(matches!(
            error,
            SecretError::FileTooOpen { mode: 0o644, .. }
        ));
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("mode 0644"), "{message}");
        assert!(!message.contains("s3cret"));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert!(
            resolve_password_with_env(&account, &NoKeyring, &no_env).is_err(),
            "0640 refused"
        );

        let missing = self::account(PasswordSource::File(dir.path().join("nope")));
        assert!(matches!(
            resolve_password_with_env(&missing, &NoKeyring, &no_env),
            Err(SecretError::FileUnreadable { .. })
        ));
    }

    #[test]
    fn keyring_source_uses_the_store() {
        let account = account(PasswordSource::Keyring);
        let store = MemoryStore::new();
        let error = resolve_password_with_env(&account, &store, &no_env).expect_err("empty store");
        assert!(matches!(error, SecretError::NotInKeyring { .. }));
        store.set("office", &Secret::from("pw1")).expect("set");
        assert_eq!(
            resolve_password_with_env(&account, &store, &no_env)
                .expect("pw")
                .expose(),
            "pw1"
        );
        store.set("office", &Secret::from("pw2")).expect("replace");
        assert_eq!(
            store.get("office").expect("get").expect("some").expose(),
            "pw2"
        );
        store.delete("office").expect("delete");
        store.delete("office").expect("delete twice");
        assert_eq!(store.get("office").expect("get"), None);
        assert!(matches!(
            resolve_password_with_env(&account, &NoKeyring, &no_env),
            Err(SecretError::NoKeyring { .. })
        ));
    }
}

//! The one error type of this crate.

use std::path::PathBuf;

/// What can go wrong in the driver.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A server URI cannot be read.
    #[error("cannot read the server address {uri:?}: {why}")]
    BadUri {
        /// The URI.
        uri: String,
        /// Why.
        why: &'static str,
    },
    /// A CA file cannot be read or holds no certificate.
    #[error("cannot use the CA file {path}: {why}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// TLS cannot be set up.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// A socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A call cannot be started, answered or go on (why, in words).
    #[error("{0}")]
    Call(String),
    /// The driver task has stopped.
    #[error("the network driver has stopped")]
    Stopped,
}

impl NetError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

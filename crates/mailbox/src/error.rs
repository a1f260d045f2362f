//! The crate's error type, worded for the person who has to act on it.

use std::path::PathBuf;

use crate::message::MessageId;

/// Everything that can go wrong talking to a voicemail store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// LOGIN was answered NO.
    #[error("the server refused the login for {user}: check the password ({detail})")]
    AuthFailed {
        /// Login name.
        user: String,
        /// The server's words.
        detail: String,
    },
    /// The server's certificate does not chain to a trusted root (or does not name the host).
    #[error("{detail}")]
    TlsUntrusted {
        /// Host as configured.
        host: String,
        /// Why, and what to do, in words (`voicelamp_tls::explain`): "the certificate of
        /// {host} is not trusted: …".
        detail: String,
    },
    /// Any other TLS failure (handshake, protocol, configuration).
    #[error("{detail}")]
    Tls {
        /// Host as configured.
        host: String,
        /// What went wrong and what to do, in words, naming the host.
        detail: String,
    },
    /// No TCP connection could be made.
    #[error("cannot reach the mail server {host}:{port}: {detail}")]
    Unreachable {
        /// Host as configured.
        host: String,
        /// Port as configured.
        port: u16,
        /// The system's words.
        detail: String,
    },
    /// An established connection broke.
    #[error("the connection to the mail server {host} was lost: {detail}")]
    ServerGone {
        /// Host as configured.
        host: String,
        /// What broke.
        detail: String,
    },
    /// A step got no answer in time.
    #[error("the mail server {host} did not answer {step} within {secs} s")]
    Timeout {
        /// Host as configured.
        host: String,
        /// The IMAP step, e.g. `"LOGIN"`.
        step: &'static str,
        /// The limit.
        secs: u64,
    },
    /// The message no longer exists where it was listed.
    #[error("message {id} is no longer in {folder}: {reason}")]
    MessageGone {
        /// Folder it was listed in.
        folder: String,
        /// Its id.
        id: MessageId,
        /// Why we think so (UIDVALIDITY changed, UID missing).
        reason: String,
    },
    /// The message has no audio attachment to play.
    #[error("message {id} in {folder} has no audio attachment")]
    NoAudio {
        /// Folder.
        folder: String,
        /// Id.
        id: MessageId,
    },
    /// The audio attachment is larger than the app fetches (read from the message's structure,
    /// before any of it is fetched).
    #[error(
        "message {id} in {folder} has an audio attachment of {} MiB, more than the {} MiB this \
         app fetches; play it on the phone or open it in a mail program",
        size.div_ceil(1024 * 1024),
        limit / (1024 * 1024)
    )]
    AudioTooLarge {
        /// Folder.
        folder: String,
        /// Id.
        id: MessageId,
        /// The attachment's encoded size in octets.
        size: u64,
        /// The limit in octets.
        limit: u64,
    },
    /// The message's MIME structure or encoding cannot be read.
    #[error("message {id} in {folder} is malformed: {detail}")]
    Malformed {
        /// Folder.
        folder: String,
        /// Id.
        id: MessageId,
        /// What is wrong.
        detail: String,
    },
    /// The folder does not exist on the server.
    #[error("the folder {folder} does not exist on the mail server")]
    NoSuchFolder {
        /// The name asked for.
        folder: String,
    },
    /// The server lacks something we need (e.g. STARTTLS).
    #[error("the mail server {host} does not support {what}")]
    Unsupported {
        /// Host.
        host: String,
        /// The missing capability.
        what: &'static str,
    },
    /// The server refused a command (NO/BAD) or answered something unreadable.
    #[error("the mail server answered {command} with: {detail}")]
    Protocol {
        /// The command.
        command: &'static str,
        /// Its words.
        detail: String,
    },
    /// The offline journal cannot be read or written.
    #[error("the offline journal {path} cannot be used: {detail}")]
    Journal {
        /// Journal file.
        path: PathBuf,
        /// The system's words.
        detail: String,
    },
    /// An account setting is unusable (e.g. the CA file cannot be read).
    #[error("account setting: {0}")]
    Config(String),
    /// The audio attachment cannot be decoded.
    #[error("the voicemail audio cannot be decoded: {0}")]
    Audio(#[from] crate::audio::AudioError),
    /// A string that is not a message id.
    #[error("{0:?} is not a message id: expected <uidvalidity>-<uid>")]
    BadId(String),
}

impl Error {
    /// True when the server could not be reached or the connection broke: the kind of failure that
    /// the offline journal absorbs and a reconnect may cure.
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::ServerGone { .. } | Self::Timeout { .. }
        )
    }

    /// True when the operation may succeed later without anything changing about the message:
    /// the server is unreachable, or the account is refused (password, certificate) until its
    /// settings are fixed. The offline journal keeps changes that fail this way.
    pub fn is_retryable(&self) -> bool {
        self.is_offline()
            || self.is_temporary_refusal()
            || matches!(
                self,
                Self::AuthFailed { .. }
                    | Self::TlsUntrusted { .. }
                    | Self::Tls { .. }
                    | Self::Unsupported { .. }
                    | Self::Config(_)
            )
    }

    /// True when the server refused the account's credentials: trying again with the same
    /// settings cannot succeed and only risks a lockout (fail2ban then bans the person's SIP as
    /// well). A temporary refusal (`NO [UNAVAILABLE]`, RFC 5530) is not one.
    pub fn is_auth_refused(&self) -> bool {
        matches!(self, Self::AuthFailed { detail, .. }
            if !detail.trim_start().to_ascii_uppercase().starts_with("[UNAVAILABLE]"))
    }

    /// True when the server refused a command for now (RFC 5530: `NO [UNAVAILABLE]`, `[INUSE]`,
    /// `[LIMIT]`, `[SERVERBUG]`): the same command may succeed later, so a queued change is kept.
    pub fn is_temporary_refusal(&self) -> bool {
        const TEMPORARY: [&str; 4] = ["[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]"];
        matches!(self, Self::Protocol { detail, .. } | Self::AuthFailed { detail, .. }
            if TEMPORARY.iter().any(|code| detail.trim_start().to_ascii_uppercase().starts_with(code)))
    }

    /// True when retrying the same operation can never succeed because its message is gone.
    pub fn is_gone(&self) -> bool {
        matches!(
            self,
            Self::MessageGone { .. } | Self::NoSuchFolder { .. } | Self::NoAudio { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lasting_refusal_counts_as_a_refused_password() {
        let refused = |detail: &str| Error::AuthFailed {
            user: "1001".into(),
            detail: detail.into(),
        };
        assert!(refused("[AUTHENTICATIONFAILED] Authentication failed.").is_auth_refused());
        assert!(refused("Login failed").is_auth_refused());
        assert!(!refused("[UNAVAILABLE] Temporary authentication failure.").is_auth_refused());
        assert!(
            !Error::ServerGone {
                host: "h".into(),
                detail: "closed".into()
            }
            .is_auth_refused()
        );
    }
}

//! TLS for IMAP: the trust rules of `voicelamp-tls` (platform roots plus the account's CA file,
//! or — only when the account asks for it — no verification at all), in this crate's errors.

use std::sync::Arc;

use rustls_pki_types::ServerName;
use tokio_rustls::rustls::ClientConfig;
use voicelamp_tls::Trust;

use crate::account::ImapAccount;
use crate::error::Error;

/// Builds the TLS configuration of `account`.
pub fn client_config(account: &ImapAccount) -> Result<Arc<ClientConfig>, Error> {
    let what = format!("the IMAP account {}@{}", account.user, account.host);
    voicelamp_tls::client_config(Trust {
        ca_file: account.ca_file.as_deref(),
        insecure_skip_verify: account.insecure_skip_verify,
        what: &what,
    })
    .map_err(|e| Error::Config(e.to_string()))
}

/// The server name to verify: a DNS name or an IP address.
pub fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    voicelamp_tls::server_name(host).map_err(|e| Error::Config(e.to_string()))
}

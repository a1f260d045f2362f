//! TLS for SIP flows: the trust rules of `voicelamp-tls` (platform roots plus the account's CA,
//! verification on unless the account opts out), wrapped in a tokio connector.

use crate::config::TlsOptions;
use crate::error::NetError;
use rustls_pki_types::ServerName;
use tokio_rustls::TlsConnector;
use voicelamp_tls::{TlsError, Trust};

/// A connector for the settings of the account of `aor`.
pub fn connector(options: &TlsOptions, aor: &str) -> Result<TlsConnector, NetError> {
    let what = format!("the SIP account {aor}");
    let config = voicelamp_tls::client_config(Trust {
        ca_file: options.ca_file.as_deref(),
        insecure_skip_verify: options.insecure_skip_verify,
        what: &what,
    })
    .map_err(net_error)?;
    Ok(TlsConnector::from(config))
}

/// The name the server certificate must carry.
pub fn server_name(host: &str) -> Result<ServerName<'static>, NetError> {
    voicelamp_tls::server_name(host).map_err(net_error)
}

fn net_error(e: TlsError) -> NetError {
    match e {
        TlsError::CaFile { path, why } => NetError::CaFile { path, why },
        other => NetError::Tls(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_ca_file_is_an_error() {
        let options = TlsOptions {
            ca_file: Some("/nonexistent/ca.pem".into()),
            insecure_skip_verify: false,
        };
        let aor = "sip:1001@pbx.example.com";
        assert!(matches!(
            connector(&options, aor),
            Err(NetError::CaFile { .. })
        ));
        assert!(connector(&TlsOptions::default(), aor).is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("pbx.example.com").is_ok());
    }
}

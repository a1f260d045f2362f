//! Opening an authenticated IMAP session: TCP, TLS (IMAPS or STARTTLS), greeting, LOGIN,
//! capabilities — every step under a deadline, every failure worded for the user.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_imap::Client;
use async_imap::imap_proto::{Capability, Outcome, Response, ResponseCode};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, ClientConfig};

use super::stream::ImapStream;
use super::tls::server_name;
use crate::account::{ImapAccount, Security};
use crate::error::Error;

/// An authenticated session.
pub type Session = async_imap::Session<ImapStream>;

/// What the server can do, as far as we care.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caps {
    /// RFC 2177 IDLE.
    pub idle: bool,
    /// RFC 6851 MOVE.
    pub moves: bool,
    /// RFC 4315 UIDPLUS (UID EXPUNGE).
    pub uidplus: bool,
}

/// The host and the step deadline, carried to every command for timeouts and error wording.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Host as configured.
    pub host: String,
    /// Deadline of each step.
    pub limit: Duration,
}

impl Ctx {
    /// Runs one IMAP step under the deadline, mapping async-imap's errors to ours.
    pub async fn step<T>(
        &self,
        name: &'static str,
        fut: impl Future<Output = Result<T, async_imap::error::Error>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout(self.limit, fut).await {
            Ok(r) => r.map_err(|e| self.imap_error(name, e)),
            Err(_) => Err(self.timeout(name)),
        }
    }

    /// The timeout error of step `name`.
    pub fn timeout(&self, step: &'static str) -> Error {
        Error::Timeout {
            host: self.host.clone(),
            step,
            secs: self.limit.as_secs().max(1),
        }
    }

    /// Maps an async-imap error of command `command`.
    pub fn imap_error(&self, command: &'static str, e: async_imap::error::Error) -> Error {
        use async_imap::error::Error as E;
        match e {
            E::Io(io) => Error::ServerGone {
                host: self.host.clone(),
                detail: io.to_string(),
            },
            E::ConnectionLost => Error::ServerGone {
                host: self.host.clone(),
                detail: "the server closed the connection".into(),
            },
            E::No(detail) | E::Bad(detail) => Error::Protocol {
                command,
                detail: server_words(&detail),
            },
            other => Error::Protocol {
                command,
                detail: unreadable(&other),
            },
        }
    }
}

/// async-imap's other errors in words (its own text can hold raw bytes and `Debug` output).
fn unreadable(e: &async_imap::error::Error) -> String {
    use async_imap::error::Error as E;
    match e {
        E::Validate(_) => "a name holds a character that IMAP cannot send".to_owned(),
        E::Append => "the server did not store the message".to_owned(),
        _ => "an answer this app cannot read; the server may not speak standard IMAP".to_owned(),
    }
}

/// The server's own words from async-imap's NO/BAD text, which is the debug form of the response
/// (`code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")`); anything else as is.
fn server_words(detail: &str) -> String {
    detail
        .split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map_or_else(|| detail.to_owned(), |(info, _)| info.replace("\\\"", "\""))
}

/// Connects and logs in.
pub async fn connect(
    account: &ImapAccount,
    tls: &Arc<ClientConfig>,
    ctx: &Ctx,
) -> Result<(Session, Caps), Error> {
    let tcp = match tokio::time::timeout(
        ctx.limit,
        TcpStream::connect((account.host.as_str(), account.port)),
    )
    .await
    {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => {
            return Err(Error::Unreachable {
                host: account.host.clone(),
                port: account.port,
                detail: e.to_string(),
            });
        }
        Err(_) => return Err(ctx.timeout("connect")),
    };
    tcp.set_nodelay(true).ok();

    let (client, plain_offered) = match account.security {
        Security::Plain => {
            tracing::debug!(host = %account.host, "IMAP without TLS (configured as plain)");
            let mut client = Client::new(ImapStream::Plain(tcp));
            let plain = greeting(&mut client, ctx).await?;
            (client, plain)
        }
        Security::Tls => {
            let tls = handshake(tcp, account, tls, ctx).await?;
            let mut client = Client::new(ImapStream::Tls(Box::new(tls)));
            let plain = greeting(&mut client, ctx).await?;
            (client, plain)
        }
        Security::StartTls => {
            let mut client = Client::new(ImapStream::Plain(tcp));
            // A server offering AUTH=PLAIN before TLS offers it after TLS as well.
            let plain = greeting(&mut client, ctx).await?;
            ctx.step(
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await
            .map_err(|e| match e {
                Error::Protocol { .. } => Error::Unsupported {
                    host: account.host.clone(),
                    what: "STARTTLS",
                },
                other => other,
            })?;
            let ImapStream::Plain(tcp) = client.into_inner() else {
                unreachable!("the stream is plain before STARTTLS")
            };
            let tls = handshake(tcp, account, tls, ctx).await?;
            (Client::new(ImapStream::Tls(Box::new(tls))), plain)
        }
    };

    // AUTHENTICATE PLAIN when the greeting offers it (UTF-8 safe), else LOGIN.
    let user = account.user.as_str();
    let password = account.password.expose();
    let login = if plain_offered {
        let auth = client.authenticate("PLAIN", SaslPlain { user, password });
        tokio::time::timeout(ctx.limit, auth).await
    } else {
        tokio::time::timeout(ctx.limit, client.login(user, password)).await
    }
    .map_err(|_| ctx.timeout("LOGIN"))?;
    let mut session = match login {
        Ok(s) => s,
        Err((async_imap::error::Error::No(detail), _)) => {
            return Err(Error::AuthFailed {
                user: account.user.clone(),
                detail: server_words(&detail),
            });
        }
        Err((e, _)) => return Err(ctx.imap_error("LOGIN", e)),
    };
    let caps = ctx.step("CAPABILITY", session.capabilities()).await?;
    let caps = Caps {
        idle: caps.has_str("IDLE"),
        moves: caps.has_str("MOVE"),
        uidplus: caps.has_str("UIDPLUS"),
    };
    tracing::debug!(host = %account.host, user = %account.user, ?caps, "IMAP session open");
    Ok((session, caps))
}

/// SASL PLAIN (RFC 4616): authorization id empty, then user and password.
struct SaslPlain<'a> {
    user: &'a str,
    password: &'a str,
}

impl async_imap::Authenticator for SaslPlain<'_> {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        format!("\0{}\0{}", self.user, self.password).into_bytes()
    }
}

/// True when a greeting's CAPABILITY code lists `AUTH=PLAIN`.
fn offers_plain(greeting: &Response<'_>) -> bool {
    let Response::Data {
        outcome:
            Outcome {
                code: Some(ResponseCode::Capabilities(caps)),
                ..
            },
        ..
    } = greeting
    else {
        return false;
    };
    caps.iter()
        .any(|c| matches!(c, Capability::Auth(m) if m.eq_ignore_ascii_case("PLAIN")))
}

/// Reads the greeting; true when it offers `AUTH=PLAIN`.
async fn greeting(client: &mut Client<ImapStream>, ctx: &Ctx) -> Result<bool, Error> {
    match tokio::time::timeout(ctx.limit, client.read_response()).await {
        Ok(Ok(Some(r))) => Ok(offers_plain(r.parsed())),
        Ok(Ok(None)) => Err(Error::ServerGone {
            host: ctx.host.clone(),
            detail: "the server closed the connection before its greeting".into(),
        }),
        Ok(Err(e)) => Err(Error::ServerGone {
            host: ctx.host.clone(),
            detail: e.to_string(),
        }),
        Err(_) => Err(ctx.timeout("greeting")),
    }
}

async fn handshake(
    tcp: TcpStream,
    account: &ImapAccount,
    tls: &Arc<ClientConfig>,
    ctx: &Ctx,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Error> {
    let name = server_name(&account.host)?;
    let connector = TlsConnector::from(tls.clone());
    match tokio::time::timeout(ctx.limit, connector.connect(name, tcp)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(tls_error(&account.host, e)),
        Err(_) => Err(ctx.timeout("TLS handshake")),
    }
}

fn tls_error(host: &str, e: std::io::Error) -> Error {
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let detail = voicelamp_tls::explain_io(host, &e);
    let host = host.to_owned();
    match rustls_error {
        Some(tls) if voicelamp_tls::is_untrusted(tls) => Error::TlsUntrusted { host, detail },
        Some(_) => Error::Tls { host, detail },
        None => Error::ServerGone { host, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Response<'_> {
        Response::parse(line.as_bytes()).expect("greeting parses").1
    }

    #[test]
    fn plain_is_used_only_when_the_greeting_offers_it() {
        assert!(offers_plain(&parse(
            "* OK [CAPABILITY IMAP4rev1 SASL-IR IDLE STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot ready.\r\n"
        )));
        assert!(!offers_plain(&parse(
            "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"
        )));
        assert!(!offers_plain(&parse("* OK ready\r\n")));
    }

    #[test]
    fn other_imap_errors_are_words_without_bytes_or_debug() {
        use async_imap::error::{Error as E, ParseError as P};
        let bytes = vec![0xff, 0xfe];
        let not_utf8 = std::str::from_utf8(&bytes).unwrap_err();
        for e in [
            E::Parse(P::DataNotUtf8(bytes.clone(), not_utf8)),
            E::Parse(P::Invalid(vec![1, 2, 3])),
            E::Parse(P::Unexpected("Fetch { message: 1, attributes: [] }".into())),
        ] {
            let ctx = Ctx {
                host: "127.0.0.1".into(),
                limit: Duration::from_secs(1),
            };
            let said = ctx.imap_error("FETCH", e).to_string();
            assert_eq!(
                said,
                "the mail server answered FETCH with: an answer this app cannot read; the server \
                 may not speak standard IMAP"
            );
        }
    }

    #[test]
    fn server_words_drop_the_debug_wrapping() {
        assert_eq!(
            server_words(
                "code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")"
            ),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(
            server_words("Mailbox doesn't exist"),
            "Mailbox doesn't exist"
        );
    }
}

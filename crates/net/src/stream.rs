//! One TCP or TLS connection: connects (and handshakes), then frames what arrives into SIP
//! messages for the driver, answers CRLFCRLF pings with CRLF, and writes what the driver sends.
//! A ping we send must be answered within [`PONG_TIMEOUT`] (RFC 5626 §4.4.1; any bytes from the
//! server count), else the connection is ended as lost: a server that went silent without
//! closing is noticed within one keepalive interval plus that timeout.
//! Several accounts that use the same server share one connection.

use crate::driver::{ConnId, Internal};
use rustls_pki_types::ServerName;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;
use voicelamp_sip::framing::{Frame, next_frame};
use voicelamp_sip::keepalive::PING;

/// Longest wait for the answer to a keepalive ping (RFC 5626 §4.4.1).
pub(crate) const PONG_TIMEOUT: Duration = Duration::from_secs(10);

/// How to secure a connection.
pub(crate) struct TlsSetup {
    pub connector: TlsConnector,
    pub name: ServerName<'static>,
}

/// Runs one connection until it fails, the server closes it, or the driver drops its sender.
pub(crate) async fn run(
    id: ConnId,
    remote: SocketAddr,
    local_port: u16,
    tls: Option<TlsSetup>,
    connect_timeout: Duration,
    internal: mpsc::UnboundedSender<Internal>,
    outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let (why, reached) =
        match tokio::time::timeout(connect_timeout, connect(remote, local_port, tls)).await {
            Err(_) => (
                format!(
                    "no connection to {remote} within {} s",
                    connect_timeout.as_secs_f32()
                ),
                false,
            ),
            Ok(Err(failed)) => failed,
            Ok(Ok((Stream::Tcp(s), local))) => {
                (serve(id, remote, local, s, &internal, outgoing).await, true)
            }
            Ok(Ok((Stream::Tls(s), local))) => (
                serve(id, remote, local, *s, &internal, outgoing).await,
                true,
            ),
        };
    let _ = internal.send(Internal::Closed {
        conn: id,
        why,
        reached,
    });
}

enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// Connects (and handshakes); a failure says why and whether the server's TCP port answered.
async fn connect(
    remote: SocketAddr,
    local_port: u16,
    tls: Option<TlsSetup>,
) -> Result<(Stream, SocketAddr), (String, bool)> {
    let tcp = if local_port == 0 {
        TcpStream::connect(remote).await
    } else {
        bound_socket(remote, local_port)
            .map_err(|why| (why, true))?
            .connect(remote)
            .await
    }
    .map_err(|e| (connect_failure(remote, &e), false))?;
    let _ = tcp.set_nodelay(true);
    let local = tcp
        .local_addr()
        .map_err(|e| (format!("no local address: {e}"), true))?;
    match tls {
        None => Ok((Stream::Tcp(tcp), local)),
        Some(setup) => {
            let stream = setup
                .connector
                .connect(setup.name.clone(), tcp)
                .await
                .map_err(|e| {
                    (
                        format!(
                            "TLS with {remote}: {}",
                            voicelamp_tls::explain_io(&setup.name.to_str(), &e)
                        ),
                        true,
                    )
                })?;
            Ok((Stream::Tls(Box::new(stream)), local))
        }
    }
}

/// A TCP socket bound to `local_port` of the unspecified address of `remote`'s family.
fn bound_socket(remote: SocketAddr, local_port: u16) -> Result<TcpSocket, String> {
    let (socket, any) = if remote.is_ipv6() {
        (TcpSocket::new_v6(), IpAddr::V6(Ipv6Addr::UNSPECIFIED))
    } else {
        (TcpSocket::new_v4(), IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    };
    let local = SocketAddr::new(any, local_port);
    let what = |e: std::io::Error| format!("cannot bind TCP {local}: {e}");
    let socket = socket.map_err(what)?;
    socket.set_reuseaddr(true).map_err(what)?;
    socket.bind(local).map_err(what)?;
    Ok(socket)
}

/// Reads and writes until the connection ends; returns why it ended.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    id: ConnId,
    remote: SocketAddr,
    local: SocketAddr,
    stream: S,
    internal: &mpsc::UnboundedSender<Internal>,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
) -> String {
    if internal
        .send(Internal::Connected { conn: id, local })
        .is_err()
    {
        return "driver stopped".into();
    }
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 16384];
    // CR/LF bytes seen in a row between messages: four make a ping (RFC 5626 §4.4.1).
    let mut crlf_run = 0usize;
    // When the answer to our oldest unanswered ping is overdue.
    let mut pong_due: Option<tokio::time::Instant> = None;
    loop {
        let overdue = async {
            match pong_due {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = overdue => {
                return format!(
                    "{remote} did not answer a keepalive within {} s (the connection is silent)",
                    PONG_TIMEOUT.as_secs()
                );
            }
            read = reader.read(&mut chunk) => {
                let n = match read {
                    Ok(0) => return format!("{remote} closed the connection"),
                    Ok(n) => n,
                    Err(e) => return format!("reading from {remote} failed: {e}"),
                };
                pong_due = None;
                buf.extend_from_slice(&chunk[..n]);
                loop {
                    match next_frame(&buf) {
                        Frame::Incomplete => break,
                        Frame::Invalid => return format!("{remote} sent a stream that cannot be framed"),
                        Frame::Keepalive(n) => {
                            buf.drain(..n);
                            crlf_run += n;
                            if crlf_run >= 4 {
                                crlf_run = 0;
                                if let Err(e) = writer.write_all(b"\r\n").await {
                                    return format!("writing to {remote} failed: {e}");
                                }
                            }
                        }
                        Frame::Message(n) => {
                            crlf_run = 0;
                            let bytes: Vec<u8> = buf.drain(..n).collect();
                            if internal.send(Internal::Received { conn: id, from: remote, bytes }).is_err() {
                                return "driver stopped".into();
                            }
                        }
                    }
                }
            }
            message = outgoing.recv() => match message {
                Some(bytes) => {
                    if bytes == PING && pong_due.is_none() {
                        pong_due = Some(tokio::time::Instant::now() + PONG_TIMEOUT);
                    }
                    if let Err(e) = writer.write_all(&bytes).await {
                        return format!("writing to {remote} failed: {e}");
                    }
                }
                None => {
                    let _ = writer.shutdown().await;
                    return "closed by us".into();
                }
            },
        }
    }
}

/// Why a TCP connection to `remote` could not be made, in words that say what to check (the
/// system's error number left out).
fn connect_failure(remote: SocketAddr, error: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let why = match error.kind() {
        K::ConnectionRefused => "nothing accepts connections on that port (refused); check the \
                                 server's address and port, and that the server is running"
            .to_owned(),
        K::TimedOut => "no answer (timed out); check the address, and that no firewall drops \
                        the connection"
            .to_owned(),
        K::HostUnreachable | K::NetworkUnreachable => {
            "this computer has no route to it; check the network connection".to_owned()
        }
        K::AddrNotAvailable => {
            "this computer has no address to connect from; check the network connection".to_owned()
        }
        _ => {
            let text = error.to_string();
            match text.rfind(" (os error ") {
                Some(at) if text.ends_with(')') => text[..at].to_owned(),
                _ => text,
            }
        }
    };
    format!("cannot connect to {remote}: {why}")
}

#[cfg(test)]
mod connect_tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_is_said_in_words() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let remote = listener.local_addr().expect("address");
        drop(listener);
        let Err((why, _)) = connect(remote, 0, None).await else {
            panic!("connected to a closed port");
        };
        assert_eq!(
            why,
            format!(
                "cannot connect to {remote}: nothing accepts connections on that port (refused); \
                 check the server's address and port, and that the server is running"
            )
        );
        let other = std::io::Error::from_raw_os_error(1);
        let words = connect_failure(remote, &other);
        assert!(!words.contains("os error"), "{words}");
    }
}

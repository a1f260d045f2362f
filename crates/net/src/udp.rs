//! UDP sockets: binding (IPv6 sockets are IPv6-only, so both families can share a port number),
//! the local address towards a peer, and one reader task per socket.

use crate::driver::{Internal, UdpKey};
use crate::error::NetError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 65_535;
/// Receive buffer requested for every UDP socket.
const RECV_BUFFER: usize = 2 << 20;
/// Most datagrams of all UDP sockets waiting for the driver (at most 64 MiB of 64 KiB
/// datagrams; a NOTIFY is under 1 KiB). A flood beyond it is dropped and counted, as the kernel
/// drops what overflows a socket's buffer.
pub(crate) const MAX_QUEUED_DATAGRAMS: usize = 1024;

/// Binds a non-blocking UDP socket.
pub(crate) fn bind(addr: SocketAddr) -> Result<UdpSocket, NetError> {
    let what = || format!("cannot bind UDP {addr}");
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))
        .map_err(|e| NetError::io(what(), e))?;
    if addr.is_ipv6() {
        socket
            .set_only_v6(true)
            .map_err(|e| NetError::io(what(), e))?;
    }
    socket
        .set_nonblocking(true)
        .map_err(|e| NetError::io(what(), e))?;
    // Room for a burst of NOTIFYs (hundreds of mailboxes answering at once) while the driver
    // is busy; the kernel caps it at net.core.rmem_max, and a smaller buffer still works.
    let _ = socket.set_recv_buffer_size(RECV_BUFFER);
    socket
        .bind(&addr.into())
        .map_err(|e| NetError::io(what(), e))?;
    UdpSocket::from_std(socket.into()).map_err(|e| NetError::io(what(), e))
}

/// The local IP address the host would send from to reach `remote` (no packet is sent);
/// `None` when there is no route.
pub(crate) fn local_ip_towards(remote: SocketAddr) -> Option<IpAddr> {
    let any: SocketAddr = if remote.is_ipv6() {
        "[::]:0".parse().ok()?
    } else {
        "0.0.0.0:0".parse().ok()?
    };
    let probe = std::net::UdpSocket::bind(any).ok()?;
    probe.connect(remote).ok()?;
    let ip = probe.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// How long a UDP probe waits for "port unreachable" after its datagram.
const PROBE_WINDOW: Duration = Duration::from_millis(500);
/// How often a UDP server that answered the last probe is probed again.
pub(crate) const PROBE_WHILE_UP: Duration = Duration::from_secs(10);

/// Probes `remote` until the driver stops: a 4-byte CRLFCRLF datagram from a socket of its own,
/// connected to the server, so that the kernel reports the server's ICMP "port unreachable"
/// (the server is down or restarting) as a refused receive. Two refusals in a row (one may be a
/// server still starting) are reported as refused, the first probe without one as open. Every
/// `interval` after a refusal, every [`PROBE_WHILE_UP`] otherwise. A server that cannot be
/// reached at all (no ICMP comes back) is never reported refused: its accounts keep their SIP
/// timeouts and backoff.
pub(crate) async fn probe(
    remote: SocketAddr,
    interval: Duration,
    internal: mpsc::UnboundedSender<Internal>,
) {
    let any: SocketAddr = if remote.is_ipv6() {
        SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 0)
    } else {
        SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0)
    };
    let socket = match UdpSocket::bind(any).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(%remote, error = %e, "no UDP probe socket");
            return;
        }
    };
    if let Err(e) = socket.connect(remote).await {
        tracing::debug!(%remote, error = %e, "UDP probe cannot connect");
        return;
    }
    let refused_kind = |e: &std::io::Error| e.kind() == std::io::ErrorKind::ConnectionRefused;
    let mut buf = [0u8; 512];
    let mut refusals = 0u32;
    loop {
        let sent_at = tokio::time::Instant::now();
        let refused = match socket.send(voicelamp_sip::keepalive::PING).await {
            Err(e) => refused_kind(&e),
            Ok(_) => matches!(
                tokio::time::timeout(PROBE_WINDOW, socket.recv(&mut buf)).await,
                Ok(Err(e)) if refused_kind(&e)
            ),
        };
        refusals = if refused {
            refusals.saturating_add(1)
        } else {
            0
        };
        let report = Internal::UdpProbe {
            remote,
            refused: refusals >= 2,
        };
        if internal.send(report).is_err() {
            return;
        }
        let next = if refused { interval } else { PROBE_WHILE_UP };
        tokio::time::sleep_until(sent_at + next.max(PROBE_WINDOW)).await;
    }
}

/// Forwards every datagram to the driver until the driver stops; when the driver's queue is full
/// the datagram is dropped and counted in `dropped` (a warning at the first drop and at every
/// thousandth).
pub(crate) async fn read_loop(
    socket: Arc<UdpSocket>,
    key: UdpKey,
    internal: mpsc::Sender<Internal>,
    dropped: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, from)) => {
                let message = Internal::Datagram {
                    socket: key,
                    from,
                    bytes: buf[..n].to_vec(),
                };
                match internal.try_send(message) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        let count = dropped.fetch_add(1, Ordering::Relaxed) + 1;
                        if count == 1 || count.is_multiple_of(1000) {
                            tracing::warn!(
                                %from,
                                dropped = count,
                                "UDP input arrives faster than it is handled: datagrams dropped"
                            );
                        }
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => return,
                }
            }
            // ICMP errors (port unreachable) surface here on some systems: keep reading.
            Err(e) => tracing::debug!(error = %e, "UDP receive error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flood while the driver does not read: the queue holds at most its bound, the rest is
    /// dropped and counted.
    #[tokio::test]
    async fn a_flood_queues_at_most_the_bound() {
        let socket = Arc::new(bind("127.0.0.1:0".parse().expect("addr")).expect("bind"));
        let to = socket.local_addr().expect("local");
        let (tx, rx) = mpsc::channel(MAX_QUEUED_DATAGRAMS);
        let dropped = Arc::new(AtomicU64::new(0));
        let reader = tokio::spawn(read_loop(socket, (false, 0), tx, dropped.clone()));
        let handled = || rx.len() + usize::try_from(dropped.load(Ordering::Relaxed)).unwrap_or(0);
        let flood = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind flood");
        let total = 3 * MAX_QUEUED_DATAGRAMS;
        let mut sent = 0;
        while sent < total {
            // In batches that fit the kernel's buffer, each waited for until the reader took it.
            for _ in 0..64 {
                flood.send_to(b"OPTIONS", to).expect("send");
                sent += 1;
            }
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while handled() < sent {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the reader took {} of {sent}",
                    handled()
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        assert!(
            rx.len() <= MAX_QUEUED_DATAGRAMS,
            "{} datagrams queued for a driver that does not read (bound {MAX_QUEUED_DATAGRAMS})",
            rx.len()
        );
        assert_eq!(rx.len(), MAX_QUEUED_DATAGRAMS);
        assert_eq!(
            dropped.load(Ordering::Relaxed),
            u64::try_from(total - MAX_QUEUED_DATAGRAMS).expect("small")
        );
        reader.abort();
    }
}

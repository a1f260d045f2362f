//! UDP sockets: binding (IPv6 sockets are IPv6-only, so both families can share a port number),
//! the local address towards a peer, and one reader task per socket.

use crate::driver::{Internal, UdpKey};
use crate::error::NetError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 65_535;
/// Receive buffer requested for every UDP socket.
const RECV_BUFFER: usize = 2 << 20;

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

/// Forwards every datagram to the driver until the driver stops.
pub(crate) async fn read_loop(
    socket: Arc<UdpSocket>,
    key: UdpKey,
    internal: mpsc::UnboundedSender<Internal>,
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
                if internal.send(message).is_err() {
                    return;
                }
            }
            // ICMP errors (port unreachable) surface here on some systems: keep reading.
            Err(e) => tracing::debug!(error = %e, "UDP receive error"),
        }
    }
}

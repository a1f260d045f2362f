//! A call's RTP and RTCP sockets: an even port and the odd one above it (RFC 3550 §11), on the
//! address our SIP flow leaves from, so the far end sees one address for signaling and media.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use tokio::net::UdpSocket;

/// Attempts at finding a free even/odd pair before giving up.
const PAIR_ATTEMPTS: u32 = 32;

/// The RTP socket (even port) and the RTCP socket (the next port).
#[derive(Debug)]
pub(crate) struct MediaSockets {
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
}

impl MediaSockets {
    /// Binds a pair on `ip` (an unspecified address is first made concrete by asking the
    /// routing table for the way to `towards`). Must run inside a tokio runtime.
    pub fn bind(ip: IpAddr, towards: Option<SocketAddr>) -> io::Result<Self> {
        let ip = concrete(ip, towards)?;
        let mut last = None;
        for _ in 0..PAIR_ATTEMPTS {
            let rtp = StdUdpSocket::bind(SocketAddr::new(ip, 0))?;
            let port = rtp.local_addr()?.port();
            if port % 2 != 0 || port == u16::MAX {
                continue;
            }
            match StdUdpSocket::bind(SocketAddr::new(ip, port + 1)) {
                Ok(rtcp) => {
                    rtp.set_nonblocking(true)?;
                    rtcp.set_nonblocking(true)?;
                    return Ok(Self {
                        rtp: UdpSocket::from_std(rtp)?,
                        rtcp: UdpSocket::from_std(rtcp)?,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::AddrInUse,
                "no free pair of ports for the call's audio",
            )
        }))
    }

    /// The RTP socket's address (what our SDP names).
    pub fn local_rtp(&self) -> io::Result<SocketAddr> {
        self.rtp.local_addr()
    }
}

/// `ip`, or when it is unspecified (a UDP socket bound to every address), the address the
/// system would send to `towards` from.
fn concrete(ip: IpAddr, towards: Option<SocketAddr>) -> io::Result<IpAddr> {
    if !ip.is_unspecified() {
        return Ok(ip);
    }
    let Some(remote) = towards else {
        return Ok(if ip.is_ipv4() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
        });
    };
    let probe = StdUdpSocket::bind(SocketAddr::new(ip, 0))?;
    probe.connect(remote)?;
    Ok(probe.local_addr()?.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rtp_is_even_and_rtcp_the_next_port_on_the_flows_address() {
        let sockets = MediaSockets::bind(IpAddr::from([127, 0, 0, 1]), None).expect("bound");
        let rtp = sockets.local_rtp().expect("rtp");
        let rtcp = sockets.rtcp.local_addr().expect("rtcp");
        assert_eq!(rtp.port() % 2, 0);
        assert_eq!(rtcp.port(), rtp.port() + 1);
        assert_eq!(rtp.ip(), IpAddr::from([127, 0, 0, 1]));
    }

    #[tokio::test]
    async fn an_unspecified_address_becomes_the_one_towards_the_server() {
        let server = StdUdpSocket::bind("127.0.0.1:0").expect("server");
        let sockets = MediaSockets::bind(
            IpAddr::from([0, 0, 0, 0]),
            Some(server.local_addr().expect("addr")),
        )
        .expect("bound");
        assert_eq!(
            sockets.local_rtp().expect("rtp").ip(),
            IpAddr::from([127, 0, 0, 1])
        );
    }
}

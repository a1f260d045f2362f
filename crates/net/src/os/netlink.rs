//! rtnetlink (a `NETLINK_ROUTE` socket subscribed to link, address and route changes): any change
//! is forwarded to the driver, which debounces and checks its flows; whether a default route of
//! the main table changed is read from the message itself.

use crate::driver::Internal;
use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, bind, recv, socket,
};
use std::os::fd::{AsRawFd, OwnedFd};
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;

const RTMGRP_LINK: u32 = 0x1;
const RTMGRP_IPV4_IFADDR: u32 = 0x10;
const RTMGRP_IPV4_ROUTE: u32 = 0x40;
const RTMGRP_IPV6_IFADDR: u32 = 0x100;
const RTMGRP_IPV6_ROUTE: u32 = 0x400;
const RTM_NEWROUTE: u16 = 24;
const RTM_DELROUTE: u16 = 25;
const RT_TABLE_MAIN: u8 = 254;
/// Longest run of messages handled without yielding (a flood cannot hold the watcher).
const MAX_BATCH: usize = 64;

fn open() -> nix::Result<OwnedFd> {
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkRoute,
    )?;
    let groups = RTMGRP_LINK
        | RTMGRP_IPV4_IFADDR
        | RTMGRP_IPV4_ROUTE
        | RTMGRP_IPV6_IFADDR
        | RTMGRP_IPV6_ROUTE;
    bind(fd.as_raw_fd(), &NetlinkAddr::new(0, groups))?;
    Ok(fd)
}

/// The socket, registered with tokio. The `AsyncFd` owns the `OwnedFd`, so nothing else can
/// close the descriptor while it is registered (the I/O-safety concern behind the deprecation).
#[allow(deprecated)]
fn register(fd: OwnedFd) -> std::io::Result<AsyncFd<OwnedFd>> {
    AsyncFd::new(fd)
}

pub(super) async fn watch(internal: mpsc::UnboundedSender<Internal>) {
    let fd = match open().map_err(std::io::Error::from).and_then(register) {
        Ok(fd) => fd,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch network changes (netlink)");
            return;
        }
    };
    tracing::debug!("watching network changes (netlink)");
    let _ = internal.send(Internal::OsWatching("netlink"));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let Ok(mut guard) = fd.readable().await else {
            return;
        };
        let mut default_route = false;
        let mut any = false;
        for _ in 0..MAX_BATCH {
            match recv(fd.get_ref().as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
                Ok(n) => {
                    any = true;
                    default_route |= touches_default_route(&buf[..n]);
                }
                // ENOBUFS: the kernel dropped messages; something changed all the same.
                Err(nix::Error::ENOBUFS) => any = true,
                Err(nix::Error::EAGAIN) => {
                    guard.clear_ready();
                    break;
                }
                Err(nix::Error::EINTR) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "netlink failed: network changes are not watched");
                    return;
                }
            }
        }
        if any
            && internal
                .send(Internal::NetworkChanged { default_route })
                .is_err()
        {
            return;
        }
    }
}

/// Whether a datagram of netlink messages adds, removes or changes a default route (destination
/// length 0) of the main table.
pub(crate) fn touches_default_route(mut bytes: &[u8]) -> bool {
    let mut found = false;
    // Each message: nlmsghdr (len u32, type u16, flags u16, seq u32, pid u32), then the payload;
    // a route's payload starts with rtmsg (family, dst_len, src_len, tos, table, ...).
    for _ in 0..1024 {
        if bytes.len() < 16 {
            break;
        }
        let len = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let kind = u16::from_ne_bytes([bytes[4], bytes[5]]);
        if len < 16 || len > bytes.len() {
            break;
        }
        let payload = &bytes[16..len];
        if (kind == RTM_NEWROUTE || kind == RTM_DELROUTE)
            && payload.len() >= 12
            && payload[1] == 0
            && payload[4] == RT_TABLE_MAIN
        {
            found = true;
        }
        // Messages are aligned to 4 bytes.
        let next = len.div_ceil(4) * 4;
        bytes = bytes.get(next..).unwrap_or(&[]);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u16, payload: &[u8]) -> Vec<u8> {
        let len = 16 + payload.len();
        let mut out = Vec::new();
        out.extend_from_slice(&u32::try_from(len).unwrap().to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(&[0; 10]);
        out.extend_from_slice(payload);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    fn rtmsg(dst_len: u8, table: u8) -> Vec<u8> {
        vec![2, dst_len, 0, 0, table, 4, 0, 1, 0, 0, 0, 0]
    }

    #[test]
    fn default_routes_of_the_main_table_are_found() {
        assert!(touches_default_route(&message(
            RTM_NEWROUTE,
            &rtmsg(0, 254)
        )));
        assert!(touches_default_route(&message(
            RTM_DELROUTE,
            &rtmsg(0, 254)
        )));
        // A subnet route, a route of the local table, an address message: no.
        assert!(!touches_default_route(&message(
            RTM_NEWROUTE,
            &rtmsg(24, 254)
        )));
        assert!(!touches_default_route(&message(
            RTM_NEWROUTE,
            &rtmsg(0, 255)
        )));
        assert!(!touches_default_route(&message(20, &rtmsg(0, 254))));
        // Several messages in one datagram, the default route last.
        let mut both = message(RTM_NEWROUTE, &rtmsg(32, 255));
        both.extend(message(
            RTM_NEWROUTE,
            &[2, 0, 0, 0, 254, 4, 0, 1, 0, 0, 0, 0, 9],
        ));
        assert!(touches_default_route(&both));
    }

    #[test]
    fn garbage_is_no_default_route_and_no_panic() {
        assert!(!touches_default_route(&[]));
        assert!(!touches_default_route(&[0xff; 15]));
        assert!(!touches_default_route(&[0xff; 64]));
        let mut short = message(RTM_NEWROUTE, &rtmsg(0, 254));
        short.truncate(20);
        assert!(!touches_default_route(&short));
        let mut zero = vec![0u8; 32];
        zero[0] = 0;
        assert!(!touches_default_route(&zero));
    }
}

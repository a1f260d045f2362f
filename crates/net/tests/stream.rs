//! The stream side of the driver against a scripted loopback server (no lab needed): CRLFCRLF
//! pings are answered with CRLF, and a closed connection is re-opened with the REGISTER sent
//! again on the new one.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use voicelamp_net::voicelamp_sip::auth::Credentials;
use voicelamp_net::{AccountSpec, NetConfig, NetEvent, TransportState, spawn};

const WITHIN: Duration = Duration::from_secs(10);

/// Reads until `needle` has arrived; returns everything read.
async fn read_until(stream: &mut TcpStream, needle: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    timeout(WITHIN, async {
        while !buf.windows(needle.len()).any(|w| w == needle) {
            let n = stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "closed before {:?}", String::from_utf8_lossy(needle));
            buf.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {:?} within {WITHIN:?}", String::from_utf8_lossy(needle)));
    buf
}

async fn accept(listener: &TcpListener) -> TcpStream {
    timeout(WITHIN, listener.accept())
        .await
        .expect("the driver connects")
        .expect("accept")
        .0
}

#[tokio::test]
async fn pings_are_answered_and_closed_connections_reopened() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let spec = AccountSpec::new(
        "sip:alice@127.0.0.1",
        &format!("sip:127.0.0.1:{port};transport=tcp"),
        Some(Credentials {
            username: "alice".into(),
            password: "secret".into(),
        }),
    );
    let mut net = spawn(NetConfig::default());
    net.handle.add_account(spec).expect("driver runs");

    let mut first = accept(&listener).await;
    read_until(&mut first, b"REGISTER sip:127.0.0.1").await;
    first.write_all(b"\r\n\r\n").await.expect("ping");
    let pong = read_until(&mut first, b"\r\n").await;
    assert_eq!(pong, b"\r\n", "a CRLF pong, nothing else");

    drop(first);
    let mut second = accept(&listener).await;
    read_until(&mut second, b"REGISTER sip:127.0.0.1").await;

    let mut saw_down = false;
    let mut ups = 0;
    while let Ok(Some(event)) = timeout(Duration::from_millis(200), net.events.recv()).await {
        match event {
            NetEvent::Transport {
                state: TransportState::Down { .. },
                ..
            } => saw_down = true,
            NetEvent::Transport {
                state: TransportState::Up { .. },
                ..
            } => ups += 1,
            _ => {}
        }
    }
    assert!(saw_down, "the closed connection was reported");
    assert_eq!(ups, 2, "up, down, up again");
    // The server never answers: shutdown is bounded.
    timeout(Duration::from_secs(5), net.handle.shutdown())
        .await
        .expect("shutdown is bounded")
        .expect("shutdown");
}

#[tokio::test]
async fn tcp_connects_from_the_configured_local_port() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let local_port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a probe");
        probe.local_addr().expect("addr").port()
    };
    let mut spec = AccountSpec::new(
        "sip:alice@127.0.0.1",
        &format!("sip:127.0.0.1:{port};transport=tcp"),
        None,
    );
    spec.local_port = local_port;
    let net = spawn(NetConfig::default());
    net.handle.add_account(spec).expect("driver runs");
    let mut conn = accept(&listener).await;
    assert_eq!(conn.peer_addr().expect("peer").port(), local_port);
    let register = read_until(&mut conn, b"\r\n\r\n").await;
    let register = String::from_utf8_lossy(&register);
    assert!(
        register.contains(&format!(
            "Contact: <sip:alice@127.0.0.1:{local_port};transport=tcp>"
        )),
        "{register}"
    );
    timeout(Duration::from_secs(5), net.handle.shutdown())
        .await
        .expect("shutdown is bounded")
        .expect("shutdown");
}

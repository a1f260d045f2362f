//! A TCP server that goes silent (the connection stays open, nothing comes back: a server lost
//! behind a NAT or a dead link) is noticed by the keepalive's missing pong (RFC 5626 §4.4.1),
//! reported down in words, and reconnected. The lab's Kamailio sits behind a loopback proxy the
//! test controls: `silence()` makes every open connection swallow everything, new connections
//! pass again.

mod common;

use common::{Lab, SECS, registered, wait_for, watch_until};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use voicelamp_net::voicelamp_sip::{Event, Transport};
use voicelamp_net::{NetConfig, NetEvent, TransportState, spawn};

/// A TCP proxy on loopback in front of `upstream`.
struct Proxy {
    port: u16,
    /// Connections accepted before this generation are silent.
    generation: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: std::net::SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let generation = Arc::new(AtomicU64::new(0));
        let current = generation.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let born = current.load(Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::spawn(pump(cr, sw, current.clone(), born));
                tokio::spawn(pump(sr, cw, current.clone(), born));
            }
        });
        Self {
            port,
            generation,
            task,
        }
    }

    /// Every open connection goes silent for good (bytes are read and dropped, nothing is
    /// closed); later connections work.
    fn silence(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    generation: Arc<AtomicU64>,
    born: u64,
) {
    let mut buf = vec![0u8; 16384];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if generation.load(Ordering::SeqCst) != born {
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_silent_tcp_server_is_noticed_by_the_missing_pong_and_reconnected() {
    let lab = Lab::get();
    let upstream = format!("{}:{}", lab.host, lab.tcp_port)
        .parse()
        .expect("lab address");
    let proxy = Proxy::start(upstream).await;
    let user = "1011";
    let mut spec = lab.account(user, Transport::Tcp);
    spec.registrar = format!("sip:{}:{};transport=tcp", lab.host, proxy.port);
    let mut config = NetConfig::default();
    // A ping every second, so that the test does not wait two minutes for the first one.
    config.ua.stream_keepalive = Some(Duration::from_secs(1));
    let mut net = spawn(config);
    net.handle.add_account(spec).expect("driver runs");
    wait_for(&mut net, SECS(10), "registration", registered).await;
    let mailbox = lab.aor(user);
    wait_for(&mut net, SECS(10), "first NOTIFY", |e| match e {
        NetEvent::Sip(Event::Mailbox { mailbox_uri, .. }) if *mailbox_uri == mailbox => Some(()),
        _ => None,
    })
    .await;

    // Kamailio answers the pings: no connection is declared lost while it does.
    let quiet_until = tokio::time::Instant::now() + SECS(12);
    watch_until(&mut net, quiet_until, |e| {
        matches!(
            e,
            NetEvent::Transport {
                state: TransportState::Down { .. },
                ..
            }
        )
    })
    .await;

    let silenced = Instant::now();
    proxy.silence();
    // One ping interval plus the 10 s pong timeout, with room for a loaded machine.
    let why = wait_for(
        &mut net,
        SECS(16),
        "the connection reported down",
        |e| match e {
            NetEvent::Transport {
                state: TransportState::Down { why, .. },
                ..
            } => Some(why.clone()),
            _ => None,
        },
    )
    .await;
    let noticed = silenced.elapsed();
    eprintln!("silent server noticed after {noticed:?}: {why}");
    assert!(
        why.contains("keepalive") && !why.contains('{') && !why.contains("Some("),
        "the reason is not words about the keepalive: {why}"
    );
    assert!(
        noticed >= Duration::from_secs(10),
        "reported down before the pong timeout: {noticed:?}"
    );

    // Reconnected through a fresh connection: registered and subscribed again.
    wait_for(
        &mut net,
        SECS(10),
        "registration after the reconnect",
        |e| match e {
            NetEvent::Sip(Event::Registration {
                state: voicelamp_net::voicelamp_sip::RegistrationStatus::Registered { .. },
                ..
            }) => Some(()),
            _ => None,
        },
    )
    .await;
    // The subscription may have expired at the server during the silence (the lab grants 10 s):
    // a path that was lost and is up again starts every subscription anew at once.
    wait_for(
        &mut net,
        SECS(10),
        "NOTIFY after the reconnect",
        |e| match e {
            NetEvent::Sip(Event::Mailbox { mailbox_uri, .. }) if *mailbox_uri == mailbox => {
                Some(())
            }
            _ => None,
        },
    )
    .await;
    eprintln!(
        "active again {:?} after the silence began",
        silenced.elapsed()
    );
    net.handle.shutdown().await.expect("shutdown");
}

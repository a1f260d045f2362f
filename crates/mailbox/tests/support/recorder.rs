//! A TCP relay between the store and the lab's Dovecot that records what the client sends, so a
//! test can check which IMAP commands went out (e.g. that no body was fetched).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running relay; it stops when dropped.
pub struct Recorder {
    /// Where the client connects.
    pub port: u16,
    sent: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Recorder {
    /// Relays connections on a loopback port of its own to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let port = listener.local_addr().expect("relay address").port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = sent.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(relay(client, upstream, record));
            }
        });
        Recorder { port, sent, task }
    }

    /// The client's command lines so far, tags removed (`UID FETCH 3 (UID BODYSTRUCTURE)`).
    pub fn commands(&self) -> Vec<String> {
        let sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&sent)
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(_, rest)| rest.trim().to_owned()))
            .collect()
    }

    /// Forgets what was recorded.
    pub fn clear(&self) {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(mut client: TcpStream, upstream: SocketAddr, record: Arc<Mutex<Vec<u8>>>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_rx, mut client_tx) = client.split();
    let (mut server_rx, mut server_tx) = server.split();
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            record
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(&buf[..n]);
            if server_tx.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_tx.shutdown().await;
    };
    let down = async {
        let _ = tokio::io::copy(&mut server_rx, &mut client_tx).await;
        let _ = client_tx.shutdown().await;
    };
    tokio::join!(up, down);
}

//! The window's side of the tray process's socket: calls with their answers matched by id, and the
//! events the tray process sends. When the tray process goes away, the event stream ends (and the
//! window with it) and calls still waiting fail in words.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::AsyncWriteExt as _;
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};

use crate::protocol::{self, Call, FromHost, HostEvent, Reply, ToHost};

type Waiting = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Reply, String>>>>>;

const GONE: &str = "Voicelamp's tray process is not running";

/// A connected window.
#[derive(Debug, Clone)]
pub struct HostClient {
    out: mpsc::UnboundedSender<ToHost>,
    waiting: Waiting,
    next: Arc<AtomicU64>,
}

impl HostClient {
    /// Connects to the tray process at `socket` as its window; the events it sends follow on
    /// the receiver, which ends when the tray process goes away.
    pub async fn connect(
        socket: &Path,
    ) -> std::io::Result<(HostClient, mpsc::UnboundedReceiver<HostEvent>)> {
        let stream = UnixStream::connect(socket).await?;
        let (read, mut write) = stream.into_split();
        let (out, mut outgoing) = mpsc::unbounded_channel::<ToHost>();
        let (events, received) = mpsc::unbounded_channel();
        let waiting: Waiting = Arc::default();
        tokio::spawn(async move {
            while let Some(message) = outgoing.recv().await {
                if write.write_all(&protocol::encode(&message)).await.is_err() {
                    break;
                }
            }
        });
        let answers = waiting.clone();
        tokio::spawn(async move {
            let mut read = tokio::io::BufReader::new(read);
            loop {
                match protocol::read::<FromHost, _>(&mut read).await {
                    Ok(Some(FromHost::Reply { id, result })) => {
                        let waiter = answers
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .remove(&id);
                        if let Some(waiter) = waiter {
                            let _ = waiter.send(result);
                        }
                    }
                    Ok(Some(FromHost::Event { event })) => {
                        if events.send(event).is_err() {
                            break;
                        }
                    }
                    Ok(Some(FromHost::Launched)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "the tray process sent what cannot be read");
                        break;
                    }
                }
            }
            // Calls still waiting fail (their senders drop).
            answers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        });
        let client = HostClient {
            out,
            waiting,
            next: Arc::new(AtomicU64::new(1)),
        };
        client
            .out
            .send(ToHost::Window)
            .map_err(|_| std::io::Error::other(GONE))?;
        Ok((client, received))
    }

    /// Asks the tray process; its answer or why not, in words.
    pub async fn call(&self, call: Call) -> Result<Reply, String> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, reply);
        if self
            .out
            .send(ToHost::Call {
                id,
                call: Box::new(call),
            })
            .is_err()
        {
            self.waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
            return Err(GONE.to_owned());
        }
        answer.await.unwrap_or_else(|_| Err(GONE.to_owned()))
    }
}

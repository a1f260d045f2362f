//! The window's side of the tray process's socket: calls with their answers matched by id, and the
//! events the tray process sends. When the tray process goes away, the event stream ends (and the
//! window with it) and calls still waiting fail in words.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Set when the tray process went away: later calls fail at once instead of waiting.
    closed: Arc<AtomicBool>,
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
        let closed = Arc::new(AtomicBool::new(false));
        let ended = closed.clone();
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
                        // Nobody listening to events any more is no reason to stop answering
                        // calls: the event is dropped.
                        let _ = events.send(event);
                    }
                    Ok(Some(FromHost::Launched)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "the tray process sent what cannot be read");
                        break;
                    }
                }
            }
            // Calls still waiting fail (their senders drop), and later ones at once.
            ended.store(true, Ordering::SeqCst);
            answers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        });
        let client = HostClient {
            out,
            waiting,
            next: Arc::new(AtomicU64::new(1)),
            closed,
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
        if self.closed.load(Ordering::SeqCst)
            || self
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::navigation::{Navigation, ViewId};
    use tokio::io::BufReader;
    use tokio::net::UnixListener;

    /// A tray process that answers every call with `Done`, sending an event before each answer,
    /// and hangs up after `calls` calls.
    async fn tray(listener: UnixListener, calls: usize) {
        let (stream, _) = listener.accept().await.expect("accept");
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        let mut answered = 0;
        while answered < calls {
            match protocol::read::<ToHost, _>(&mut read).await {
                Ok(Some(ToHost::Call { id, .. })) => {
                    let event = FromHost::Event {
                        event: HostEvent::Navigate(Navigation::view(ViewId::Lines)),
                    };
                    let reply = FromHost::Reply {
                        id,
                        result: Ok(Reply::Done),
                    };
                    write
                        .write_all(&protocol::encode(&event))
                        .await
                        .expect("event");
                    write
                        .write_all(&protocol::encode(&reply))
                        .await
                        .expect("reply");
                    answered += 1;
                }
                Ok(Some(_)) => {}
                _ => return,
            }
        }
    }

    #[tokio::test]
    async fn calls_are_answered_without_an_event_listener_and_fail_once_the_tray_is_gone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("host.sock");
        let listener = UnixListener::bind(&socket).expect("bind");
        let tray = tokio::spawn(tray(listener, 2));
        let (client, events) = HostClient::connect(&socket).await.expect("connect");
        drop(events);
        let within = std::time::Duration::from_secs(10);
        for _ in 0..2 {
            let answer = tokio::time::timeout(within, client.call(Call::AppInfo))
                .await
                .expect("a call is answered although nobody listens to events");
            assert!(matches!(answer, Ok(Reply::Done)), "{answer:?}");
        }
        tray.await.expect("tray");
        let gone = tokio::time::timeout(within, async {
            loop {
                if let Err(e) = client.call(Call::AppInfo).await {
                    return e;
                }
            }
        })
        .await
        .expect("a call after the tray went away fails instead of waiting");
        assert_eq!(gone, GONE);
    }
}

//! The watch against a scripted IMAP server on loopback, in simulated time (the clock jumps to the
//! next timer whenever both sides wait): how often it connects to a server that keeps dropping it,
//! that it stops on a refused password, and that IDLE is refreshed and a silent server noticed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;
use voicelamp_mailbox::{ImapAccount, ImapStore, ImapTiming, MailboxChange, Security};

/// What the scripted server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Answers login, SELECT and the flag fetch, then hangs up.
    DropAfterSnapshot,
    /// Refuses every login.
    WrongPassword,
    /// Idles, sending `* OK Still here` every 2 minutes (as Dovecot does), and answers DONE.
    IdleWithKeepalives,
    /// Idles, then never says anything again (a server lost without a FIN or RST).
    SilentInIdle,
}

/// What the server saw.
#[derive(Debug)]
enum Seen {
    /// `DONE` after this long in IDLE.
    Done(Duration),
}

struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
    seen: mpsc::UnboundedReceiver<Seen>,
}

fn serve(script: Script) -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let listener = TcpListener::from_std(listener).unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let (tx, seen) = mpsc::unbounded_channel();
    let count = connections.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(session(socket, script, tx.clone()));
        }
    });
    Server {
        port,
        connections,
        seen,
    }
}

async fn session(socket: tokio::net::TcpStream, script: Script, seen: mpsc::UnboundedSender<Seen>) {
    let (r, mut w) = socket.into_split();
    // `next_line` is cancel-safe: a keepalive sent while a line is half read loses nothing.
    let mut r = BufReader::new(r).lines();
    let say = async |w: &mut tokio::net::tcp::OwnedWriteHalf, text: String| {
        w.write_all(text.as_bytes()).await.is_ok()
    };
    if !say(&mut w, "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n".into()).await {
        return;
    }
    loop {
        let Ok(Some(line)) = r.next_line().await else {
            return;
        };
        let mut words = line.split_whitespace();
        let tag = words.next().unwrap_or("*").to_owned();
        let command = words.next().unwrap_or("").to_ascii_uppercase();
        let command = if command == "UID" {
            format!("UID {}", words.next().unwrap_or("").to_ascii_uppercase())
        } else {
            command
        };
        let reply = match command.as_str() {
            "LOGIN" if script == Script::WrongPassword => {
                format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
            }
            "LOGIN" => format!("{tag} OK Logged in\r\n"),
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 IDLE\r\n{tag} OK done\r\n"),
            "SELECT" => format!(
                "* FLAGS (\\Seen \\Flagged)\r\n* 1 EXISTS\r\n* 0 RECENT\r\n\
                 * OK [UIDVALIDITY 7] UIDs valid\r\n* OK [UIDNEXT 2] next\r\n\
                 {tag} OK [READ-WRITE] Select completed\r\n"
            ),
            "UID FETCH" => {
                let reply = format!("* 1 FETCH (UID 1 FLAGS ())\r\n{tag} OK Fetch completed\r\n");
                if script == Script::DropAfterSnapshot {
                    say(&mut w, reply).await;
                    return;
                }
                reply
            }
            "NOOP" => format!("{tag} OK NOOP completed\r\n"),
            "LOGOUT" => format!("* BYE\r\n{tag} OK Logout completed\r\n"),
            "IDLE" => {
                if !say(&mut w, "+ idling\r\n".into()).await {
                    return;
                }
                let started = Instant::now();
                loop {
                    let keepalive = tokio::time::sleep(Duration::from_secs(120));
                    tokio::select! {
                        line = r.next_line() => {
                            if !matches!(line, Ok(Some(_))) {
                                return;
                            }
                            break;
                        }
                        () = keepalive, if script == Script::IdleWithKeepalives => {
                            if !say(&mut w, "* OK Still here\r\n".into()).await {
                                return;
                            }
                        }
                    }
                }
                let _ = seen.send(Seen::Done(started.elapsed()));
                if script == Script::SilentInIdle {
                    // Never answers again; reads until the client gives up.
                    while let Ok(Some(_)) = r.next_line().await {}
                    return;
                }
                format!("{tag} OK Idle completed\r\n")
            }
            _ => format!("{tag} BAD unknown command\r\n"),
        };
        if !say(&mut w, reply).await {
            return;
        }
    }
}

fn store(port: u16) -> ImapStore {
    let account = ImapAccount {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        user: "1001".into(),
        password: "pw".into(),
        ca_file: None,
        insecure_skip_verify: false,
    };
    ImapStore::with_timing(account, ImapTiming::default()).unwrap()
}

/// Follows INBOX, sending every change on (so that the watch never waits for its reader).
fn follow(store: &ImapStore) -> mpsc::UnboundedReceiver<(Duration, MailboxChange)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut changes = Box::pin(store.watch("INBOX"));
    let start = Instant::now();
    tokio::spawn(async move {
        while let Some(change) = changes.next().await {
            if tx.send((start.elapsed(), change)).is_err() {
                return;
            }
        }
    });
    rx
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(start_paused = true)]
async fn a_server_that_drops_every_session_after_the_snapshot_gets_few_connections_an_hour() {
    let server = serve(Script::DropAfterSnapshot);
    let store = store(server.port);
    let mut changes = follow(&store);
    tokio::time::sleep(HOUR).await;
    let connections = server.connections.load(Ordering::SeqCst);
    // Backoff 1 s doubling to 60 s (±20 %): 6 short waits, then at least 48 s each.
    println!("connections in one hour to a server that drops after the snapshot: {connections}");
    assert!(
        connections <= 6 + 3600 / 48,
        "{connections} connections in an hour: the backoff was reset by a session that did not stay up"
    );
    // Every session still said it was connected and then lost.
    let mut connected = 0;
    while let Ok((_, change)) = changes.try_recv() {
        connected += usize::from(matches!(change, MailboxChange::Connected { .. }));
    }
    assert!(connected >= 10, "{connected} sessions connected");
}

#[tokio::test(start_paused = true)]
async fn a_refused_password_is_tried_once_and_the_watch_stops_saying_why() {
    let server = serve(Script::WrongPassword);
    let store = store(server.port);
    let mut changes = follow(&store);
    let (_, first) = changes.recv().await.expect("the watch says why it stops");
    let MailboxChange::Stopped { reason } = first else {
        panic!("expected Stopped, got {first:?}");
    };
    assert!(
        reason.starts_with(
            "the mail server 127.0.0.1 refused the password for 1001 \
             ([AUTHENTICATIONFAILED] Authentication failed.); correct it in Settings"
        ),
        "{reason}"
    );
    assert!(changes.recv().await.is_none(), "the watch ended");
    tokio::time::sleep(HOUR).await;
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "one login attempt in an hour"
    );
}

#[tokio::test(start_paused = true)]
async fn idle_is_refreshed_before_29_minutes_although_the_server_sends_keepalives() {
    let mut server = serve(Script::IdleWithKeepalives);
    let store = store(server.port);
    let mut changes = follow(&store);
    assert!(matches!(
        changes.recv().await,
        Some((_, MailboxChange::Connected { messages: 1 }))
    ));
    let limit = Duration::from_secs(29 * 60);
    for _ in 0..3 {
        let seen = tokio::time::timeout(limit, server.seen.recv())
            .await
            .expect("DONE within 29 minutes of IDLE (RFC 2177)");
        let Some(Seen::Done(after)) = seen else {
            panic!("the server is gone")
        };
        assert!(after <= limit, "IDLE lasted {after:?}");
    }
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "one session all along"
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_silent_in_idle_is_noticed_and_reconnected() {
    let mut server = serve(Script::SilentInIdle);
    let store = store(server.port);
    let mut changes = follow(&store);
    assert!(matches!(
        changes.recv().await,
        Some((_, MailboxChange::Connected { .. }))
    ));
    // IDLE refresh (25 min) plus the DONE deadline (20 s), and a little for the reconnect.
    let (at, change) = changes.recv().await.expect("the watch runs");
    let MailboxChange::Disconnected { reason } = change else {
        panic!("expected Disconnected, got {change:?}");
    };
    println!("a server silent in IDLE noticed after {at:?}: {reason}");
    assert!(
        at <= Duration::from_secs(25 * 60 + 21),
        "noticed after {at:?}"
    );
    assert!(reason.contains("did not answer DONE"), "{reason}");
    assert!(matches!(server.seen.recv().await, Some(Seen::Done(_))));
    let (again, change) = changes.recv().await.expect("the watch runs");
    assert!(
        matches!(change, MailboxChange::Connected { .. }),
        "{change:?}"
    );
    assert!(
        again - at <= Duration::from_secs(2),
        "reconnected {:?} later",
        again - at
    );
}

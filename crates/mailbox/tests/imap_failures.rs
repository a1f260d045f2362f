//! Connection failures without the lab: a port nobody listens on, a server that hangs up, a
//! server that never greets. Loopback only; the deadline is the only wait.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use voicelamp_mailbox::{Error, ImapAccount, ImapStore, ImapTiming, Security, VoicemailStore};

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
    let timing = ImapTiming {
        step_timeout: Duration::from_millis(300),
        ..ImapTiming::default()
    };
    ImapStore::with_timing(account, timing).unwrap()
}

#[tokio::test]
async fn nobody_listening_is_unreachable() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let e = store(port).list("INBOX").await.unwrap_err();
    assert!(matches!(e, Error::Unreachable { .. }), "{e}");
    assert!(e.is_offline());
    assert!(
        e.to_string()
            .starts_with(&format!("cannot reach the mail server 127.0.0.1:{port}"))
    );
}

#[tokio::test]
async fn a_server_that_hangs_up_is_gone() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let (mut s, _) = l.accept().await.unwrap();
            s.shutdown().await.ok();
        }
    });
    let e = store(port).list("INBOX").await.unwrap_err();
    assert!(matches!(e, Error::ServerGone { .. }), "{e}");
    assert!(e.is_offline());
    server.abort();
}

#[tokio::test]
async fn a_server_that_never_greets_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (s, _) = l.accept().await.unwrap();
            held.push(s);
        }
    });
    let e = store(port).check().await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                step: "greeting",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.is_offline());
    server.abort();
}

#[tokio::test]
async fn an_unreadable_ca_file_is_a_setting_error() {
    let account = ImapAccount {
        host: "127.0.0.1".into(),
        port: 1,
        security: Security::Tls,
        user: "u".into(),
        password: "p".into(),
        ca_file: Some("does/not/exist.pem".into()),
        insecure_skip_verify: false,
    };
    let e = ImapStore::new(account).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert!(e.to_string().contains("tls.ca_file"), "{e}");
}

#[tokio::test]
async fn login_refused_by_a_server_without_auth_plain() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        let (r, mut w) = s.into_split();
        w.write_all(b"* OK ready\r\n").await.unwrap();
        let mut line = String::new();
        BufReader::new(r).read_line(&mut line).await.unwrap();
        let tag = line.split(' ').next().unwrap().to_owned();
        w.write_all(
            format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n").as_bytes(),
        )
        .await
        .unwrap();
        line
    });
    let e = store(port).check().await.unwrap_err();
    assert!(matches!(e, Error::AuthFailed { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("the server refused the login for 1001: check the password"),
        "{e}"
    );
    let command = server.await.unwrap();
    assert!(
        command.contains(" LOGIN "),
        "LOGIN when AUTH=PLAIN is not offered: {command}"
    );
}

#[tokio::test]
async fn starttls_refused_is_not_silently_plain() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        let (r, mut w) = s.into_split();
        w.write_all(b"* OK ready\r\n").await.unwrap();
        let mut line = String::new();
        let mut r = BufReader::new(r);
        r.read_line(&mut line).await.unwrap();
        let tag = line.split(' ').next().unwrap().to_owned();
        w.write_all(format!("{tag} BAD Unknown command\r\n").as_bytes())
            .await
            .unwrap();
        // Whatever comes next must not be a login in the clear.
        let mut next = String::new();
        let _ = r.read_line(&mut next).await;
        (line, next)
    });
    let mut account = store(port).account().clone();
    account.security = Security::StartTls;
    let e = ImapStore::new(account).unwrap().check().await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Unsupported {
                what: "STARTTLS",
                ..
            }
        ),
        "{e}"
    );
    let (first, next) = server.await.unwrap();
    assert!(first.contains("STARTTLS"), "{first}");
    assert!(
        !next.contains("LOGIN") && !next.contains("AUTHENTICATE"),
        "{next}"
    );
}

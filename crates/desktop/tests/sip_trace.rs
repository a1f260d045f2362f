//! Diagnostics' SIP messages from the real traces: the app's tracing set-up (`init_tracing`), the
//! engine and the network driver register an account with a registrar on loopback, and both the
//! REGISTER sent and the answer received must appear in the ring.

use std::time::Duration;
use tokio::net::UdpSocket;
use voicelamp_core::runtime::Engine;
use voicelamp_core::{AccountConfig, Config, MemoryStore, Secret, SecretStore as _};
use voicelamp_desktop::sip_trace::SipTrace;

const DEADLINE: Duration = Duration::from_secs(20);

/// Answers every request with 200 OK, as a registrar does (headers echoed, a To tag added).
async fn registrar(socket: UdpSocket) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            return;
        };
        let request = String::from_utf8_lossy(&buf[..n]).into_owned();
        if request.trim().is_empty() {
            continue;
        }
        let mut answer = String::from("SIP/2.0 200 OK\r\n");
        for line in request.split("\r\n").skip(1) {
            let name = line
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            match name.as_str() {
                "via" | "from" | "call-id" | "cseq" | "contact" => {
                    answer.push_str(line);
                    answer.push_str("\r\n");
                }
                "to" => {
                    answer.push_str(line);
                    answer.push_str(";tag=registrar\r\n");
                }
                _ => {}
            }
        }
        answer.push_str("Expires: 3600\r\nContent-Length: 0\r\n\r\n");
        let _ = socket.send_to(answer.as_bytes(), from).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_shows_sip_messages_sent_and_received() {
    let trace = SipTrace::default();
    voicelamp_desktop::init_tracing(&trace);

    let socket = UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("registrar socket");
    let port = socket.local_addr().expect("address").port();
    tokio::spawn(registrar(socket));

    let mut account = AccountConfig::new("desk", &format!("sip:1001@127.0.0.1:{port}"));
    account.registrar = Some(format!("sip:127.0.0.1:{port};transport=udp"));
    let config = Config {
        accounts: vec![account],
        ..Config::default()
    };
    let secrets = MemoryStore::new();
    secrets
        .set("desk", &Secret::new("not-needed".into()))
        .expect("stored");
    let (mut engine, _) = Engine::start(&config, None, &secrets, "Voicelamp/test").expect("start");

    let seen = tokio::time::timeout(DEADLINE, async {
        loop {
            let recent = trace.recent();
            let sent = recent
                .iter()
                .any(|m| m.sent && m.text.starts_with("REGISTER "));
            let received = recent
                .iter()
                .any(|m| !m.sent && m.text.starts_with("SIP/2.0 200 OK"));
            if sent && received {
                return recent;
            }
            if engine.next().await.is_none() {
                panic!("the network driver stopped");
            }
        }
    })
    .await;
    let recent = seen.unwrap_or_else(|_| {
        panic!(
            "both directions must be traced within {DEADLINE:?}; kept: {:#?}",
            trace.recent()
        )
    });
    let received = recent.iter().find(|m| !m.sent).expect("received");
    assert_eq!(received.peer, format!("127.0.0.1:{port}"));
    engine.shutdown().await;
}

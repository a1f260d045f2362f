//! Against the real lab: an unsolicited NOTIFY is trusted by the path it arrived on. A UDP
//! datagram that carries the TLS registrar's address is not the TLS account's connection: it
//! is refused and never lights that account's lamp, while Kamailio's NOTIFY over the account's
//! TLS connection is taken. Written for `tests/lab/lab start`.

mod common;

use common::{Lab, SECS, counts, publish, voice, wait_for, watch_until};
use std::net::SocketAddr;
use voicelamp_net::voicelamp_sip::{Event, RegistrationStatus, Source, Transport};
use voicelamp_net::{Net, NetConfig, NetEvent, TransportState, spawn};

/// Waits until account `id` is registered.
async fn registered(net: &mut Net, id: usize) {
    wait_for(
        net,
        SECS(10),
        &format!("registration of account {id}"),
        |e| match e {
            NetEvent::Sip(Event::Registration {
                account,
                state: RegistrationStatus::Registered { .. },
                ..
            }) if account.0 == id => Some(()),
            _ => None,
        },
    )
    .await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_udp_datagram_from_the_tls_registrars_address_never_lights_the_tls_account() {
    let lab = Lab::get();
    let tls_user = "1014";
    let mut net = spawn(NetConfig::default());
    // A UDP account too, so that the driver has a UDP socket a datagram can reach.
    let mut udp = lab.account("1015", Transport::Udp);
    udp.mailboxes.clear();
    let udp_id = net.handle.add_account(udp).expect("driver runs");
    let udp_local: SocketAddr = wait_for(&mut net, SECS(10), "UDP path up", |e| match e {
        NetEvent::Transport {
            account,
            state: TransportState::Up { local, .. },
        } if *account == udp_id => Some(*local),
        _ => None,
    })
    .await;
    registered(&mut net, udp_id.0).await;
    let mut tls = lab.account(tls_user, Transport::Tls);
    tls.mailboxes.clear(); // unsolicited only
    let tls_id = net.handle.add_account(tls).expect("driver runs");
    registered(&mut net, tls_id.0).await;

    // The spoofer sends from the TLS registrar's own address and port, over UDP.
    let registrar: SocketAddr = format!("{}:{}", lab.host, lab.tls_port)
        .parse()
        .expect("addr");
    let spoofer = tokio::net::UdpSocket::bind(registrar)
        .await
        .expect("bind UDP on the TLS registrar's address (nothing else listens there on UDP)");
    let body = "Messages-Waiting: yes\r\nVoice-Message: 9/9\r\n";
    let notify = format!(
        "NOTIFY sip:{tls_user}@{udp_local};transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS {registrar};branch=z9hG4bKspoof1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{tls_user}@{domain}>;tag=spoof\r\n\
         To: <sip:{tls_user}@{domain}>\r\n\
         Call-ID: spoof-1@{registrar}\r\n\
         CSeq: 1 NOTIFY\r\n\
         Event: message-summary\r\n\
         Subscription-State: active\r\n\
         Content-Type: application/simple-message-summary\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len(),
        domain = lab.domain,
    );
    spoofer
        .send_to(notify.as_bytes(), udp_local)
        .await
        .expect("send");
    let mut buf = vec![0u8; 65_536];
    let (n, from) = tokio::time::timeout(SECS(5), spoofer.recv_from(&mut buf))
        .await
        .expect("an answer to the spoofed NOTIFY within 5 s")
        .expect("recv");
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert_eq!(from, udp_local, "answered from the socket it arrived on");
    assert!(
        answer.starts_with("SIP/2.0 403"),
        "the spoofed NOTIFY is refused: {answer}"
    );
    // The answer left after the decision: a lamp lit by it would already be queued.
    watch_until(
        &mut net,
        tokio::time::Instant::now() + std::time::Duration::from_millis(300),
        |e| matches!(e, NetEvent::Sip(Event::Mailbox { .. })),
    )
    .await;

    // Kamailio's NOTIFY reaches the account over its TLS connection and is taken.
    publish(&[
        "--user",
        tls_user,
        "--new",
        "2",
        "--old",
        "1",
        "--unsolicited",
    ])
    .await;
    let summary = wait_for(&mut net, SECS(10), "the genuine NOTIFY", |e| match e {
        NetEvent::Sip(Event::Mailbox {
            account,
            summary,
            source: Source::Unsolicited,
            ..
        }) => {
            assert_eq!(*account, tls_id, "only the TLS account is lit");
            Some(summary.clone())
        }
        _ => None,
    })
    .await;
    assert_eq!(voice(&summary), Some(counts(2, 1, 0, 0)));
    net.handle.shutdown().await.expect("shutdown");
}

//! Against the real lab (Kamailio 5.6 on loopback): registration, subscriptions, NOTIFY bodies
//! and refreshes over UDP, TCP and TLS. Written for `tests/lab/lab start --expires 10`; each test
//! uses its own lab users so that they can run in parallel.

mod common;

use common::{Lab, SECS, counts, mailbox_event, publish, registered, voice, wait_for, watch_until};
use std::time::Duration;
use voicelamp_net::voicelamp_sip::registration::RegistrationFailure;
use voicelamp_net::voicelamp_sip::{Event, RegistrationStatus, Source, SummaryBody, Transport};
use voicelamp_net::{AccountSpec, Net, NetConfig, NetEvent, TransportState, spawn};

/// Starts a driver with one account and waits until it is registered and the first NOTIFY of
/// every mailbox arrived.
async fn start(spec: AccountSpec) -> Net {
    let mailboxes = spec.mailboxes.clone();
    let mut net = spawn(NetConfig::default());
    net.handle.add_account(spec).expect("driver runs");
    wait_for(&mut net, SECS(10), "registration", registered).await;
    // First NOTIFYs in whatever order they arrive.
    let mut pending = mailboxes;
    while !pending.is_empty() {
        let what = format!("first NOTIFY of {pending:?}");
        let got = wait_for(&mut net, SECS(10), &what, |e| match e {
            NetEvent::Sip(Event::Mailbox { mailbox_uri, .. }) => Some(mailbox_uri.clone()),
            _ => None,
        })
        .await;
        pending.retain(|m| *m != got);
    }
    net
}

/// Publishes and waits for the counts to arrive.
async fn publish_and_expect(
    net: &mut Net,
    mailbox: &str,
    args: &[&str],
    new: u32,
    old: u32,
    urgent_new: u32,
) {
    publish(args).await;
    let expected = counts(new, old, urgent_new, 0);
    wait_for(
        net,
        SECS(10),
        &format!("{mailbox} with {expected:?}"),
        |e| mailbox_event(e, mailbox).and_then(|s| (voice(s) == Some(expected)).then_some(())),
    )
    .await;
}

/// Starts a driver with `spec`, whose TLS server must be refused: returns why the transport
/// went down; panics if it registers.
async fn refused(spec: AccountSpec) -> String {
    let mut net = spawn(NetConfig::default());
    net.handle.add_account(spec).expect("driver runs");
    let why = wait_for(&mut net, SECS(10), "transport down", |e| match e {
        NetEvent::Transport {
            state: TransportState::Down { why, .. },
            ..
        } => Some(why.clone()),
        NetEvent::Sip(Event::Registration {
            state: RegistrationStatus::Registered { .. },
            ..
        }) => panic!("registered over TLS with a server that must be refused"),
        _ => None,
    })
    .await;
    stop(net).await;
    why
}

async fn stop(net: Net) {
    net.handle.shutdown().await.expect("shutdown");
    tokio::time::timeout(SECS(5), net.task)
        .await
        .expect("the driver ends after shutdown")
        .expect("the driver does not panic");
}

/// Registers and subscribes over `transport`, then follows two publications of the own
/// mailbox and one of a shared mailbox.
async fn own_and_shared_mailbox(transport: Transport, user: &str, shared: &str) {
    let lab = Lab::get();
    let own = lab.aor(user);
    let shared_aor = lab.aor(shared);
    let mut spec = lab.account(user, transport);
    spec.mailboxes = vec![own.clone(), shared_aor.clone()];
    let mut net = start(spec).await;
    let mut args = vec![
        "--user",
        user,
        "--new",
        "3",
        "--old",
        "1",
        "--urgent-new",
        "1",
    ];
    publish_and_expect(&mut net, &own, &args, 3, 1, 1).await;
    args = vec!["--user", user, "--new", "0", "--old", "4"];
    publish_and_expect(&mut net, &own, &args, 0, 4, 0).await;
    let aor_arg = shared_aor.clone();
    args = vec!["--aor", &aor_arg, "--new", "2", "--old", "5"];
    publish_and_expect(&mut net, &shared_aor, &args, 2, 5, 0).await;
    let snapshot = net.handle.snapshot().await.expect("snapshot");
    let status = &snapshot.accounts[&0];
    assert!(
        matches!(status.transport, Some(TransportState::Up { transport: t, .. }) if t == transport),
        "{status:?}"
    );
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn udp_own_and_shared_mailbox_follow_publications() {
    own_and_shared_mailbox(Transport::Udp, "1001", "support").await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn tcp_own_and_shared_mailbox_follow_publications() {
    own_and_shared_mailbox(Transport::Tcp, "1002", "sales").await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn tls_verified_with_the_lab_ca_follows_publications() {
    let lab = Lab::get();
    let user = "1003";
    let own = lab.aor(user);
    let mut net = start(lab.account(user, Transport::Tls)).await;
    let args = [
        "--user",
        user,
        "--new",
        "1",
        "--old",
        "0",
        "--urgent-new",
        "1",
    ];
    publish_and_expect(&mut net, &own, &args, 1, 0, 1).await;
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn tls_without_the_lab_ca_is_refused() {
    let lab = Lab::get();
    let mut spec = lab.account("1008", Transport::Tls);
    spec.tls.ca_file = None;
    let why = refused(spec).await;
    assert_eq!(
        why,
        format!(
            "TLS with {}:{}: the certificate of {} is not trusted: it is signed by an authority \
             this computer does not know; add the certificate of the authority that signed it \
             (for a self-signed certificate, the server's certificate itself) to ca_file in the \
             account's TLS settings",
            lab.host, lab.tls_port, lab.host
        )
    );
}

/// A PBX's self-signed `CA:TRUE` certificate, listed itself in `ca_file`, is trusted: the line
/// registers and its mailbox is followed over TLS.
#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn tls_self_signed_ca_certificate_listed_in_ca_file_registers() {
    let lab = Lab::get();
    let front = lab.tls_front("IP:127.0.0.1,DNS:localhost");
    let user = "1012";
    let own = lab.aor(user);
    let mut net = start(lab.account_via(&front, user)).await;
    let args = ["--user", user, "--new", "2", "--old", "1"];
    publish_and_expect(&mut net, &own, &args, 2, 1, 0).await;
    stop(net).await;
}

/// Such a certificate without any subjectAltName, naming the server only in its common name, is
/// trusted when listed itself in `ca_file`.
#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn tls_listed_self_signed_certificate_naming_the_server_in_its_cn_registers() {
    let lab = Lab::get();
    let front = lab.tls_front(&format!("CN:{}", lab.host));
    stop(start(lab.account_via(&front, "1016")).await).await;
}

/// The same kind of certificate, listed in `ca_file` but made out to another name than the one
/// the account connects to, is refused, in words.
#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn tls_listed_self_signed_certificate_for_another_name_is_refused() {
    let lab = Lab::get();
    let front = lab.tls_front("DNS:localhost");
    let why = refused(lab.account_via(&front, "1013")).await;
    assert_eq!(
        why,
        format!(
            "TLS with {}:{}: the certificate of {} is not trusted: it is not made out to {}; \
             connect with the name the certificate carries, or have the server's certificate \
             reissued for {}",
            lab.host, front.port, lab.host, lab.host, lab.host
        )
    );
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn empty_first_notify_is_no_information_never_zero() {
    let lab = Lab::get();
    // Nobody ever publishes for 1019: Kamailio's first NOTIFY has an empty body.
    let user = "1019";
    let own = lab.aor(user);
    let mut net = spawn(NetConfig::default());
    net.handle
        .add_account(lab.account(user, Transport::Udp))
        .expect("driver runs");
    let summary = wait_for(&mut net, SECS(10), "first NOTIFY", |e| {
        mailbox_event(e, &own).cloned()
    })
    .await;
    assert_eq!(summary, SummaryBody::NoInformation);
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn refreshes_survive_several_expiry_periods() {
    let lab = Lab::get();
    let user = "1004";
    let own = lab.aor(user);
    let mut net = start(lab.account(user, Transport::Udp)).await;
    let before = net.handle.snapshot().await.expect("snapshot").requests_sent;
    // With 10 s expiries, 25 s is two and a half periods of both registration and subscription.
    let deadline = tokio::time::Instant::now() + SECS(25);
    watch_until(&mut net, deadline, |e| {
        matches!(
            e,
            NetEvent::Sip(
                Event::MailboxFailed { .. }
                    | Event::Registration {
                        state: RegistrationStatus::Failed { .. },
                        ..
                    }
            ) | NetEvent::Transport {
                state: TransportState::Down { .. },
                ..
            }
        )
    })
    .await;
    let after = net.handle.snapshot().await.expect("snapshot").requests_sent;
    let grew = |m: &str| after.get(m).copied().unwrap_or(0) - before.get(m).copied().unwrap_or(0);
    assert!(
        grew("REGISTER") >= 2,
        "REGISTER refreshes: {before:?} → {after:?}"
    );
    assert!(
        grew("SUBSCRIBE") >= 2,
        "SUBSCRIBE refreshes: {before:?} → {after:?}"
    );
    // Still subscribed: a publication arrives.
    let args = ["--user", user, "--new", "2", "--old", "0"];
    publish_and_expect(&mut net, &own, &args, 2, 0, 0).await;
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn wrong_password_fails_after_one_challenge() {
    let lab = Lab::get();
    let mut spec = lab.account("1005", Transport::Udp);
    if let Some(c) = spec.credentials.as_mut() {
        c.password = "not-the-password".into();
    }
    let mut net = spawn(NetConfig::default());
    net.handle.add_account(spec).expect("driver runs");
    let reason = wait_for(&mut net, SECS(10), "failed registration", |e| match e {
        NetEvent::Sip(Event::Registration {
            state: RegistrationStatus::Failed { .. },
            reason,
            ..
        }) => Some(reason.clone()),
        NetEvent::Sip(Event::Registration {
            state: RegistrationStatus::Registered { .. },
            ..
        }) => {
            panic!("registered with a wrong password")
        }
        _ => None,
    })
    .await;
    assert_eq!(reason, Some(RegistrationFailure::WrongCredentials));
    // Give a loop a chance to show itself: nothing more is sent for two seconds.
    let deadline = tokio::time::Instant::now() + SECS(2);
    watch_until(&mut net, deadline, |_| false).await;
    let sent = net.handle.snapshot().await.expect("snapshot").requests_sent;
    assert_eq!(
        sent.get("REGISTER"),
        Some(&2),
        "one REGISTER, one answer to the challenge: {sent:?}"
    );
    assert_eq!(sent.get("SUBSCRIBE"), None, "{sent:?}");
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn unsolicited_notify_is_accepted() {
    let lab = Lab::get();
    let user = "1006";
    let own = lab.aor(user);
    let mut net = start(lab.account(user, Transport::Udp)).await;
    publish(&["--user", user, "--new", "4", "--old", "1", "--unsolicited"]).await;
    let (source, summary) = wait_for(&mut net, SECS(10), "unsolicited NOTIFY", |e| match e {
        NetEvent::Sip(Event::Mailbox {
            mailbox_uri,
            summary,
            source: Source::Unsolicited,
            ..
        }) if *mailbox_uri == own => Some((Source::Unsolicited, summary.clone())),
        _ => None,
    })
    .await;
    assert_eq!(source, Source::Unsolicited);
    assert_eq!(voice(&summary), Some(counts(4, 1, 0, 0)));
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn ipv6_udp_registers_and_subscribes() {
    let lab = Lab::get();
    if let Some(why) = ipv6_missing(&lab.host6) {
        // A skip that passes would hide a lab (or CI machine) that lost IPv6: only an explicit
        // opt-out outside CI may skip.
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        let allowed = std::env::var("VOICELAMP_ALLOW_NO_IPV6").is_ok_and(|v| v == "1");
        assert!(
            allowed && !ci,
            "IPv6 loopback is missing: {why}. Enable it (sysctl net.ipv6.conf.lo.disable_ipv6=0, \
             then restart the lab), or outside CI set VOICELAMP_ALLOW_NO_IPV6=1 to skip this test"
        );
        eprintln!("skipped: {why} and VOICELAMP_ALLOW_NO_IPV6=1");
        return;
    }
    let user = "1007";
    let mut spec = lab.account(user, Transport::Udp);
    spec.registrar = format!("sip:[{}]:{}", lab.host6, lab.udp_port);
    let own = lab.aor(user);
    let mut net = start(spec).await;
    let args = ["--user", user, "--new", "1", "--old", "1"];
    publish_and_expect(&mut net, &own, &args, 1, 1, 0).await;
    stop(net).await;
}

/// Why the lab cannot be reached over IPv6 loopback, if it cannot.
fn ipv6_missing(host6: &str) -> Option<String> {
    if host6.is_empty() {
        return Some("LAB_SIP_HOST6 is empty (the lab started without IPv6)".into());
    }
    match std::net::UdpSocket::bind((host6, 0)) {
        Ok(_) => None,
        Err(e) => Some(format!("cannot bind {host6}: {e}")),
    }
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn shutdown_unsubscribes_and_unregisters_quickly() {
    let lab = Lab::get();
    let mut net = start(lab.account("1009", Transport::Tcp)).await;
    let started = std::time::Instant::now();
    net.handle.shutdown().await.expect("shutdown");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    let mut unregistered = false;
    while let Ok(Some(event)) = tokio::time::timeout(SECS(1), net.events.recv()).await {
        if let NetEvent::Sip(Event::Registration {
            state: RegistrationStatus::Unregistered,
            ..
        }) = event
        {
            unregistered = true;
        }
    }
    assert!(
        unregistered,
        "no Unregistered event before the driver stopped"
    );
    let _ = tokio::time::timeout(SECS(5), net.task)
        .await
        .expect("driver ends");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn tls_to_a_host_name_resolves_and_verifies_the_name() {
    let lab = Lab::get();
    let user = "1010";
    let mut spec = lab.account(user, Transport::Tls);
    // The lab certificate names DNS:localhost; the name resolves through the system resolver.
    spec.registrar = format!("sip:localhost:{};transport=tls", lab.tls_port);
    let own = lab.aor(user);
    let mut net = start(spec).await;
    let args = ["--user", user, "--new", "5", "--old", "0"];
    publish_and_expect(&mut net, &own, &args, 5, 0, 0).await;
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn outbound_proxy_is_the_next_hop() {
    let lab = Lab::get();
    let user = "1020";
    // The registrar URI says UDP; the outbound proxy (the same Kamailio, which ignores the
    // loose Route naming itself) says TCP: everything must go over TCP to the proxy.
    let mut spec = lab.account(user, Transport::Udp);
    spec.outbound_proxy = Some(format!(
        "sip:{}:{};transport=tcp;lr",
        lab.host, lab.tcp_port
    ));
    let own = lab.aor(user);
    let mut net = start(spec).await;
    let args = ["--user", user, "--new", "1", "--old", "3"];
    publish_and_expect(&mut net, &own, &args, 1, 3, 0).await;
    let snapshot = net.handle.snapshot().await.expect("snapshot");
    assert!(
        matches!(
            snapshot.accounts[&0].transport,
            Some(TransportState::Up {
                transport: Transport::Tcp,
                ..
            })
        ),
        "{snapshot:?}"
    );
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn subscribe_only_account_never_registers() {
    let lab = Lab::get();
    // TCP from a configured local port: the server sees that port.
    let local_port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a probe");
        probe.local_addr().expect("addr").port()
    };
    let mut spec = lab.account("1006", Transport::Tcp);
    spec.register = false;
    spec.local_port = local_port;
    let mut net = spawn(NetConfig::default());
    net.handle.add_account(spec).expect("driver runs");
    let local = wait_for(&mut net, SECS(10), "path up", |e| match e {
        NetEvent::Transport {
            state: TransportState::Up { local, .. },
            ..
        } => Some(*local),
        _ => None,
    })
    .await;
    assert_eq!(local.port(), local_port);
    wait_for(&mut net, SECS(10), "first NOTIFY", |e| match e {
        NetEvent::Sip(Event::Registration { .. }) => panic!("a registration event: {e:?}"),
        NetEvent::Sip(Event::Mailbox { source, .. }) => {
            assert_eq!(*source, Source::Subscription);
            Some(())
        }
        _ => None,
    })
    .await;
    let snapshot = net.handle.snapshot().await.expect("snapshot");
    assert_eq!(snapshot.requests_sent.get("REGISTER"), None, "{snapshot:?}");
    assert!(
        snapshot
            .requests_sent
            .get("SUBSCRIBE")
            .is_some_and(|n| *n >= 1)
    );
    stop(net).await;
}

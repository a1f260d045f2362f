//! The real driver against sipp peers (`tests/lab/sipp/*.xml`) acting as registrar and notifier:
//! what Kamailio never sends — unsolicited NOTIFY, 423, 481 on refresh, 489, 404, 500 and odd
//! NOTIFY bodies. Each test starts its own sipp on its own port (`LAB_SIPP_PORT` + n) with a
//! call count and a time limit, waits on driver events with deadlines and checks sipp's exit
//! status. They fail (never skip) when sipp is missing.

mod common;

use common::sipp::{Run, port};
use common::{SECS, counts, registered, voice, wait_for};
use std::net::SocketAddr;
use std::time::Duration;
use voicelamp_net::voicelamp_sip::backoff::BackoffConfig;
use voicelamp_net::voicelamp_sip::subscription::{StaleReason, SubscriptionFailure};
use voicelamp_net::voicelamp_sip::{
    Event, MessageClass, Source, SummaryBody, SummaryError, UaConfig, UnsolicitedTrust,
};
use voicelamp_net::{AccountSpec, Net, NetConfig, NetEvent, TransportState, spawn};

const AOR: &str = "sip:1001@127.0.0.1";

/// A driver whose failure backoff is short (1–2 s), so that retries show within a test.
fn driver() -> Net {
    spawn(NetConfig {
        ua: UaConfig {
            backoff: BackoffConfig {
                base_some_ok: SECS(2),
                base_all_failed: SECS(2),
                max: SECS(8),
            },
            ..UaConfig::default()
        },
        shutdown_timeout: Duration::from_millis(500),
        ..NetConfig::default()
    })
}

/// Account 1001 registering with the sipp on `port`.
fn account(port: u16) -> AccountSpec {
    AccountSpec::new(AOR, &format!("sip:127.0.0.1:{port}"), None)
}

/// Our address as the driver reports it once the path is up.
async fn local_address(net: &mut Net) -> SocketAddr {
    wait_for(net, SECS(5), "path up", |e| match e {
        NetEvent::Transport {
            state: TransportState::Up { local, .. },
            ..
        } => Some(*local),
        _ => None,
    })
    .await
}

/// The next mailbox event of `source`, with its summary.
async fn mailbox(net: &mut Net, source: Source, within: Duration) -> (String, SummaryBody) {
    wait_for(
        net,
        within,
        &format!("{source:?} mailbox event"),
        |e| match e {
            NetEvent::Sip(Event::Mailbox {
                mailbox_uri,
                summary,
                source: s,
                ..
            }) if *s == source => Some((mailbox_uri.clone(), summary.clone())),
            _ => None,
        },
    )
    .await
}

/// No mailbox event at all arrives within `within` (counts never come from refused NOTIFYs).
async fn no_mailbox_event(net: &mut Net, within: Duration) {
    common::watch_until(net, tokio::time::Instant::now() + within, |e| {
        matches!(e, NetEvent::Sip(Event::Mailbox { .. }))
    })
    .await;
}

async fn stop(net: Net) {
    net.handle.shutdown().await.expect("shutdown");
    tokio::time::timeout(SECS(5), net.task)
        .await
        .expect("the driver ends after shutdown")
        .expect("the driver does not panic");
}

#[tokio::test]
#[ignore = "needs the lab: sipp"]
async fn unsolicited_notify_from_the_registrar_is_taken_from_others_refused() {
    let registrar = Run::server("registrar-unsolicited", port(0), 1).start();
    let mut net = driver();
    let mut spec = account(port(0));
    spec.mailboxes.clear(); // unsolicited only
    net.handle.add_account(spec).expect("driver runs");
    let local = local_address(&mut net).await;
    wait_for(&mut net, SECS(5), "registration", registered).await;
    let (mailbox_uri, summary) = mailbox(&mut net, Source::Unsolicited, SECS(5)).await;
    assert_eq!(mailbox_uri, AOR);
    assert_eq!(voice(&summary), Some(counts(2, 1, 1, 0)));
    registrar.finish().await; // it got 200 for its NOTIFY

    // The same NOTIFY from another address: refused by the default policy (registrar only).
    let keys = [("user", "1001"), ("domain", "127.0.0.1")];
    let log = Run {
        keys: &keys,
        ..Run::client("notify-stranger", port(1), local)
    }
    .start()
    .finish()
    .await;
    assert!(log.contains("answer=403"), "stranger's NOTIFY: {log}");
    // For a user that is not registered here: 481.
    let keys = [("user", "1099"), ("domain", "127.0.0.1")];
    let log = Run {
        keys: &keys,
        ..Run::client("notify-stranger", port(2), local)
    }
    .start()
    .finish()
    .await;
    assert!(
        log.contains("answer=481"),
        "NOTIFY for an unknown user: {log}"
    );
    no_mailbox_event(&mut net, Duration::from_millis(300)).await;
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: sipp"]
async fn unsolicited_notify_from_anywhere_when_the_account_trusts_any_source() {
    let registrar = Run::server("registrar-unsolicited", port(10), 1).start();
    let mut net = driver();
    let mut spec = account(port(10));
    spec.mailboxes.clear();
    spec.unsolicited = UnsolicitedTrust::AnySource;
    net.handle.add_account(spec).expect("driver runs");
    let local = local_address(&mut net).await;
    mailbox(&mut net, Source::Unsolicited, SECS(5)).await;
    registrar.finish().await;
    let keys = [("user", "1001"), ("domain", "127.0.0.1")];
    let log = Run {
        keys: &keys,
        ..Run::client("notify-stranger", port(11), local)
    }
    .start()
    .finish()
    .await;
    assert!(log.contains("answer=200"), "stranger's NOTIFY: {log}");
    let (_, summary) = mailbox(&mut net, Source::Unsolicited, SECS(2)).await;
    assert_eq!(voice(&summary), Some(counts(9, 9, 9, 9)));
    stop(net).await;
}

/// The next failure of a subscription (a summary instead is a test failure).
async fn mailbox_failed(
    net: &mut Net,
    within: Duration,
) -> (SubscriptionFailure, Option<Duration>) {
    wait_for(net, within, "a failed subscription", |e| match e {
        NetEvent::Sip(Event::MailboxFailed { why, retry_in, .. }) => Some((why.clone(), *retry_in)),
        NetEvent::Sip(Event::Mailbox { summary, .. }) => panic!("unexpected summary {summary:?}"),
        _ => None,
    })
    .await
}

#[tokio::test]
#[ignore = "needs the lab: sipp"]
async fn subscribe_answered_423_retries_with_min_expires() {
    let notifier = Run::server("notifier-423", port(20), 2).start();
    let mut net = driver();
    let mut spec = account(port(20));
    spec.subscribe_expires = 60;
    net.handle.add_account(spec).expect("driver runs");
    let (mailbox_uri, summary) = mailbox(&mut net, Source::Subscription, SECS(10)).await;
    assert_eq!(mailbox_uri, AOR);
    assert_eq!(voice(&summary).map(|c| (c.new, c.old)), Some((4, 0)));
    let log = notifier.finish().await;
    assert!(
        log.contains("retry expires= 1800") || log.contains("retry expires=1800"),
        "{log}"
    );
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: sipp"]
async fn refresh_answered_481_starts_a_new_subscription() {
    // Calls: REGISTER, the first subscription, the one that replaces it.
    let notifier = Run {
        limit: SECS(40),
        ..Run::server("notifier-481", port(30), 3)
    }
    .start();
    let mut net = driver();
    net.handle
        .add_account(account(port(30)))
        .expect("driver runs");
    let (_, first) = mailbox(&mut net, Source::Subscription, SECS(10)).await;
    assert_eq!(
        voice(&first).map(|c| c.new),
        Some(2),
        "the first subscription"
    );
    wait_for(&mut net, SECS(10), "stale after 481", |e| match e {
        NetEvent::Sip(Event::MailboxStale { why, .. }) => {
            assert_eq!(*why, StaleReason::SubscriptionGone);
            Some(())
        }
        NetEvent::Sip(Event::Mailbox { summary, .. }) => panic!("unexpected summary {summary:?}"),
        _ => None,
    })
    .await;
    let (_, second) = mailbox(&mut net, Source::Subscription, SECS(10)).await;
    assert_eq!(voice(&second).map(|c| c.new), Some(3), "a new subscription");
    notifier.finish().await;
    stop(net).await;
}

/// A notifier answering every SUBSCRIBE with `status`: the reason is kept, and the retries
/// wait for the (short, jittered, doubling) backoff.
async fn refused_subscription(status: &str, n: u16, expected: SubscriptionFailure) {
    let globals = [("status", status)];
    // Calls: REGISTER and two SUBSCRIBEs.
    let notifier = Run {
        globals: &globals,
        ..Run::server("notifier-status", port(n), 3)
    }
    .start();
    let mut net = driver();
    net.handle
        .add_account(account(port(n)))
        .expect("driver runs");
    let (why, first_wait) = mailbox_failed(&mut net, SECS(10)).await;
    assert_eq!(why, expected);
    let first_at = tokio::time::Instant::now();
    let first_wait = first_wait.expect("retried");
    assert!((SECS(1)..=SECS(2)).contains(&first_wait), "{first_wait:?}");
    let (why, second_wait) = mailbox_failed(&mut net, SECS(10)).await;
    assert_eq!(why, expected);
    assert!(
        first_at.elapsed() + Duration::from_millis(100) >= first_wait,
        "no early retry"
    );
    let second_wait = second_wait.expect("retried");
    assert!(
        (SECS(2)..=SECS(4)).contains(&second_wait),
        "doubles: {second_wait:?}"
    );
    notifier.finish().await;
    let snapshot = net.handle.snapshot().await.expect("snapshot");
    assert_eq!(
        snapshot.requests_sent.get("SUBSCRIBE"),
        Some(&2),
        "{snapshot:?}"
    );
    stop(net).await;
}

#[tokio::test]
#[ignore = "needs the lab: sipp"]
async fn subscribe_answered_404_is_mailbox_not_configured() {
    refused_subscription("404", 40, SubscriptionFailure::MailboxNotConfigured).await;
}

#[tokio::test]
#[ignore = "needs the lab: sipp"]
async fn subscribe_answered_489_is_event_not_supported() {
    refused_subscription("489", 50, SubscriptionFailure::EventNotSupported).await;
}

#[tokio::test]
#[ignore = "needs the lab: sipp"]
async fn subscribe_answered_500_means_unsolicited_mwi() {
    refused_subscription("500", 60, SubscriptionFailure::ServerSendsUnsolicited).await;
}

#[tokio::test]
#[ignore = "needs the lab: sipp"]
async fn notify_bodies_garbage_malformed_empty_and_freeswitch() {
    let keys = [("user", "1001")];
    let notifier = Run {
        keys: &keys,
        ..Run::server("notifier-bodies", port(70), 2)
    }
    .start();
    let mut net = driver();
    net.handle
        .add_account(account(port(70)))
        .expect("driver runs");
    let mut errors = Vec::new();
    let mut summaries = Vec::new();
    while summaries.len() < 2 {
        let event = wait_for(&mut net, SECS(10), "NOTIFY results", |e| match e {
            NetEvent::Sip(Event::BodyError { error, .. }) => Some(Err(error.clone())),
            NetEvent::Sip(Event::Mailbox { summary, .. }) => Some(Ok(summary.clone())),
            _ => None,
        })
        .await;
        match event {
            Err(error) => errors.push(error),
            Ok(summary) => summaries.push(summary),
        }
    }
    // Both broken bodies are errors (answered 400: sipp checks), never a count.
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        matches!(errors[1], SummaryError::BadStatus(_)),
        "{errors:?}"
    );
    assert_eq!(summaries[0], SummaryBody::NoInformation, "empty body");
    let SummaryBody::Summary(fs) = &summaries[1] else {
        panic!("FreeSWITCH body: {:?}", summaries[1]);
    };
    assert_eq!(
        fs.classes.get(&MessageClass::Voice),
        Some(&counts(5, 2, 1, 0))
    );
    notifier.finish().await;
    stop(net).await;
}

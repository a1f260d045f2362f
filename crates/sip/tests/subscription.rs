//! A message-summary subscription against the in-memory notifier, in simulated time.

mod common;

use common::{NotifyMode, Pair, Peer, Reply, Server, client_addr, server_addr};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::backoff::BackoffConfig;
use voicelamp_sip::config::{Flow, Transport};
use voicelamp_sip::message::{Message, MessageBuilder, Method};
use voicelamp_sip::message_summary::SummaryBody;
use voicelamp_sip::subscription::{
    StaleReason, Subscription, SubscriptionEvent, SubscriptionFailure, SubscriptionSettings,
    SubscriptionState,
};
use voicelamp_sip::transaction::TimerConfig;

const MAILBOX: &str = "sip:*97@example.com";

struct Client {
    sub: Subscription,
    rng: ChaCha8Rng,
    events: Vec<(Instant, SubscriptionEvent)>,
    out: Vec<Vec<u8>>,
}

impl Peer for Client {
    fn handle_datagram(&mut self, now: Instant, _from: SocketAddr, bytes: &[u8]) {
        match Message::parse(bytes) {
            Ok(Message::Response(r)) if self.sub.owns(&r) => {
                self.sub.handle_response(now, &r, &mut self.rng);
            }
            Ok(Message::Request(req)) => {
                let status = if self.sub.matches_notify(&req) {
                    self.sub.handle_notify(now, &req, &mut self.rng)
                } else {
                    481
                };
                self.out
                    .push(MessageBuilder::response_to(&req, status, "x", Some("c")).build());
            }
            _ => {}
        }
        self.collect(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.sub.handle_timeout(now, &mut self.rng);
        self.collect(now);
    }

    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if !self.out.is_empty() {
            return Some(self.out.remove(0));
        }
        self.sub.poll_transmit()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.sub.poll_timeout()
    }
}

impl Client {
    fn collect(&mut self, now: Instant) {
        while let Some(e) = self.sub.poll_event() {
            self.events.push((now, e));
        }
    }
}

fn pair(server: Server, seed: u64, expires: u32, credentials: bool) -> Pair<Client> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let flow = Flow {
        transport: Transport::Udp,
        local: client_addr(),
        remote: server_addr(),
    };
    let settings = SubscriptionSettings {
        timers: TimerConfig::default(),
        backoff: BackoffConfig::default(),
        user_agent: "test".into(),
        expires,
        outbound_proxy: None,
    };
    let creds = credentials.then(|| Credentials {
        username: "alice".into(),
        password: "secret".into(),
    });
    let sub = Subscription::new(
        MAILBOX,
        "sip:alice@example.com",
        flow,
        creds,
        "sip:alice@192.0.2.10:5060",
        settings,
        &mut rng,
    );
    let client = Client {
        sub,
        rng,
        events: Vec::new(),
        out: Vec::new(),
    };
    let mut pair = Pair::new(Instant::now(), client, server);
    let now = pair.now;
    let Client { sub, rng, .. } = &mut pair.client;
    sub.start(now, rng);
    pair
}

fn summaries(pair: &Pair<Client>) -> Vec<(f64, SummaryBody)> {
    pair.client
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            SubscriptionEvent::Summary(s) => Some((pair.elapsed(*t), s.clone())),
            _ => None,
        })
        .collect()
}

fn subscribes(pair: &Pair<Client>) -> Vec<(f64, String, Option<u32>)> {
    pair.server
        .seen
        .iter()
        .filter(|s| s.method == Method::Subscribe && s.authorized)
        .map(|s| (pair.elapsed(s.at), s.call_id.clone(), s.expires))
        .collect()
}

fn failures(pair: &Pair<Client>) -> Vec<SubscriptionFailure> {
    pair.client
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            SubscriptionEvent::Failed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn subscribes_gets_the_summary_and_refreshes_in_the_dialog() {
    let mut server = Server::new();
    server.max_expires = 300;
    let mut pair = pair(server, 1, 3600, true);
    pair.run_for(Duration::from_secs(3 * 300 + 10));

    let s = summaries(&pair);
    assert!(s.len() >= 4, "a NOTIFY after every (re)subscribe: {s:?}");
    let SummaryBody::Summary(first) = &s[0].1 else {
        panic!("no summary");
    };
    assert_eq!(first.new_messages(), Some(2));
    assert_eq!(pair.client.sub.state(), &SubscriptionState::Active);

    let subs = subscribes(&pair);
    // One dialog: every refresh reuses the Call-ID.
    assert!(subs.iter().all(|(_, c, _)| *c == subs[0].1));
    for w in subs.windows(2) {
        let gap = w[1].0 - w[0].0;
        assert!((255.0..=271.0).contains(&gap), "refresh gap {gap}");
    }
    assert!(pair.server.responses_to_notify.iter().all(|s| *s == 200));
    // Requests carry Event and Accept.
    let raw = &pair.server.seen;
    assert!(raw.iter().all(|s| s.method == Method::Subscribe));
}

#[test]
fn notify_before_the_2xx_creates_the_dialog() {
    let mut server = Server::new();
    server.challenge = None;
    server.notify_mode = NotifyMode::BeforeOk;
    server.max_expires = 600;
    let mut pair = pair(server, 2, 600, false);
    pair.run_for(Duration::from_secs(700));
    assert!(!summaries(&pair).is_empty());
    let subs = subscribes(&pair);
    assert!(subs.len() >= 2);
    assert_eq!(
        subs[0].1, subs[1].1,
        "the refresh is in the NOTIFY-created dialog"
    );
    assert!(failures(&pair).is_empty());
}

#[test]
fn interval_too_brief_raises_the_expiry() {
    let mut server = Server::new();
    server.challenge = None;
    server
        .subscribe_replies
        .push_back(Reply::status(423).with("Min-Expires", "900"));
    let mut pair = pair(server, 3, 60, false);
    pair.run_for(Duration::from_secs(10));
    assert_eq!(pair.client.sub.requested_expires(), 900);
    assert_eq!(subscribes(&pair)[1].2, Some(900));
    assert!(!summaries(&pair).is_empty());
}

#[test]
fn gone_on_refresh_starts_a_new_subscription() {
    let mut server = Server::new();
    server.challenge = None;
    server.max_expires = 600;
    let mut pair = pair(server, 4, 600, false);
    pair.run_for(Duration::from_secs(10));
    pair.server.subscribe_replies.push_back(Reply::status(481));
    pair.run_for(Duration::from_secs(600));
    let subs = subscribes(&pair);
    assert!(subs.len() >= 3, "{subs:?}");
    assert_eq!(subs[0].1, subs[1].1, "the refresh");
    assert_ne!(subs[1].1, subs[2].1, "a new subscription");
    assert!(
        (subs[2].0 - subs[1].0) < 1.0,
        "at once after a subscription that lasted"
    );
    assert!(
        pair.client
            .events
            .iter()
            .any(|(_, e)| *e == SubscriptionEvent::Stale(StaleReason::SubscriptionGone))
    );
    assert_eq!(pair.client.sub.state(), &SubscriptionState::Active);
}

fn terminated_after_a_while(reason: &str, seed: u64) -> Pair<Client> {
    let mut server = Server::new();
    server.challenge = None;
    let mut pair = pair(server, seed, 3600, false);
    pair.run_for(Duration::from_secs(120));
    let notify = pair.server.notify_in_dialog(reason);
    pair.server_sends(notify);
    pair.run_for(Duration::from_secs(1000));
    pair
}

#[test]
fn terminated_deactivated_and_timeout_resubscribe_at_once() {
    for (i, state) in ["terminated;reason=deactivated", "terminated;reason=timeout"]
        .iter()
        .enumerate()
    {
        let pair = terminated_after_a_while(state, 10 + i as u64);
        let subs = subscribes(&pair);
        assert_eq!(subs.len(), 2, "{state}: {subs:?}");
        assert!((120.0..121.0).contains(&subs[1].0), "{state}: {subs:?}");
        assert_ne!(subs[0].1, subs[1].1);
        assert_eq!(pair.client.sub.state(), &SubscriptionState::Active);
    }
}

#[test]
fn terminated_probation_waits_for_retry_after() {
    let pair = terminated_after_a_while("terminated;reason=probation;retry-after=300", 12);
    let subs = subscribes(&pair);
    assert_eq!(subs.len(), 2);
    assert!((420.0..421.0).contains(&subs[1].0), "{subs:?}");
}

#[test]
fn terminated_rejected_and_noresource_stop_with_the_reason() {
    for (state, reason) in [
        ("terminated;reason=rejected", SubscriptionFailure::Rejected),
        (
            "terminated;reason=noresource",
            SubscriptionFailure::NoResource,
        ),
    ] {
        let mut pair = terminated_after_a_while(state, 13);
        pair.run_for(Duration::from_secs(10 * 3600));
        assert_eq!(subscribes(&pair).len(), 1, "{state}");
        assert_eq!(pair.client.sub.state(), &SubscriptionState::Failed(reason));
    }
}

#[test]
fn asterisk_style_failures_keep_their_reason() {
    for (status, reason) in [
        (404, SubscriptionFailure::MailboxNotConfigured),
        (500, SubscriptionFailure::ServerSendsUnsolicited),
        (489, SubscriptionFailure::EventNotSupported),
        (403, SubscriptionFailure::Forbidden),
    ] {
        let mut server = Server::new();
        server.challenge = None;
        server.subscribe_replies.push_back(Reply::status(status));
        let mut pair = pair(server, 20 + u64::from(status), 3600, false);
        pair.run_for(Duration::from_secs(5));
        assert_eq!(failures(&pair), vec![reason], "{status}");
        assert!(matches!(
            pair.client.sub.state(),
            SubscriptionState::Waiting { .. }
        ));
        // It is retried later, and then works.
        pair.run_for(Duration::from_secs(200));
        assert_eq!(pair.client.sub.state(), &SubscriptionState::Active);
    }
}

/// The bound: a server that fails every SUBSCRIBE for one hour sees at most 8 attempts
/// (waits of at least 45, 90, 180, 360, 720, 720, 900 s: the 9th would be after 3915 s), and
/// with digest each attempt is two requests, so at most 16 SUBSCRIBEs.
#[test]
fn a_failing_server_sees_a_bounded_number_of_subscribes() {
    for (status, credentials, bound) in [(500, true, 16), (503, false, 8), (481, false, 8)] {
        let mut server = Server::new();
        if !credentials {
            server.challenge = None;
        }
        server.subscribe_always = Some(status);
        let mut pair = pair(server, 30, 3600, credentials);
        pair.run_for(Duration::from_secs(3600));
        let n = pair.server.count(&Method::Subscribe);
        assert!(n <= bound, "{status}: {n} SUBSCRIBEs in an hour");
        assert!(n >= 5, "{status}: still retrying ({n})");
    }
    // Also when every subscription is terminated at once by the server.
    let mut server = Server::new();
    server.challenge = None;
    server.notify_state = Some("terminated;reason=deactivated".into());
    let mut pair = pair(server, 31, 3600, false);
    pair.run_for(Duration::from_secs(3600));
    let n = pair.server.count(&Method::Subscribe);
    assert!(n <= 8, "{n} SUBSCRIBEs in an hour");
}

#[test]
fn bodies_no_information_and_errors() {
    let mut server = Server::new();
    server.challenge = None;
    server.summary_body = Vec::new();
    let mut pair = pair(server, 40, 3600, false);
    pair.run_for(Duration::from_secs(5));
    assert_eq!(summaries(&pair)[0].1, SummaryBody::NoInformation);

    pair.server.summary_body = b"Messages-Waiting: perhaps\r\n".to_vec();
    let notify = pair.server.notify_in_dialog("active;expires=3000");
    pair.server_sends(notify);
    pair.run_for(Duration::from_secs(5));
    assert!(
        pair.client
            .events
            .iter()
            .any(|(_, e)| matches!(e, SubscriptionEvent::BodyError(_)))
    );
    assert_eq!(summaries(&pair).len(), 1, "garbage is never a summary");
    // The garbage NOTIFY alone is answered 400; the subscription itself goes on.
    let answers = &pair.server.responses_to_notify;
    assert_eq!(answers.last(), Some(&400), "{answers:?}");
    assert!(answers[..answers.len() - 1].iter().all(|s| *s == 200));
    assert_eq!(pair.client.sub.state(), &SubscriptionState::Active);
}

#[test]
fn contact_change_refreshes_and_marks_stale() {
    let mut server = Server::new();
    server.challenge = None;
    let mut pair = pair(server, 41, 3600, false);
    pair.run_for(Duration::from_secs(30));
    let now = pair.now;
    {
        let Client { sub, rng, .. } = &mut pair.client;
        sub.set_contact(now, "sip:alice@198.51.100.7:40000", rng);
    }
    pair.run_for(Duration::from_secs(5));
    let last = pair.server.last(&Method::Subscribe).expect("subscribe");
    assert!(last.contacts[0].contains("198.51.100.7:40000"));
    assert_eq!(subscribes(&pair).len(), 2);
    assert!(
        pair.client
            .events
            .iter()
            .any(|(_, e)| *e == SubscriptionEvent::Stale(StaleReason::ContactChanged))
    );
    assert_eq!(summaries(&pair).len(), 2, "a fresh NOTIFY follows");
}

#[test]
fn shutdown_unsubscribes_with_expires_zero() {
    let mut pair = pair(Server::new(), 42, 3600, true);
    pair.run_for(Duration::from_secs(5));
    let now = pair.now;
    {
        let Client { sub, rng, .. } = &mut pair.client;
        sub.shutdown(now, rng);
    }
    pair.run_for(Duration::from_secs(5));
    let last = pair.server.last(&Method::Subscribe).expect("subscribe");
    assert_eq!(last.expires, Some(0));
    assert_eq!(pair.client.sub.state(), &SubscriptionState::Stopped);
    let before = pair.sent_by_client;
    pair.run_for(Duration::from_secs(7200));
    assert_eq!(pair.sent_by_client, before);
}

#[test]
fn no_notify_after_the_2xx_is_a_failure_and_retried() {
    let mut server = Server::new();
    server.challenge = None;
    server.notify_mode = NotifyMode::Silent;
    let mut pair = pair(server, 50, 3600, false);
    pair.run_for(Duration::from_secs(40));
    assert_eq!(failures(&pair), vec![SubscriptionFailure::NoNotify]);
    // 64·T1 after the 2xx.
    let failed_at = pair
        .client
        .events
        .iter()
        .find(|(_, e)| matches!(e, SubscriptionEvent::Failed { .. }))
        .map(|(t, _)| pair.elapsed(*t))
        .expect("failure");
    assert!((32.0..32.1).contains(&failed_at), "{failed_at}");
    pair.server.notify_mode = NotifyMode::AfterOk;
    pair.run_for(Duration::from_secs(100));
    assert_eq!(pair.client.sub.state(), &SubscriptionState::Active);
}

#[test]
fn a_lost_refresh_marks_stale_and_starts_over() {
    let mut server = Server::new();
    server.challenge = None;
    server.max_expires = 600;
    let mut pair = pair(server, 51, 600, false);
    pair.run_for(Duration::from_secs(10));
    // Every transmission of the refresh is lost (11 over UDP until timer F).
    pair.server.drop_next_requests = 11;
    pair.run_for(Duration::from_secs(600));
    assert!(
        pair.client
            .events
            .iter()
            .any(|(_, e)| *e == SubscriptionEvent::Stale(StaleReason::RefreshFailed))
    );
    assert!(failures(&pair).contains(&SubscriptionFailure::Timeout));
    pair.run_for(Duration::from_secs(200));
    assert_eq!(pair.client.sub.state(), &SubscriptionState::Active);
    let subs = subscribes(&pair);
    assert_ne!(subs.first().map(|s| &s.1), subs.last().map(|s| &s.1));
}

#[test]
fn a_shorter_expires_in_the_notify_brings_the_refresh_forward() {
    let mut server = Server::new();
    server.challenge = None;
    server.max_expires = 3600;
    server.notify_state = Some("active;expires=200".into());
    let mut pair = pair(server, 52, 3600, false);
    pair.run_for(Duration::from_secs(200));
    let subs = subscribes(&pair);
    assert_eq!(subs.len(), 2, "{subs:?}");
    assert!((170.0..=181.0).contains(&subs[1].0), "{subs:?}");
}

#[test]
fn proxy_challenges_are_answered() {
    let mut server = Server::new();
    server.proxy_auth = true;
    let mut pair = pair(server, 53, 3600, true);
    pair.run_for(Duration::from_secs(5));
    assert_eq!(pair.client.sub.state(), &SubscriptionState::Active);
    assert!(!summaries(&pair).is_empty());
}

#[test]
fn a_late_older_notify_never_overwrites_a_newer_one() {
    let mut server = Server::new();
    server.challenge = None;
    let mut pair = pair(server, 60, 3600, false);
    pair.run_for(Duration::from_secs(5));
    pair.server.summary_body = b"Messages-Waiting: yes\r\nVoice-Message: 5/0\r\n".to_vec();
    let older = pair.server.notify_in_dialog("active;expires=3000");
    pair.server.summary_body = b"Messages-Waiting: no\r\nVoice-Message: 0/5\r\n".to_vec();
    let newer = pair.server.notify_in_dialog("active;expires=3000");
    pair.server_sends(newer);
    pair.run_for(Duration::from_millis(100));
    pair.server_sends(older);
    pair.run_for(Duration::from_secs(1));
    let s = summaries(&pair);
    let SummaryBody::Summary(last) = &s.last().expect("summary").1 else {
        panic!("no summary");
    };
    assert_eq!(last.new_messages(), Some(0));
    assert_eq!(pair.server.responses_to_notify.last(), Some(&500));
}

#[test]
fn a_body_of_another_type_is_an_error_not_a_count() {
    let mut server = Server::new();
    server.challenge = None;
    let mut pair = pair(server, 61, 3600, false);
    pair.run_for(Duration::from_secs(5));
    let notify = pair.server.notify_in_dialog("active;expires=3000");
    let notify = String::from_utf8(notify)
        .expect("utf8")
        .replace("application/simple-message-summary", "text/plain")
        .into_bytes();
    pair.server_sends(notify);
    pair.run_for(Duration::from_secs(1));
    assert!(pair.client.events.iter().any(|(_, e)| matches!(
        e,
        SubscriptionEvent::BodyError(voicelamp_sip::SummaryError::UnexpectedContentType(t))
            if t == "text/plain"
    )));
    assert_eq!(summaries(&pair).len(), 1);
}

/// A server that ends every subscription with `deactivated` a little after [`MIN_HEALTHY`]
/// gets one immediate re-subscription per 10 minutes; the rest wait for the backoff.
#[test]
fn a_server_that_keeps_deactivating_cannot_drive_a_fast_loop() {
    let mut server = Server::new();
    server.challenge = None;
    let mut pair = pair(server, 62, 3600, false);
    for _ in 0..60 {
        pair.run_for(Duration::from_secs(61));
        if pair.client.sub.state() == &SubscriptionState::Active {
            let notify = pair
                .server
                .notify_in_dialog("terminated;reason=deactivated");
            pair.server_sends(notify);
        }
    }
    let n = pair.server.count(&Method::Subscribe);
    assert!(n <= 16, "{n} SUBSCRIBEs in an hour");
}

#[test]
fn a_notify_after_we_stopped_gets_481() {
    let mut server = Server::new();
    server.challenge = None;
    let mut pair = pair(server, 63, 3600, false);
    // Shut down while the first SUBSCRIBE is still in flight.
    let now = pair.now;
    {
        let Client { sub, rng, .. } = &mut pair.client;
        let _ = sub
            .poll_transmit()
            .map(|b| pair.server.handle_datagram(now, client_addr(), &b));
        sub.shutdown(now, rng);
    }
    pair.run_for(Duration::from_secs(5));
    assert_eq!(pair.client.sub.state(), &SubscriptionState::Stopped);
    assert_eq!(pair.server.responses_to_notify, vec![481]);
    assert!(summaries(&pair).is_empty());
}

#[test]
fn record_route_becomes_the_route_set_of_refreshes() {
    for mode in [NotifyMode::AfterOk, NotifyMode::BeforeOk] {
        let mut server = Server::new();
        server.challenge = None;
        server.max_expires = 300;
        server.notify_mode = mode.clone();
        server.record_route = vec![
            "<sip:p2.example.com;lr>".into(),
            "<sip:p1.example.com;lr>".into(),
        ];
        let mut pair = pair(server, 64, 300, false);
        pair.run_for(Duration::from_secs(300));
        let refresh = pair.server.last(&Method::Subscribe).expect("refresh");
        assert_eq!(
            refresh.routes,
            vec!["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"],
            "{mode:?}"
        );
    }
}

//! No server input may make the user agent send requests at round-trip rate: whatever the
//! registrar or notifier answers, the requests per simulated hour stay bounded.

mod common;

use common::ua::{Client, account, pair};
use common::{Pair, Reply, Server};
use std::time::Duration;
use voicelamp_sip::message::Method;
use voicelamp_sip::registration::RegistrationFailure;
use voicelamp_sip::subscription::SubscriptionFailure;
use voicelamp_sip::user_agent::{Event, RegistrationStatus};

const HOUR: Duration = Duration::from_secs(3600);

/// Challenges that alternate 401 and 407, each with a fresh nonce: no single one looks like
/// a refused answer.
fn alternating_challenges(n: usize) -> Vec<Reply> {
    (0..n)
        .map(|i| {
            let challenge = format!(
                "Digest realm=\"example.com\", nonce=\"fresh{i}\", algorithm=SHA-256, qop=\"auth\""
            );
            if i % 2 == 0 {
                Reply::status(401).with("WWW-Authenticate", &challenge)
            } else {
                Reply::status(407).with("Proxy-Authenticate", &challenge)
            }
        })
        .collect()
}

fn count(pair: &Pair<Client>, method: &Method) -> usize {
    pair.server.count(method)
}

#[test]
fn alternating_401_and_407_on_register_back_off() {
    let mut server = Server::new();
    server.challenge = None;
    server.register_replies = alternating_challenges(50_000).into();
    let (mut pair, _) = pair(server, account(&[]));
    pair.run_for(HOUR);
    let registers = count(&pair, &Method::Register);
    eprintln!("alternating 401/407 on REGISTER: {registers} REGISTER in one hour");
    assert!(registers <= 40, "{registers} REGISTER in an hour");
    let reasons: Vec<_> = pair
        .client
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Registration {
                state: RegistrationStatus::Failed { retry_in },
                reason: Some(reason),
                ..
            } => Some((reason.clone(), *retry_in)),
            _ => None,
        })
        .collect();
    assert!(!reasons.is_empty(), "the failure is reported");
    for (reason, retry_in) in reasons {
        assert!(retry_in.is_some(), "retried after the backoff");
        let RegistrationFailure::AuthUnsupported(words) = reason else {
            panic!("unexpected reason {reason:?}");
        };
        assert!(
            words.contains("check the user name and password"),
            "{words}"
        );
    }
}

#[test]
fn alternating_401_and_407_on_subscribe_back_off() {
    let mut server = Server::new();
    server.challenge = None;
    server.subscribe_replies = alternating_challenges(50_000).into();
    let (mut pair, _) = pair(server, account(&["sip:alice@example.com"]));
    pair.run_for(HOUR);
    let subscribes = count(&pair, &Method::Subscribe);
    eprintln!("alternating 401/407 on SUBSCRIBE: {subscribes} SUBSCRIBE in one hour");
    assert!(subscribes <= 40, "{subscribes} SUBSCRIBE in an hour");
    let failed = pair
        .client
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::MailboxFailed { why, retry_in, .. } => Some((why.clone(), *retry_in)),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert!(!failed.is_empty(), "the failure is reported");
    for (why, retry_in) in failed {
        assert!(retry_in.is_some(), "retried after the backoff");
        let SubscriptionFailure::AuthUnsupported(words) = why else {
            panic!("unexpected reason {why:?}");
        };
        assert!(
            words.contains("check the user name and password"),
            "{words}"
        );
    }
}

/// Requests of `method` the server saw: in the whole hour, and the most within any minute
/// after the first ten (the steady state, once the backoff has grown past its first steps).
fn rates(pair: &Pair<Client>, method: &Method) -> (usize, usize) {
    let times: Vec<Duration> = pair
        .server
        .seen
        .iter()
        .filter(|s| &s.method == method)
        .map(|s| s.at - pair.start)
        .collect();
    let steady: Vec<Duration> = times
        .iter()
        .copied()
        .filter(|t| *t >= Duration::from_secs(600))
        .collect();
    let per_minute = steady
        .iter()
        .map(|t| {
            steady
                .iter()
                .filter(|u| **u >= *t && **u < *t + Duration::from_secs(60))
                .count()
        })
        .max()
        .unwrap_or(0);
    (times.len(), per_minute)
}

/// Most requests per mailbox (or registration) per simulated hour, whatever the server says.
const MAX_PER_HOUR: usize = 60;
/// Most requests within one minute in the steady state.
const MAX_PER_MINUTE: usize = 2;

const REASONS: [Option<&str>; 9] = [
    Some("deactivated"),
    Some("probation"),
    Some("rejected"),
    Some("timeout"),
    Some("giveup"),
    Some("noresource"),
    Some("invariant"),
    Some("no-such-reason"),
    None,
];
const RETRY_AFTERS: [Option<&str>; 6] = [
    Some("0"),
    Some("1"),
    Some("4294967295"),
    Some("99999999999999999999"),
    Some("soon"),
    None,
];

fn terminated(reason: Option<&str>, retry_after: Option<&str>) -> String {
    let mut state = "terminated".to_owned();
    if let Some(r) = reason {
        state.push_str(&format!(";reason={r}"));
    }
    if let Some(r) = retry_after {
        state.push_str(&format!(";retry-after={r}"));
    }
    state
}

/// Every SUBSCRIBE is accepted and its first NOTIFY ends it at once.
#[test]
fn every_termination_at_once_is_retried_with_a_floor_and_backoff() {
    let mut report = Vec::new();
    for reason in REASONS {
        for retry_after in RETRY_AFTERS {
            let state = terminated(reason, retry_after);
            let mut server = Server::new();
            server.challenge = None;
            server.notify_state = Some(state.clone());
            let (mut pair, _) = pair(server, account(&["sip:alice@example.com"]));
            pair.run_for(HOUR);
            let (hour, minute) = rates(&pair, &Method::Subscribe);
            report.push(format!("{state}: {hour}/h, steady {minute}/min"));
            assert!(
                hour <= MAX_PER_HOUR && minute <= MAX_PER_MINUTE,
                "{state}: {hour} SUBSCRIBE in an hour, {minute} in one minute"
            );
        }
    }
    eprintln!("{}", report.join("\n"));
}

/// Every subscription becomes active and, a little after it counts as healthy, is ended.
#[test]
fn every_termination_of_a_healthy_subscription_is_bounded() {
    let mut report = Vec::new();
    for reason in REASONS {
        for retry_after in RETRY_AFTERS {
            let state = terminated(reason, retry_after);
            let mut server = Server::new();
            server.challenge = None;
            let (mut pair, id) = pair(server, account(&["sip:alice@example.com"]));
            for _ in 0..60 {
                pair.run_for(Duration::from_secs(61));
                let active = matches!(
                    pair.client
                        .ua
                        .subscription_state(id, "sip:alice@example.com"),
                    Some(voicelamp_sip::subscription::SubscriptionState::Active)
                );
                if active {
                    let notify = pair.server.notify_in_dialog(&state);
                    pair.server_sends(notify);
                }
            }
            let (hour, minute) = rates(&pair, &Method::Subscribe);
            report.push(format!(
                "healthy, then {state}: {hour}/h, steady {minute}/min"
            ));
            assert!(
                hour <= MAX_PER_HOUR && minute <= MAX_PER_MINUTE,
                "{state}: {hour} SUBSCRIBE in an hour, {minute} in one minute"
            );
        }
    }
    eprintln!("{}", report.join("\n"));
}

/// Every REGISTER gets the same failure (or a 423 that asks a little more each time).
#[test]
fn every_register_failure_is_retried_with_a_floor_and_backoff() {
    type Script = Box<dyn Fn(usize) -> Reply>;
    let cases: Vec<(&str, Script)> = vec![
        (
            "503 Retry-After: 0",
            Box::new(|_| Reply::status(503).with("Retry-After", "0")),
        ),
        (
            "503 Retry-After: 1",
            Box::new(|_| Reply::status(503).with("Retry-After", "1")),
        ),
        (
            "503 Retry-After: huge",
            Box::new(|_| Reply::status(503).with("Retry-After", "99999999999999999999")),
        ),
        (
            "503 Retry-After: garbage",
            Box::new(|_| Reply::status(503).with("Retry-After", "soon")),
        ),
        ("503", Box::new(|_| Reply::status(503))),
        (
            "423 Min-Expires one more each time",
            Box::new(|i| Reply::status(423).with("Min-Expires", &(3601 + i).to_string())),
        ),
        (
            "423 Min-Expires: 60 (less than asked)",
            Box::new(|_| Reply::status(423).with("Min-Expires", "60")),
        ),
        ("423 without Min-Expires", Box::new(|_| Reply::status(423))),
        ("500", Box::new(|_| Reply::status(500))),
        ("403", Box::new(|_| Reply::status(403))),
        ("404", Box::new(|_| Reply::status(404))),
        ("480", Box::new(|_| Reply::status(480))),
        (
            "200 Expires: 0",
            Box::new(|_| Reply::status(200).with("Expires", "0")),
        ),
    ];
    let mut report = Vec::new();
    for (name, script) in cases {
        let mut server = Server::new();
        server.challenge = None;
        server.register_replies = (0..20_000).map(&script).collect();
        let (mut pair, _) = pair(server, account(&[]));
        pair.run_for(HOUR);
        let (hour, minute) = rates(&pair, &Method::Register);
        report.push(format!("REGISTER, {name}: {hour}/h, steady {minute}/min"));
        assert!(
            hour <= MAX_PER_HOUR && minute <= MAX_PER_MINUTE,
            "{name}: {hour} REGISTER in an hour, {minute} in one minute"
        );
    }
    // No answer at all (timer F every time).
    let mut server = Server::new();
    server.challenge = None;
    server.drop_next_requests = u32::MAX;
    let (mut pair, _) = pair(server, account(&[]));
    pair.run_for(HOUR);
    let sent = pair.client.sent.len();
    report.push(format!(
        "REGISTER, no answer: {sent} datagrams/h with retransmissions"
    ));
    assert!(sent <= 11 * MAX_PER_HOUR, "{sent} datagrams in an hour");
    eprintln!("{}", report.join("\n"));
}

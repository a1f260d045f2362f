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

//! `check`: one account started on its own, its registration and the first answer of every
//! subscription awaited, and the outcome said in words — what works and what to fix.

use super::{Engine, EngineAccount, RuntimeError};
use crate::lamp::{registration_failure, stale_reason, subscription_failure};
use crate::{Config, SecretStore};
use std::fmt::Write as _;
use std::future::Future;
use std::time::Duration;
use voicelamp_net::TransportState;
use voicelamp_net::voicelamp_sip::registration::Bindings;
use voicelamp_net::voicelamp_sip::subscription::SubscriptionFailure;
use voicelamp_net::voicelamp_sip::{
    Event, MessageClass, MessageSummary, RegistrationStatus, Source, SummaryBody, Transport,
    Waiting,
};

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// The report, one finding per line.
    pub report: String,
    /// Whether everything works.
    pub ok: bool,
    /// Requests sent during the check, e.g. `("REGISTER", 2)`.
    pub requests_sent: Vec<(String, u64)>,
}

/// Starts account `account` of `config` alone, waits up to `wait` for its registration and every
/// subscription's first answer (or until `stop` completes), unregisters, and reports in words.
pub async fn check(
    config: &Config,
    account: &str,
    secrets: &dyn SecretStore,
    user_agent: &str,
    wait: Duration,
    stop: impl Future<Output = ()>,
) -> Result<Diagnosis, RuntimeError> {
    let (mut engine, _) = Engine::start(config, Some(account), secrets, user_agent)?;
    let deadline = tokio::time::Instant::now() + wait;
    tokio::pin!(stop);
    let mut failures = SameFailures::default();
    while !answered(&engine.accounts[0]) && failures.count < SAME_FAILURES_ENOUGH {
        tokio::select! {
            () = &mut stop => break,
            () = tokio::time::sleep_until(deadline) => break,
            changes = engine.next() => if changes.is_none() { break },
        }
        failures.saw(engine.accounts[0].transport.as_ref());
    }
    let snapshot = engine.net.handle.snapshot().await.ok();
    engine.shutdown().await;
    let (report, ok) = diagnose(&engine.accounts[0], wait.as_secs());
    let requests_sent = snapshot
        .map(|s| {
            s.requests_sent
                .iter()
                .map(|(m, n)| (m.clone(), *n))
                .collect()
        })
        .unwrap_or_default();
    Ok(Diagnosis {
        report,
        ok,
        requests_sent,
    })
}

/// Connection attempts in a row that failed with the same reason, after which `check` reports
/// instead of waiting on: the answer will not change (an untrusted certificate, a closed port).
/// With the driver's reconnect backoff the third comes about 3 s after the first.
const SAME_FAILURES_ENOUGH: u32 = 3;

/// Counts connection attempts in a row that failed the same way.
#[derive(Debug, Default)]
struct SameFailures {
    last: Option<TransportState>,
    count: u32,
}

impl SameFailures {
    /// Looks at the path's state after an event: a new `Down` (each attempt reports one, with
    /// its own retry time) with the reason of the one before counts one more; anything else
    /// starts over.
    fn saw(&mut self, now: Option<&TransportState>) {
        if now == self.last.as_ref() {
            return;
        }
        self.count = match (now, &self.last) {
            (
                Some(TransportState::Down { why, .. }),
                Some(TransportState::Down { why: before, .. }),
            ) if why == before => self.count + 1,
            (Some(TransportState::Down { .. }), _) => 1,
            _ => 0,
        };
        self.last = now.cloned();
    }
}

/// The registration ended one way or the other, and every mailbox has had an answer.
fn answered(account: &EngineAccount) -> bool {
    if account.net_id.is_none() {
        return true;
    }
    let registration_failed = account.history.iter().any(|e| {
        matches!(
            e,
            Event::Registration {
                state: RegistrationStatus::Failed { .. },
                ..
            }
        )
    });
    if registration_failed {
        return true;
    }
    account
        .mailboxes
        .iter()
        .all(|m| mailbox_outcome(account, m).is_some())
}

fn mailbox_outcome<'a>(account: &'a EngineAccount, mailbox: &str) -> Option<&'a Event> {
    account.history.iter().rev().find(|e| match e {
        Event::Mailbox { mailbox_uri, .. } | Event::MailboxFailed { mailbox_uri, .. } => {
            mailbox_uri == mailbox
        }
        _ => false,
    })
}

/// The report on one account's history in words, and whether everything works; `waited` is how
/// long the answers were waited for, in seconds.
pub fn diagnose(account: &EngineAccount, waited: u64) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    let _ = writeln!(out, "account {}", account.id);
    if account.net_id.is_none() {
        let why = account.problem.as_deref().unwrap_or("unknown reason");
        let _ = writeln!(out, "  not started: {why}");
        return (out, false);
    }
    let target = account
        .target
        .as_ref()
        .map(|t| {
            format!(
                "{}:{} over {}",
                t.host,
                t.port_or_default(),
                name(t.transport)
            )
        })
        .unwrap_or_default();
    let within = if waited == 0 {
        "yet".to_owned()
    } else {
        format!("within {waited} s")
    };
    // The path's last failure, which is then why nothing else could happen.
    let down = match &account.transport {
        Some(TransportState::Down { why, .. }) => Some(why.as_str()),
        _ => None,
    };
    // The path.
    match &account.transport {
        Some(TransportState::Up {
            transport,
            local,
            remote,
        }) => {
            let _ = writeln!(
                out,
                "  server: {remote} over {} from {local}",
                name(*transport)
            );
        }
        Some(TransportState::Down { .. }) => {
            ok = false;
            let _ = writeln!(out, "  server: {target}: no usable connection");
        }
        None => {
            ok = false;
            let _ = writeln!(out, "  server: {target}: no answer {within}");
        }
    }
    // Registration.
    let registration = account.history.iter().rev().find_map(|e| match e {
        // The shutdown at the end of the check unregisters: what counts is what came before.
        Event::Registration { state, .. } if *state == RegistrationStatus::Unregistered => None,
        Event::Registration { state, reason, .. } => Some((state, reason)),
        _ => None,
    });
    match registration {
        Some((RegistrationStatus::Registered { expires }, _)) => {
            let _ = writeln!(
                out,
                "  registration: registered; the server keeps it {expires} s and it is refreshed before then"
            );
        }
        Some((RegistrationStatus::Failed { retry_in }, reason)) => {
            ok = false;
            let why = reason
                .as_ref()
                .map_or_else(|| "no reason given".to_owned(), registration_failure);
            let retry = retry_in.map_or_else(
                || "not retried until the account is fixed".to_owned(),
                |d| format!("retried in {} s", d.as_secs()),
            );
            let _ = writeln!(out, "  registration: FAILED: {why} ({retry})");
        }
        Some((RegistrationStatus::Unregistered, _)) => {
            let _ = writeln!(out, "  registration: unregistered");
        }
        None if !account.register => {
            let _ = writeln!(
                out,
                "  registration: off (register = false): subscriptions only, sent at once"
            );
        }
        None => {
            ok = false;
            match down {
                Some(why) => {
                    let _ = writeln!(out, "  registration: not sent: {why}");
                }
                None => {
                    let _ = writeln!(out, "  registration: no answer {within}");
                }
            }
        }
    }
    // Other devices on the line (a desk phone), as the registrar's answer named them.
    let bindings = account.history.iter().rev().find_map(|e| match e {
        Event::Bindings { bindings, .. } => Some(bindings),
        _ => None,
    });
    if let Some(bindings) = bindings {
        for line in bindings_words(bindings) {
            let _ = writeln!(out, "  {line}");
        }
    }
    // Mailboxes.
    for mailbox in &account.mailboxes {
        let text = match mailbox_outcome(account, mailbox) {
            Some(Event::Mailbox {
                summary, source, ..
            }) => {
                let via = match source {
                    Source::Subscription => "subscribed",
                    Source::Unsolicited => "the server sends it unsolicited",
                };
                match summary {
                    SummaryBody::NoInformation => format!(
                        "{via}, but the server has no information about it yet (empty NOTIFY): \
                         it shows as unknown, never as 0; nothing may have been published for it, \
                         or the mailbox may not exist on the server"
                    ),
                    SummaryBody::Summary(s) => {
                        format!("{via}; the server reports {}", summary_words(s))
                    }
                }
            }
            Some(Event::MailboxFailed { why, retry_in, .. }) => {
                ok = false;
                match why {
                    SubscriptionFailure::MailboxNotConfigured => format!(
                        "server answered 404 to SUBSCRIBE for {mailbox}: the mailbox is not configured there; \
                         it may send unsolicited MWI instead"
                    ),
                    SubscriptionFailure::ServerSendsUnsolicited => format!(
                        "server answered 500 to SUBSCRIBE for {mailbox}: it most likely sends this mailbox \
                         unsolicited (Asterisk does when `mailboxes=` is set); keep unsolicited MWI accepted"
                    ),
                    other => subscription_failure(other, *retry_in),
                }
            }
            _ => {
                ok = false;
                let stale = account.history.iter().rev().find_map(|e| match e {
                    Event::MailboxStale {
                        mailbox_uri, why, ..
                    } if mailbox_uri == mailbox => Some(stale_reason(why)),
                    _ => None,
                });
                match stale {
                    Some(why) => format!("no current state: {why}"),
                    None if registration.is_some_and(|(s, _)| {
                        matches!(s, RegistrationStatus::Registered { .. })
                    }) =>
                    {
                        format!("no NOTIFY {within} after registering")
                    }
                    None if !account.register => {
                        format!("no NOTIFY {within} after subscribing")
                    }
                    None if down.is_some() => {
                        "not subscribed: there is no connection to the server (see above)"
                            .to_owned()
                    }
                    None => "not subscribed: the account is not registered".to_owned(),
                }
            }
        };
        let _ = writeln!(out, "  mailbox {mailbox}: {text}");
    }
    let unsolicited: Vec<&str> = account
        .history
        .iter()
        .filter_map(|e| match e {
            Event::Mailbox {
                mailbox_uri,
                source: Source::Unsolicited,
                ..
            } => Some(mailbox_uri.as_str()),
            _ => None,
        })
        .collect();
    if !unsolicited.is_empty() {
        let _ = writeln!(
            out,
            "  unsolicited MWI received for {}",
            unsolicited.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "  verdict: {}",
        if ok {
            "OK"
        } else {
            "problems found (see above)"
        }
    );
    (out, ok)
}

/// What the registrar's answer says about the line's other devices: a warning when our
/// REGISTER replaced one, the list of those that ring beside Voicelamp.
fn bindings_words(bindings: &Bindings) -> Vec<String> {
    let mut lines = Vec::new();
    let line = bindings
        .aor
        .split_once(':')
        .map_or(bindings.aor.as_str(), |(_, rest)| rest);
    let user = line.split_once('@').map_or(line, |(user, _)| user);
    if !bindings.replaced.is_empty() {
        lines.push(format!(
            "WARNING: the server keeps one registration for {user}: registering Voicelamp \
             replaced another device ({}); if a desk phone shares this line, set register = false \
             (subscribe-only: the lamp and voicemail still work, outgoing calls too) or give \
             Voicelamp a device of its own on the PBX",
            bindings.replaced.join(", ")
        ));
    }
    if !bindings.others.is_empty() {
        lines.push(format!(
            "other devices registered for {user}, ringing beside Voicelamp: {}",
            bindings.others.join(", ")
        ));
    }
    lines
}

fn name(transport: Transport) -> &'static str {
    match transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    }
}

fn summary_words(s: &MessageSummary) -> String {
    let waiting = match s.waiting {
        Waiting::Yes => "messages waiting",
        Waiting::No => "no messages waiting",
    };
    let mut parts = vec![waiting.to_owned()];
    for (class, c) in &s.classes {
        let label = match class {
            MessageClass::Voice => "voice".to_owned(),
            other => other.as_str().to_owned(),
        };
        let mut text = format!("{label} {} new, {} old", c.new, c.old);
        if let Some(u) = c.urgent_new.filter(|u| *u > 0) {
            let _ = write!(text, " ({u} urgent new)");
        }
        parts.push(text);
    }
    if let Some(account) = &s.account {
        parts.push(format!("for {account}"));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use voicelamp_net::Target;
    use voicelamp_net::voicelamp_sip::AccountId;

    fn account(transport: Option<TransportState>) -> EngineAccount {
        EngineAccount {
            id: "pbx".into(),
            net_id: Some(AccountId(0)),
            problem: None,
            mailboxes: vec!["sip:1001@127.0.0.1".into()],
            imap_feeds_lamp: false,
            register: true,
            imap_live: false,
            history: Default::default(),
            transport,
            target: Some(Target {
                host: "127.0.0.1".into(),
                port: Some(5061),
                transport: Transport::Tls,
            }),
            name: "pbx".into(),
            calls: Default::default(),
        }
    }

    #[test]
    fn a_replaced_device_is_a_warning_and_coexisting_ones_are_listed() {
        let bindings = |others: &[&str], replaced: &[&str]| Bindings {
            aor: "sip:1001@pbx.example.com".into(),
            others: others.iter().map(|s| s.to_string()).collect(),
            replaced: replaced.iter().map(|s| s.to_string()).collect(),
        };
        let mut pbx = account(Some(TransportState::Up {
            transport: Transport::Udp,
            local: "127.0.0.1:40000".parse().unwrap(),
            remote: "127.0.0.1:5060".parse().unwrap(),
        }));
        pbx.history.push_back(Event::Registration {
            account: AccountId(0),
            state: RegistrationStatus::Registered { expires: 600 },
            reason: None,
        });
        pbx.history.push_back(Event::Bindings {
            account: AccountId(0),
            bindings: bindings(&[], &["sip:1001@192.0.2.77:5062"]),
        });
        let (report, _) = diagnose(&pbx, 15);
        assert!(
            report.contains(
                "  WARNING: the server keeps one registration for 1001: registering Voicelamp \
                 replaced another device (sip:1001@192.0.2.77:5062); if a desk phone shares this \
                 line, set register = false (subscribe-only: the lamp and voicemail still work, \
                 outgoing calls too) or give Voicelamp a device of its own on the PBX\n"
            ),
            "{report}"
        );
        assert!(!report.contains("other devices"), "{report}");
        // The latest answer counts: the desk phone came back beside us.
        pbx.history.push_back(Event::Bindings {
            account: AccountId(0),
            bindings: bindings(&["sip:1001@192.0.2.77:5062", "sip:1001@192.0.2.78"], &[]),
        });
        let (report, _) = diagnose(&pbx, 15);
        assert!(!report.contains("WARNING"), "{report}");
        assert!(
            report.contains(
                "  other devices registered for 1001, ringing beside Voicelamp: \
                 sip:1001@192.0.2.77:5062, sip:1001@192.0.2.78\n"
            ),
            "{report}"
        );
    }

    #[test]
    fn only_new_attempts_failing_the_same_way_count() {
        let down = |why: &str, secs| TransportState::Down {
            why: why.into(),
            retry_in: Duration::from_millis(secs),
        };
        let mut failures = SameFailures::default();
        failures.saw(None);
        assert_eq!(failures.count, 0);
        failures.saw(Some(&down("refused", 800)));
        // Other events leave the state as it was: not a new attempt.
        failures.saw(Some(&down("refused", 800)));
        assert_eq!(failures.count, 1);
        failures.saw(Some(&down("refused", 1_800)));
        assert_eq!(failures.count, 2);
        failures.saw(Some(&down("certificate", 3_000)));
        assert_eq!(failures.count, 1);
        failures.saw(Some(&TransportState::Up {
            transport: Transport::Tls,
            local: "127.0.0.1:1".parse().unwrap(),
            remote: "127.0.0.1:2".parse().unwrap(),
        }));
        assert_eq!(failures.count, 0);
    }

    /// A connection that never came up is why nothing was registered: the report says so on the
    /// registration line, instead of a missing answer.
    #[test]
    fn a_refused_connection_is_named_as_the_registrations_cause() {
        let why = "TLS with 127.0.0.1:5061: the certificate of 127.0.0.1 is not trusted: it is \
                   signed by an authority this computer does not know; add …";
        let (report, ok) = diagnose(
            &account(Some(TransportState::Down {
                why: why.into(),
                retry_in: Duration::from_secs(3),
            })),
            15,
        );
        assert!(!ok);
        assert_eq!(
            report,
            format!(
                "account pbx\n  \
                 server: 127.0.0.1:5061 over TLS: no usable connection\n  \
                 registration: not sent: {why}\n  \
                 mailbox sip:1001@127.0.0.1: not subscribed: there is no connection to the \
                 server (see above)\n  \
                 verdict: problems found (see above)\n"
            )
        );
        // No state at all yet: then it is a missing answer, said for the time waited.
        let (report, _) = diagnose(&account(None), 15);
        assert!(
            report.contains("  registration: no answer within 15 s\n"),
            "{report}"
        );
        let (report, _) = diagnose(&account(None), 0);
        assert!(
            report.contains("  registration: no answer yet\n"),
            "{report}"
        );
    }
}

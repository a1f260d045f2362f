//! Why a lamp is not current, and why a registration or subscription failed, in words a person
//! can act on.

use std::time::Duration;
use voicelamp_sip::registration::RegistrationFailure;
use voicelamp_sip::subscription::{StaleReason, SubscriptionFailure};

pub(super) fn with_retry(text: String, retry_in: Option<Duration>) -> String {
    match retry_in {
        Some(d) => format!("{text}; trying again in {}", words(d)),
        None => format!("{text}; not tried again until the configuration or password changes"),
    }
}

fn words(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s.div_ceil(60)),
        s => format!("{} h", s.div_ceil(3600)),
    }
}

/// A registration failure in words.
pub fn registration_failure(failure: &RegistrationFailure) -> String {
    match failure {
        RegistrationFailure::WrongCredentials => {
            "the server refused the user name or password".to_owned()
        }
        RegistrationFailure::AuthUnsupported(what) => {
            format!("the server's authentication cannot be answered: {what}")
        }
        RegistrationFailure::Timeout => "the registrar did not answer".to_owned(),
        RegistrationFailure::Rejected { status, reason } => {
            format!("the registrar refused: {status} {reason}")
        }
        RegistrationFailure::IntervalTooBrief => {
            "the registrar wants a longer expiry but did not say how long (423 without Min-Expires)"
                .to_owned()
        }
        RegistrationFailure::NoBinding => {
            "the registrar's answer did not confirm our contact address".to_owned()
        }
    }
}

/// Why a mailbox went stale, in words.
pub fn stale_reason(why: &StaleReason) -> String {
    match why {
        StaleReason::SubscriptionGone => {
            "the server lost the subscription; subscribing again".to_owned()
        }
        StaleReason::Terminated(reason) => {
            format!("the server ended the subscription ({reason}); subscribing again if allowed")
        }
        StaleReason::ContactChanged => "our network address changed; subscribing again".to_owned(),
        StaleReason::FlowChanged => {
            "the connection to the server was re-established; subscribing again".to_owned()
        }
        StaleReason::RefreshFailed => "refreshing the subscription failed".to_owned(),
    }
}

/// A subscription failure in words, with whether it is tried again.
pub fn subscription_failure(why: &SubscriptionFailure, retry_in: Option<Duration>) -> String {
    let text = match why {
        SubscriptionFailure::MailboxNotConfigured => {
            "mailbox not configured on the server (404)".to_owned()
        }
        SubscriptionFailure::ServerSendsUnsolicited => {
            "server sends unsolicited MWI (500 to the subscription)".to_owned()
        }
        SubscriptionFailure::EventNotSupported => {
            "the server does not support message-waiting subscriptions (489)".to_owned()
        }
        SubscriptionFailure::Forbidden => "the server forbids this subscription (403)".to_owned(),
        SubscriptionFailure::WrongCredentials => {
            "the server refused the user name or password".to_owned()
        }
        SubscriptionFailure::AuthUnsupported(what) => {
            format!("the server's authentication cannot be answered: {what}")
        }
        SubscriptionFailure::Timeout => "the server did not answer the subscription".to_owned(),
        SubscriptionFailure::IntervalTooBrief => {
            "the server wants a longer expiry but did not say how long (423 without Min-Expires)"
                .to_owned()
        }
        SubscriptionFailure::NoNotify => {
            "the server accepted the subscription but sent no NOTIFY".to_owned()
        }
        SubscriptionFailure::Rejected => "the server rejected the subscription".to_owned(),
        SubscriptionFailure::NoResource => "the server says this mailbox does not exist".to_owned(),
        SubscriptionFailure::Status { status, reason } => {
            format!("the server answered the subscription with {status} {reason}")
        }
    };
    match retry_in {
        Some(_) => with_retry(text, retry_in),
        None => text,
    }
}

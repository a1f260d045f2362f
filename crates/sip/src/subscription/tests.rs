//! Tests of the subscription: route sets and failure reasons.

use super::*;

#[test]
fn route_list_splits_outside_brackets() {
    let r = route_list(&[
        "<sip:p1.example.com;lr>, <sip:p2.example.com;lr;x=\"a,b\">".into(),
        "<sip:p3;lr>".into(),
    ]);
    assert_eq!(
        r,
        vec![
            "<sip:p1.example.com;lr>",
            "<sip:p2.example.com;lr;x=\"a,b\">",
            "<sip:p3;lr>"
        ]
    );
}

#[test]
fn failure_reasons_are_diagnosable() {
    assert_eq!(
        SubscriptionFailure::from_status(404, "Not Found"),
        SubscriptionFailure::MailboxNotConfigured
    );
    assert_eq!(
        SubscriptionFailure::from_status(500, "x"),
        SubscriptionFailure::ServerSendsUnsolicited
    );
    assert_eq!(
        SubscriptionFailure::from_status(489, "x"),
        SubscriptionFailure::EventNotSupported
    );
    assert!(!SubscriptionFailure::Rejected.is_retried());
    assert!(SubscriptionFailure::Timeout.is_retried());
}

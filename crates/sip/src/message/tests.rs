//! Tests of SIP message parsing, building and redaction.

use super::parse::{lenient_address, lenient_via};
use super::*;
use proptest::prelude::*;

const NOTIFY: &str = "NOTIFY sip:alice@192.0.2.10:5060 SIP/2.0\r\n\
    Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;received=198.51.100.7;rport=40000\r\n\
    v: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1\r\n\
    f: <sip:alice@example.com>;tag=srv1\r\n\
    t: \"Alice\" <sip:alice@example.com>;tag=ua1\r\n\
    i: abc@192.0.2.1\r\n\
    CSeq: 7 NOTIFY\r\n\
    o: message-summary;id=42\r\n\
    Subscription-State: active;expires=3599\r\n\
    c: application/simple-message-summary; charset=utf-8\r\n\
    Content-Length: 23\r\n\
    \r\n\
    Messages-Waiting: yes\r\nEXTRA";

fn request(text: &str) -> Request {
    match Message::parse(text.as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

#[test]
fn parses_a_notify_with_compact_headers() {
    let r = request(NOTIFY);
    assert_eq!(r.method, Method::Notify);
    assert_eq!(r.uri, "sip:alice@192.0.2.10:5060");
    assert_eq!(r.uri_user.as_deref(), Some("alice"));
    assert_eq!(r.head.vias.len(), 2);
    let via = &r.head.vias[0];
    assert_eq!(via.transport, "UDP");
    assert_eq!(via.branch.as_deref(), Some("z9hG4bK776"));
    assert_eq!(via.received.as_deref(), Some("198.51.100.7"));
    assert_eq!(via.rport, Some(40000));
    assert_eq!(r.head.from.tag.as_deref(), Some("srv1"));
    assert_eq!(r.head.to.user.as_deref(), Some("alice"));
    assert_eq!(r.head.call_id, "abc@192.0.2.1");
    assert_eq!(r.head.cseq.seq, 7);
    assert_eq!(
        r.head.event(),
        Some(EventHeader {
            package: "message-summary".into(),
            id: Some("42".into())
        })
    );
    assert_eq!(
        r.head.subscription_state(),
        Some(SubscriptionState {
            state: SubState::Active,
            reason: None,
            expires: Some(3599),
            retry_after: None
        })
    );
    assert_eq!(
        r.head.content_type().as_deref(),
        Some("application/simple-message-summary")
    );
    assert_eq!(r.body, b"Messages-Waiting: yes\r\n");
}

#[test]
fn parses_a_response_with_lf_only_and_contacts() {
    let text = "SIP/2.0 200 OK\n\
        Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKx;rport=5062;received=2001:db8::9\n\
        From: <sip:alice@example.com>;tag=a\n\
        To: <sip:alice@example.com>;tag=b\n\
        Call-ID: c1\n\
        CSeq: 2 REGISTER\n\
        Contact: <sip:alice@192.0.2.10:5060>;expires=120, <sip:alice@other>;expires=60\n\
        Expires: 3600\n\
        Min-Expires: 60\n\
        Retry-After: 30 (busy);duration=10\n\
        \n";
    let Ok(Message::Response(r)) = Message::parse(text.as_bytes()) else {
        panic!("not a response");
    };
    assert_eq!(r.status, 200);
    assert_eq!(r.reason, "OK");
    assert_eq!(r.head.vias[0].host, "[2001:db8::1]");
    assert_eq!(r.head.vias[0].rport, Some(5062));
    assert_eq!(r.head.cseq.method, Method::Register);
    let contacts = r.head.contacts();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0].uri, "sip:alice@192.0.2.10:5060");
    assert_eq!(contacts[0].expires, Some(120));
    assert_eq!(r.head.expires(), Some(3600));
    assert_eq!(r.head.min_expires(), Some(60));
    assert_eq!(r.head.retry_after(), Some(30));
}

#[test]
fn redaction_hides_credentials() {
    let text = "REGISTER sip:r SIP/2.0\r\nauthorization: Digest username=\"a\",\r\n response=\"secret\"\r\n\
                Proxy-Authorization: Digest response=\"secret2\"\r\nCSeq: 1 REGISTER\r\n\r\n";
    let r = redact(text.as_bytes());
    assert!(!r.contains("secret"), "{r}");
    assert!(r.contains("authorization: <redacted>"));
    assert!(r.contains("CSeq: 1 REGISTER"));
    assert!(redact(&vec![b'x'; 10_000]).len() <= MAX_LOG_LEN);
}

#[test]
fn folded_header_lines() {
    let text = NOTIFY.replace(
        "Subscription-State: active;expires=3599",
        "Subscription-State: active;\r\n  expires=3599",
    );
    let r = request(&text);
    assert_eq!(
        r.head.subscription_state().and_then(|s| s.expires),
        Some(3599)
    );
    let text = NOTIFY.replace(
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch",
        "Via: SIP/2.0/UDP\r\n 192.0.2.1:5060;branch",
    );
    assert_eq!(request(&text).head.vias[0].host, "192.0.2.1");
}

#[test]
fn terminated_subscription_state() {
    let text = NOTIFY.replace(
        "Subscription-State: active;expires=3599",
        "Subscription-State: Terminated ; Reason=Probation; retry-after=99999999999",
    );
    let r = request(&text);
    assert_eq!(
        r.head.subscription_state(),
        Some(SubscriptionState {
            state: SubState::Terminated,
            reason: Some("probation".into()),
            expires: None,
            retry_after: Some(u32::MAX)
        })
    );
}

#[test]
fn rejects_broken_messages() {
    assert_eq!(Message::parse(b"\r\n\r\n").unwrap_err(), ParseError::Empty);
    assert!(is_keepalive(b"\r\n\r\n"));
    assert!(!is_keepalive(b""));
    assert_eq!(
        Message::parse(b"HELLO\r\n\r\n").unwrap_err(),
        ParseError::BadStartLine
    );
    assert_eq!(
        Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h").unwrap_err(),
        ParseError::Incomplete
    );
    let no_call_id = NOTIFY.replace("i: abc@192.0.2.1\r\n", "");
    assert_eq!(
        Message::parse(no_call_id.as_bytes()).unwrap_err(),
        ParseError::BadHeader("Call-ID")
    );
    let long_body = NOTIFY.replace("Content-Length: 23", "Content-Length: 2300");
    assert_eq!(
        Message::parse(long_body.as_bytes()).unwrap_err(),
        ParseError::BadContentLength
    );
    let big = vec![b'a'; MAX_MESSAGE_LEN + 1];
    assert!(matches!(Message::parse(&big), Err(ParseError::TooLarge(_))));
    let mut many = String::from("OPTIONS sip:a@b SIP/2.0\r\n");
    for _ in 0..=MAX_HEADER_LINES {
        many.push_str("X-A: b\r\n");
    }
    many.push_str("\r\n");
    assert_eq!(
        Message::parse(many.as_bytes()).unwrap_err(),
        ParseError::TooManyHeaders
    );
}

#[test]
fn builds_a_request_and_parses_it_back() {
    let bytes = MessageBuilder::request(&Method::Subscribe, "sip:*97@pbx.example.com")
        .header("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc;rport")
        .header("Max-Forwards", "70")
        .header("From", "<sip:alice@example.com>;tag=1")
        .header("To", "<sip:*97@pbx.example.com>")
        .header("Call-ID", "x\r\nInjected: yes")
        .header("CSeq", "1 SUBSCRIBE")
        .header("Event", "message-summary")
        .body("text/plain", b"hi")
        .build();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("SUBSCRIBE sip:*97@pbx.example.com SIP/2.0\r\n"));
    assert!(text.ends_with("Content-Length: 2\r\n\r\nhi"));
    let Ok(Message::Request(r)) = Message::parse(&bytes) else {
        panic!("does not parse back");
    };
    assert_eq!(r.head.call_id, "x  Injected: yes");
    assert_eq!(r.head.header("Injected"), None);
    assert_eq!(r.head.to.user.as_deref(), Some("*97"));
    assert_eq!(r.body, b"hi");
}

#[test]
fn response_to_copies_the_transaction_headers() {
    let r = request(NOTIFY);
    let bytes = MessageBuilder::response_to(&r, 200, "OK", Some("mine")).build();
    let Ok(Message::Response(resp)) = Message::parse(&bytes) else {
        panic!("does not parse back");
    };
    assert_eq!(resp.status, 200);
    assert_eq!(resp.head.vias, r.head.vias);
    assert_eq!(resp.head.call_id, r.head.call_id);
    assert_eq!(resp.head.cseq, r.head.cseq);
    // The request's To already had a tag: kept.
    assert_eq!(resp.head.to.tag.as_deref(), Some("ua1"));
}

#[test]
fn lenient_fallbacks_for_what_ezk_rejects() {
    // tel: URIs in From/To, escaped quotes in display names, lower-case Via protocol.
    let text = NOTIFY
        .replace(
            "f: <sip:alice@example.com>;tag=srv1",
            "f: \"Voice\\\"mail\" <tel:+15551234;phone-context=x>;tag=srv1",
        )
        .replace(
            "t: \"Alice\" <sip:alice@example.com>;tag=ua1",
            "t: tel:+15550000;tag=ua1",
        )
        .replace(
            "Via: SIP/2.0/UDP 192.0.2.1:5060",
            "via: sip/2.0/udp 192.0.2.1:5060",
        );
    let r = request(&text);
    assert_eq!(r.head.from.uri, "tel:+15551234;phone-context=x");
    assert_eq!(r.head.from.user.as_deref(), Some("+15551234"));
    assert_eq!(r.head.from.tag.as_deref(), Some("srv1"));
    assert_eq!(r.head.to.user.as_deref(), Some("+15550000"));
    assert_eq!(r.head.to.tag.as_deref(), Some("ua1"));
    assert_eq!(r.head.vias.len(), 2, "{:?}", r.head.vias);
    // A Via that cannot be read makes the message unusable rather than silently lost.
    let broken = NOTIFY.replace("Via: SIP/2.0/UDP 192.0.2.1:5060", "Via: SIP/2.0/UDP");
    assert_eq!(
        Message::parse(broken.as_bytes()).unwrap_err(),
        ParseError::BadHeader("Via")
    );
    assert_eq!(r.head.vias[0].transport, "UDP");
    assert_eq!(r.head.vias[0].branch.as_deref(), Some("z9hG4bK776"));
    assert_eq!(r.head.vias[0].rport, Some(40000));
    assert_eq!(r.head.vias[1].host, "proxy.example.com");
    assert_eq!(
        lenient_via("SIP/2.0/TCP [2001:db8::1]:5061;branch=b").map(|v| v.port),
        Some(Some(5061))
    );
    assert_eq!(lenient_via("SIP/3.0/TCP h"), None);
    assert_eq!(lenient_address("no uri here"), None);
}

#[test]
fn status_codes_outside_100_to_699_are_rejected() {
    for code in ["12", "99", "700", "1000"] {
        let text = format!(
            "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n\
             To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\n\r\n"
        );
        assert_eq!(
            Message::parse(text.as_bytes()).unwrap_err(),
            ParseError::BadStartLine,
            "{code}"
        );
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = Message::parse(&bytes);
    }

    #[test]
    fn mutated_notify_never_panics(pos in 0usize..NOTIFY.len(), byte in any::<u8>(), cut in 0usize..NOTIFY.len()) {
        let mut bytes = NOTIFY.as_bytes().to_vec();
        bytes[pos] = byte;
        let _ = Message::parse(&bytes);
        bytes.truncate(cut);
        if let Ok(Message::Request(r)) = Message::parse(&bytes) {
            let _ = (r.head.subscription_state(), r.head.event(), r.head.contacts());
        }
    }
}

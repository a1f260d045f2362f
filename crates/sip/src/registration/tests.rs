//! Tests of the registration state machine.

use super::*;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

#[test]
fn refresh_delay_is_about_90_percent_and_floored() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..100 {
        let d = refresh_delay(3600, &mut rng);
        assert!(d >= Duration::from_secs(3060) && d <= Duration::from_secs(3240));
    }
    assert_eq!(refresh_delay(1, &mut rng), MIN_REFRESH);
    assert_eq!(refresh_delay(0, &mut rng), MIN_REFRESH);
}

#[test]
fn contact_uri_per_transport() {
    let flow = |transport| Flow {
        transport,
        local: "192.0.2.10:5061".parse().expect("addr"),
        remote: "203.0.113.5:5061".parse().expect("addr"),
    };
    let reg = |aor: &str, transport| {
        let account = AccountConfig::new(aor, "sip:example.com", "alice", flow(transport));
        Registration::new(
            &account,
            TimerConfig::default(),
            BackoffConfig::default(),
            "t",
            &mut ChaCha8Rng::seed_from_u64(3),
        )
    };
    assert_eq!(
        reg("sip:alice@example.com", Transport::Udp).contact_uri(),
        "sip:alice@192.0.2.10:5061"
    );
    assert_eq!(
        reg("sip:alice@example.com", Transport::Tcp).contact_uri(),
        "sip:alice@192.0.2.10:5061;transport=tcp"
    );
    assert_eq!(
        reg("sip:alice@example.com", Transport::Tls).contact_uri(),
        "sip:alice@192.0.2.10:5061;transport=tls"
    );
    assert_eq!(
        reg("sips:alice@example.com", Transport::Tls).contact_uri(),
        "sips:alice@192.0.2.10:5061"
    );
}

#[test]
fn observed_address_only_when_the_server_says() {
    let local: SocketAddr = "192.0.2.10:5060".parse().expect("addr");
    assert_eq!(observed(&None, None, local), None);
    assert_eq!(
        observed(&Some("198.51.100.7".into()), Some(4000), local),
        Some("198.51.100.7:4000".parse().expect("addr"))
    );
    assert_eq!(
        observed(&None, Some(4000), local),
        Some("192.0.2.10:4000".parse().expect("addr"))
    );
    assert_eq!(
        observed(&Some("[2001:db8::1]".into()), None, local),
        Some("[2001:db8::1]:5060".parse().expect("addr"))
    );
    assert_eq!(observed(&Some("not-an-ip".into()), Some(1), local), None);
}

#[test]
fn a_register_lists_the_call_methods_only_when_the_account_takes_calls() {
    let flow = Flow {
        transport: Transport::Udp,
        local: "192.0.2.10:5060".parse().expect("addr"),
        remote: "203.0.113.5:5060".parse().expect("addr"),
    };
    let allow = |incoming| {
        let mut account =
            AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
        account.incoming_calls = incoming;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut reg = Registration::new(
            &account,
            TimerConfig::default(),
            BackoffConfig::default(),
            "t",
            &mut rng,
        );
        reg.start(Instant::now(), &mut rng);
        let bytes = reg.poll_transmit().expect("REGISTER");
        let text = String::from_utf8(bytes).expect("utf8");
        text.lines()
            .find_map(|l| l.strip_prefix("Allow: "))
            .map(str::to_owned)
            .expect("Allow")
    };
    use crate::config::IncomingCalls;
    assert_eq!(allow(IncomingCalls::Off), "NOTIFY, OPTIONS");
    assert!(allow(IncomingCalls::Ring).starts_with("INVITE, ACK, CANCEL, BYE"));
}

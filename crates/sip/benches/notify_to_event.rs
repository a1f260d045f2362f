//! NOTIFY datagram in → mailbox event out, through the whole user agent (unsolicited path,
//! which parses, judges trust, answers through a server transaction and emits the event), and
//! the body parser alone.

use criterion::{Criterion, criterion_group};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use voicelamp_sip::message::{Message, MessageBuilder};
use voicelamp_sip::{AccountConfig, Event, Flow, Input, Transport, UaConfig, UserAgent};

const BODY: &[u8] = b"Messages-Waiting: yes\r\nMessage-Account: sip:alice@example.com\r\n\
Voice-Message: 3/12 (1/0)\r\nFax-Message: 0/1\r\n";

fn registered_ua(now: Instant, server: SocketAddr) -> UserAgent {
    let flow = Flow {
        transport: Transport::Udp,
        local: "192.0.2.10:5060".parse().expect("addr"),
        remote: server,
    };
    let mut account = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
    account.mailboxes.clear();
    let mut ua = UserAgent::new(UaConfig::default(), ChaCha8Rng::seed_from_u64(1));
    ua.add_account(now, account).expect("account");
    let register = ua.poll_transmit().expect("REGISTER");
    let Ok(Message::Request(req)) = Message::parse(&register.payload) else {
        panic!("not a request");
    };
    let ok = MessageBuilder::response_to(&req, 200, "OK", Some("srv"))
        .header("Contact", "<sip:alice@192.0.2.10:5060>;expires=3600")
        .build();
    ua.handle_input(
        now,
        Input::Datagram {
            from: server,
            transport: Transport::Udp,
            bytes: ok,
        },
    );
    while ua.poll_event().is_some() {}
    while ua.poll_transmit().is_some() {}
    ua
}

fn notify(n: u64) -> Vec<u8> {
    MessageBuilder::request(
        &voicelamp_sip::message::Method::Notify,
        "sip:alice@192.0.2.10:5060",
    )
    .header(
        "Via",
        &format!("SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK{n}"),
    )
    .header("From", "<sip:asterisk@203.0.113.5>;tag=ast")
    .header("To", "<sip:alice@192.0.2.10:5060>")
    .header("Call-ID", &format!("mwi{n}"))
    .header("CSeq", "102 NOTIFY")
    .header("Event", "message-summary")
    .header("Subscription-State", "active")
    .body("application/simple-message-summary", BODY)
    .build()
}

/// One NOTIFY through the user agent: datagram in, 200 and mailbox event out. Datagrams 1 ms
/// apart: the server transaction table fills up to its bound (256) and stays there, the worst
/// case for matching.
fn step(ua: &mut UserAgent, datagrams: &[Vec<u8>], start: Instant, server: SocketAddr, i: usize) {
    let bytes = datagrams[i % datagrams.len()].clone();
    let now = start + Duration::from_millis(i as u64 + 1);
    ua.handle_input(
        now,
        Input::Datagram {
            from: server,
            transport: Transport::Udp,
            bytes,
        },
    );
    let answer = ua.poll_transmit().expect("200");
    let event = ua.poll_event().expect("event");
    assert!(matches!(event, Event::Mailbox { .. }));
    black_box((answer, event));
}

fn bench(c: &mut Criterion) {
    let server: SocketAddr = "203.0.113.5:5060".parse().expect("addr");
    let start = Instant::now();
    let mut ua = registered_ua(start, server);
    let datagrams: Vec<Vec<u8>> = (0..1024).map(notify).collect();
    let mut i = 0usize;
    c.bench_function("notify_datagram_to_mailbox_event", |b| {
        b.iter(|| {
            step(&mut ua, &datagrams, start, server, i);
            i += 1;
        })
    });
    c.bench_function("message_summary_parse", |b| {
        b.iter(|| black_box(voicelamp_sip::message_summary::parse(black_box(BODY))))
    });
}

/// Criterion reports means; the target is a p99. Times 100 000 single NOTIFYs (after 10 000
/// to warm up) and prints percentiles of the sorted samples.
fn percentiles() {
    const WARMUP: usize = 10_000;
    const SAMPLES: usize = 100_000;
    let server: SocketAddr = "203.0.113.5:5060".parse().expect("addr");
    let start = Instant::now();
    let mut ua = registered_ua(start, server);
    let datagrams: Vec<Vec<u8>> = (0..1024).map(notify).collect();
    for i in 0..WARMUP {
        step(&mut ua, &datagrams, start, server, i);
    }
    let mut samples: Vec<Duration> = (WARMUP..WARMUP + SAMPLES)
        .map(|i| {
            let t = Instant::now();
            step(&mut ua, &datagrams, start, server, i);
            t.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let at = |q: f64| samples[((SAMPLES as f64 * q) as usize).min(SAMPLES - 1)];
    println!(
        "notify_datagram_to_mailbox_event over {SAMPLES} samples: p50 {:?}, p99 {:?}, \
         p99.9 {:?}, max {:?}",
        at(0.50),
        at(0.99),
        at(0.999),
        samples[SAMPLES - 1]
    );
}

criterion_group!(benches, bench);

fn main() {
    percentiles();
    benches();
    Criterion::default().configure_from_args().final_summary();
}

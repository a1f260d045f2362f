//! Network changes: a network namespace and a veth pair made by this test (root), the lab's
//! Kamailio listening on the host end, the real `voicelamp-cli watch --json` inside the
//! namespace over UDP and TCP. The client's address is changed (a new one added, the old one
//! removed), then taken away and given back; each time every account must register again over
//! the new path within 5 s and its lamps must be stale in between. Prints the measured times.

use std::time::Duration;
use tokio::time::Instant;
use voicelamp_faults::{
    Lab, Watch, fresh_count, mailbox_event, ms, must, quietly, register_answers, registered_after,
    require_root, write_config,
};

const NS: &str = "vl-faults";
const HOST_IF: &str = "vlf-host";
const NS_IF: &str = "vlf-client";
const SERVER: &str = "10.231.36.1";
const FIRST: &str = "10.231.36.2";
const SECOND: &str = "10.231.36.3";

/// The namespace and veth pair; removed on drop (removing the namespace removes the pair).
struct Namespace;

impl Namespace {
    fn create() -> Self {
        quietly("ip", &["netns", "del", NS]);
        quietly("ip", &["link", "del", HOST_IF]);
        must("ip", &["netns", "add", NS]);
        let ns = Self;
        must(
            "ip",
            &[
                "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF,
            ],
        );
        must("ip", &["link", "set", NS_IF, "netns", NS]);
        must(
            "ip",
            &["addr", "add", &format!("{SERVER}/24"), "dev", HOST_IF],
        );
        must("ip", &["link", "set", HOST_IF, "up"]);
        must("ip", &["-n", NS, "link", "set", "lo", "up"]);
        // The new address of a change is added before the old one goes: the kernel keeps it
        // (instead of removing it with the old primary) only with promote_secondaries.
        for conf in ["all", NS_IF] {
            must(
                "ip",
                &[
                    "netns",
                    "exec",
                    NS,
                    "sysctl",
                    "-qw",
                    &format!("net.ipv4.conf.{conf}.promote_secondaries=1"),
                ],
            );
        }
        must(
            "ip",
            &[
                "-n",
                NS,
                "addr",
                "add",
                &format!("{FIRST}/24"),
                "dev",
                NS_IF,
            ],
        );
        must("ip", &["-n", NS, "link", "set", NS_IF, "up"]);
        ns
    }

    fn addr(&self, what: &str, address: &str) {
        must(
            "ip",
            &[
                "-n",
                NS,
                "addr",
                what,
                &format!("{address}/24"),
                "dev",
                NS_IF,
            ],
        );
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        quietly("ip", &["netns", "del", NS]);
        quietly("ip", &["link", "del", HOST_IF]);
    }
}

fn config(port: &str) -> String {
    format!(
        r#"
[[accounts]]
id = "udp-line"
aor = "sip:1003@127.0.0.1"
registrar = "sip:{SERVER}:{port}"
password_env = "VL_FAULT_PW_1003"
expires = 60

[[accounts]]
id = "tcp-line"
aor = "sip:1004@127.0.0.1"
registrar = "sip:{SERVER}:{port};transport=tcp"
password_env = "VL_FAULT_PW_1004"
expires = 60
"#
    )
}

const MAILBOXES: [&str; 2] = ["sip:1003@127.0.0.1", "sip:1004@127.0.0.1"];
const USERS: [&str; 2] = ["1003", "1004"];

/// Waits until every account registered again from `address` after `since` and every lamp was
/// stale and then current again; returns (registered, current) times in ms per account.
async fn recovered(
    watch: &mut Watch,
    since: Instant,
    address: &str,
    counts: [u64; 2],
    what: &str,
) -> (Vec<u128>, Vec<u128>, Vec<u128>) {
    let mut stale = Vec::new();
    let mut registered = Vec::new();
    let mut current = Vec::new();
    for (i, mailbox) in MAILBOXES.iter().enumerate() {
        let (stale_at, _) = watch
            .wait(
                Duration::from_secs(5),
                &format!("{mailbox} stale ({what})"),
                |w| mailbox_event(w, since, mailbox, |v| v["state"] == "stale"),
            )
            .await;
        stale.push(ms(since, stale_at));
        let contact = format!("sip:{}@{address}", USERS[i]);
        let at = watch
            .wait(
                Duration::from_secs(5),
                &format!("{} registered from {address} ({what})", USERS[i]),
                |w| registered_after(w, since, USERS[i], Some(&contact)),
            )
            .await;
        registered.push(ms(since, at));
        let want = counts[i];
        let (at, _) = watch
            .wait(
                Duration::from_secs(5),
                &format!("{mailbox} current ({what})"),
                |w| {
                    mailbox_event(w, stale_at, mailbox, |v| {
                        v["state"] == "active" && v["new"] == want
                    })
                },
            )
            .await;
        current.push(ms(since, at));
    }
    (stale, registered, current)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and the lab: tests/faults/run"]
async fn a_changed_or_returned_address_registers_again_at_once() {
    require_root("the network change test");
    let ns = Namespace::create();
    let lab = Lab::start(SERVER);
    let (_dir, path) = write_config(&config(&lab.sip_port));
    let mut watch = Watch::start(
        &["ip", "netns", "exec", NS],
        &path,
        &[
            ("VL_FAULT_PW_1003", "pw-1003"),
            ("VL_FAULT_PW_1004", "pw-1004"),
        ],
    );
    let start = Instant::now();
    watch
        .wait(Duration::from_secs(10), "the netlink watcher", |w| {
            w.log()
                .iter()
                .any(|l| l.line.contains("watching network changes"))
                .then_some(())
        })
        .await;
    let n = fresh_count();
    let counts = [n, n + 1];
    for (user, count) in USERS.iter().zip(counts) {
        lab.publish(&["--user", user, "--new", &count.to_string(), "--old", "0"]);
    }
    for (i, user) in USERS.iter().enumerate() {
        watch
            .wait(
                Duration::from_secs(10),
                &format!("{user} registered"),
                |w| registered_after(w, start, user, Some(&format!("sip:{user}@{FIRST}"))),
            )
            .await;
        let want = counts[i];
        watch
            .wait(
                Duration::from_secs(10),
                &format!("{} lit", MAILBOXES[i]),
                |w| {
                    mailbox_event(w, start, MAILBOXES[i], |v| {
                        v["state"] == "active" && v["new"] == want
                    })
                },
            )
            .await;
    }

    // The address changes (DHCP gave another, the old one is removed): a fresh flow from the
    // new address, without waiting for the registration to expire.
    ns.addr("add", SECOND);
    let changed = Instant::now();
    ns.addr("del", FIRST);
    let (stale, registered, current) =
        recovered(&mut watch, changed, SECOND, counts, "address changed").await;
    println!(
        "address changed: stale after {stale:?} ms, registered from the new address after \
         {registered:?} ms, lamps current after {current:?} ms (udp, tcp)"
    );

    // The network goes away: lamps stale; it comes back: registered again at once.
    let gone = Instant::now();
    ns.addr("del", SECOND);
    let mut stale = Vec::new();
    for mailbox in MAILBOXES {
        let (at, _) = watch
            .wait(
                Duration::from_secs(5),
                &format!("{mailbox} stale (network gone)"),
                |w| {
                    mailbox_event(w, gone, mailbox, |v| {
                        v["state"] == "stale"
                            && v["reason"]
                                .as_str()
                                .is_some_and(|r| r.contains("no network address"))
                    })
                },
            )
            .await;
        stale.push(ms(gone, at));
    }
    // Long enough without a network for the reconnect backoff to have grown.
    let waited = Instant::now();
    watch
        .wait(Duration::from_secs(20), "a few reconnect attempts", |w| {
            (w.log()
                .iter()
                .filter(|l| l.at >= waited && l.line.contains("path down"))
                .count()
                >= 3)
                .then_some(())
        })
        .await;
    let back = Instant::now();
    ns.addr("add", SECOND);
    let (_, registered, current) =
        recovered(&mut watch, back, SECOND, counts, "network back").await;
    println!(
        "network gone: stale after {stale:?} ms; back: registered after {registered:?} ms, \
         lamps current after {current:?} ms (udp, tcp)"
    );
    assert!(current.iter().all(|t| *t < 5000));
    drop(watch);
    drop(lab);
}

/// Waits until the client ran a network check after `since`.
async fn checked(watch: &mut Watch, since: Instant, what: &str) {
    watch
        .wait(
            Duration::from_secs(10),
            &format!("a network check ({what})"),
            |w| {
                w.log()
                    .iter()
                    .any(|l| l.at >= since && l.line.contains("network check"))
                    .then_some(())
            },
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and the lab: tests/faults/run"]
async fn a_flapping_link_registers_a_few_times_a_minute_and_recovers_once_it_settles() {
    require_root("the flapping link test");
    let ns = Namespace::create();
    let lab = Lab::start(SERVER);
    let (_dir, path) = write_config(&config(&lab.sip_port));
    let mut watch = Watch::start(
        &["ip", "netns", "exec", NS],
        &path,
        &[
            ("VL_FAULT_PW_1003", "pw-1003"),
            ("VL_FAULT_PW_1004", "pw-1004"),
        ],
    );
    let start = Instant::now();
    let n = fresh_count();
    let counts = [n, n + 1];
    for (user, count) in USERS.iter().zip(counts) {
        lab.publish(&["--user", user, "--new", &count.to_string(), "--old", "0"]);
    }
    for (i, mailbox) in MAILBOXES.iter().enumerate() {
        let want = counts[i];
        watch
            .wait(Duration::from_secs(10), &format!("{mailbox} lit"), |w| {
                mailbox_event(w, start, mailbox, |v| {
                    v["state"] == "active" && v["new"] == want
                })
            })
            .await;
    }

    // The link flaps: the address goes and comes back, each time as soon as the client has
    // looked at the change, 8 times.
    let flapping = Instant::now();
    let mut last_back = flapping;
    for cycle in 0..8 {
        let at = Instant::now();
        ns.addr("del", FIRST);
        checked(&mut watch, at, &format!("address gone, cycle {cycle}")).await;
        last_back = Instant::now();
        ns.addr("add", FIRST);
        checked(
            &mut watch,
            last_back,
            &format!("address back, cycle {cycle}"),
        )
        .await;
    }
    let settled = Instant::now();
    let flap_secs = settled.duration_since(flapping).as_secs_f64();
    let during: Vec<usize> = USERS
        .iter()
        .map(|user| register_answers(&watch, flapping, user, None).len())
        .collect();
    println!(
        "flapping link: 8 cycles in {flap_secs:.1} s, registrations during it {during:?} (udp, tcp)"
    );
    // At most 3 re-registrations over a fresh flow per account and minute (a fourth may be a
    // path that came back by its reconnect just as the third was decided).
    for (user, count) in USERS.iter().zip(&during) {
        assert!(
            *count <= 4,
            "{user}: {count} registrations in {flap_secs:.1} s of flapping: {during:?}\n{}",
            watch.dump()
        );
    }

    // Once it settles, every line comes back (a put-off re-registration is kept, not dropped):
    // registered after the address came back for the last time, lamp current.
    let mut back = Vec::new();
    for (i, user) in USERS.iter().enumerate() {
        let contact = format!("sip:{user}@{FIRST}");
        let want = counts[i];
        let at = watch
            .wait(
                Duration::from_secs(70),
                &format!("{user} registered and lit after the flapping"),
                |w| {
                    let registered = registered_after(w, last_back, user, Some(&contact))?;
                    let last = w
                        .events()
                        .into_iter()
                        .rfind(|(_, v)| v["type"] == "mailbox" && v["mailbox"] == MAILBOXES[i])?;
                    (last.1["state"] == "active" && last.1["new"] == want).then_some(registered)
                },
            )
            .await;
        back.push(ms(settled, at));
    }
    let times: Vec<Vec<u128>> = USERS
        .iter()
        .map(|user| {
            register_answers(&watch, flapping, user, None)
                .into_iter()
                .map(|t| ms(flapping, t))
                .collect()
        })
        .collect();
    println!(
        "flapping link: registrations at {times:?} ms after it began; back {back:?} ms after it \
         settled (udp, tcp)"
    );
    // In any 60 s: at most 3 re-registrations over a fresh flow per account (+1, as above), plus
    // the periodic refresh the registrar's 60 s expiry asks for.
    for (user, times) in USERS.iter().zip(&times) {
        for (i, first) in times.iter().enumerate() {
            let in_minute = times[i..]
                .iter()
                .take_while(|t| **t - first < 60_000)
                .count();
            assert!(
                in_minute <= 5,
                "{user}: {in_minute} registrations within 60 s: {times:?}\n{}",
                watch.dump()
            );
        }
    }
    drop(watch);
    drop(lab);
}

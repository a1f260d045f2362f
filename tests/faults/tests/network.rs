//! Network changes: a network namespace and a veth pair made by this test (root), the lab's
//! Kamailio listening on the host end, the real `voicelamp-cli watch --json` inside the
//! namespace over UDP and TCP. The client's address is changed (a new one added, the old one
//! removed), then taken away and given back; each time every account must register again over
//! the new path within 5 s and its lamps must be stale in between. Prints the measured times.

use std::time::Duration;
use tokio::time::Instant;
use voicelamp_faults::{
    Lab, Watch, fresh_count, mailbox_event, ms, must, quietly, registered_after, require_root,
    write_config,
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
                |w| registered_after(w, since, Some(&contact)),
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
                |w| registered_after(w, start, Some(&format!("sip:{user}@{FIRST}"))),
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

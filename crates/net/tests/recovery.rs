//! A registrar outage of a minute (Kamailio stopped, then started again with no memory of any
//! registration or subscription): lines over UDP, TCP and TLS go stale, send at most two
//! REGISTER/SUBSCRIBE requests per mailbox per minute while the server is away, and are all
//! active again (registered, and a NOTIFY of the new server for every mailbox) within 5 s of
//! the server's return. It runs its own lab (own directory and ports, see [`OwnLab`]) so that
//! the shared lab is not disturbed, and stops it at the end, also when the test fails.

mod common;

use common::{SECS, repo_root, wait_for};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use voicelamp_net::voicelamp_sip::auth::Credentials;
use voicelamp_net::voicelamp_sip::{Event, RegistrationStatus, Transport};
use voicelamp_net::{AccountSpec, NetConfig, NetEvent, TlsOptions, TransportState, spawn};

/// How long the server stays away.
const OUTAGE: Duration = Duration::from_secs(60);
/// The goal: every line active again this soon after the server is started again.
const RECOVERY: Duration = Duration::from_secs(5);

/// A private lab on `VOICELAMP_RECOVERY_LAB_PORT` (default 35470): SIP UDP/TCP on it, TLS on
/// +1, IMAP +2, IMAPS +3. Stopped on drop.
struct OwnLab {
    env: Vec<(String, String)>,
    port: u16,
    ca_file: PathBuf,
}

impl OwnLab {
    fn new() -> Self {
        let port: u16 = std::env::var("VOICELAMP_RECOVERY_LAB_PORT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(35470);
        let dir: PathBuf = std::env::temp_dir().join(format!("voicelamp-lab-recovery-{port}"));
        let env = vec![
            ("VOICELAMP_LAB_DIR".into(), dir.display().to_string()),
            ("LAB_SIP_UDP_PORT".into(), port.to_string()),
            ("LAB_SIP_TCP_PORT".into(), port.to_string()),
            ("LAB_SIP_TLS_PORT".into(), (port + 1).to_string()),
            ("LAB_IMAP_PORT".into(), (port + 2).to_string()),
            ("LAB_IMAPS_PORT".into(), (port + 3).to_string()),
        ];
        Self {
            env,
            port,
            ca_file: dir.join("tls/ca.pem"),
        }
    }

    fn lab(&self, args: &[&str]) {
        let output = std::process::Command::new(repo_root().join("tests/lab/lab"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .unwrap_or_else(|e| panic!("run tests/lab/lab: {e}"));
        assert!(
            output.status.success(),
            "lab {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn registrar(&self, transport: Transport) -> String {
        match transport {
            Transport::Udp => format!("sip:127.0.0.1:{}", self.port),
            Transport::Tcp => format!("sip:127.0.0.1:{};transport=tcp", self.port),
            Transport::Tls => format!("sip:127.0.0.1:{};transport=tls", self.port + 1),
        }
    }

    fn account(&self, user: &str, transport: Transport) -> AccountSpec {
        let mut spec = AccountSpec::new(
            &format!("sip:{user}@127.0.0.1"),
            &self.registrar(transport),
            Some(Credentials {
                username: user.to_owned(),
                password: format!("pw-{user}"),
            }),
        );
        spec.tls = TlsOptions {
            ca_file: Some(self.ca_file.clone()),
            insecure_skip_verify: false,
        };
        spec
    }
}

impl Drop for OwnLab {
    fn drop(&mut self) {
        let _ = std::process::Command::new(repo_root().join("tests/lab/lab"))
            .arg("stop")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output();
    }
}

/// REGISTER and SUBSCRIBE requests the driver has put on the wire.
async fn sip_requests(net: &voicelamp_net::Net) -> u64 {
    let snapshot = net.handle.snapshot().await.expect("snapshot");
    ["REGISTER", "SUBSCRIBE"]
        .iter()
        .map(|m| snapshot.requests_sent.get(*m).copied().unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn every_line_is_active_within_5_s_of_a_registrar_restart() {
    let lab = OwnLab::new();
    // Registrations and subscriptions of a minute: refreshes fall into the outage.
    lab.lab(&["start", "--users", "6", "--expires", "60"]);
    let lines = [
        ("1001", Transport::Udp),
        ("1002", Transport::Udp),
        ("1003", Transport::Tcp),
        ("1004", Transport::Tcp),
        ("1005", Transport::Tls),
        ("1006", Transport::Tls),
    ];
    let mut net = spawn(NetConfig::default());
    for (user, transport) in lines {
        let mut spec = lab.account(user, transport);
        spec.register_expires = 60;
        spec.subscribe_expires = 60;
        net.handle.add_account(spec).expect("driver runs");
    }
    let mailbox = |i: usize| format!("sip:{}@127.0.0.1", lines[i].0);
    let mut notified = HashSet::new();
    wait_for(&mut net, SECS(15), "first NOTIFY of every mailbox", |e| {
        if let NetEvent::Sip(Event::Mailbox { account, .. }) = e {
            notified.insert(account.0);
        }
        (notified.len() == lines.len()).then_some(())
    })
    .await;

    // The outage: every line must notice it (transport down or mailbox stale).
    let before = sip_requests(&net).await;
    lab.lab(&["sip-stop"]);
    let stopped = Instant::now();
    let mut noticed = HashSet::new();
    let deadline = tokio::time::Instant::now() + OUTAGE;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, net.events.recv()).await {
        match &event {
            NetEvent::Transport {
                account,
                state: TransportState::Down { .. },
            } => {
                noticed.insert(account.0);
            }
            NetEvent::Sip(Event::MailboxStale { account, .. }) => {
                noticed.insert(account.0);
            }
            _ => {}
        }
    }
    let during = sip_requests(&net).await - before;
    let outage = stopped.elapsed();

    // The return: from the moment Kamailio is started again until each line has registered
    // with the new server and heard the first NOTIFY of a new subscription.
    let started = Instant::now();
    lab.lab(&["sip-start"]);
    let answering = started.elapsed();
    let mut registered: BTreeMap<usize, Duration> = BTreeMap::new();
    let mut subscribed: BTreeMap<usize, Duration> = BTreeMap::new();
    let all_back = tokio::time::timeout(SECS(90), async {
        while registered.len() < lines.len() || subscribed.len() < lines.len() {
            match net.events.recv().await {
                Some(NetEvent::Sip(Event::Registration {
                    account,
                    state: RegistrationStatus::Registered { .. },
                    ..
                })) => {
                    registered.entry(account.0).or_insert(started.elapsed());
                }
                Some(NetEvent::Sip(Event::Mailbox {
                    account,
                    mailbox_uri,
                    ..
                })) if mailbox_uri == mailbox(account.0) => {
                    subscribed.entry(account.0).or_insert(started.elapsed());
                }
                Some(_) => {}
                None => panic!("the driver stopped"),
            }
        }
    })
    .await;
    let active: Vec<Option<Duration>> = (0..lines.len())
        .map(|i| Some((*registered.get(&i)?).max(*subscribed.get(&i)?)))
        .collect();
    let minutes = outage.as_secs_f64() / 60.0;
    let per_mailbox_minute = during as f64 / lines.len() as f64 / minutes;
    eprintln!(
        "outage {outage:.1?}; Kamailio answering {answering:.1?} after its start; \
         REGISTER+SUBSCRIBE during the outage: {during} ({per_mailbox_minute:.2} per mailbox per minute)"
    );
    for (i, (user, transport)) in lines.iter().enumerate() {
        eprintln!(
            "{transport:?} {user}: noticed the outage {}, registered {:?}, subscribed {:?}, active {:?} after the start",
            noticed.contains(&i),
            registered.get(&i),
            subscribed.get(&i),
            active[i]
        );
    }
    net.handle.shutdown().await.expect("shutdown");

    assert!(
        all_back.is_ok(),
        "not every line was active again within 90 s of the restart"
    );
    for (i, (user, transport)) in lines.iter().enumerate() {
        assert!(
            noticed.contains(&i),
            "{transport:?} line {user} never went stale while the server was away"
        );
        let took = active[i].expect("active");
        assert!(
            took <= RECOVERY,
            "{transport:?} line {user} was active again only {took:?} after the server's start \
             (goal: {RECOVERY:?})"
        );
    }
    assert!(
        per_mailbox_minute <= 2.0,
        "{during} REGISTER/SUBSCRIBE requests in {outage:?} for {} mailboxes while the server was away \
         ({per_mailbox_minute:.2} per mailbox per minute, at most 2 allowed)",
        lines.len()
    );
}

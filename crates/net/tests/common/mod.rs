//! Shared helpers of the lab tests: where the lab is, publishing MWI, waiting for events.

#![allow(dead_code)]

pub mod sipp;

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;
use voicelamp_net::voicelamp_sip::auth::Credentials;
use voicelamp_net::voicelamp_sip::{
    Counts, Event, MessageClass, RegistrationStatus, SummaryBody, Transport,
};
use voicelamp_net::{AccountSpec, Net, NetEvent, TlsOptions, TransportState};

/// The lab's addresses, from `LAB_*` variables with the lab's defaults.
#[derive(Debug, Clone)]
pub struct Lab {
    pub host: String,
    pub host6: String,
    pub udp_port: u16,
    pub tcp_port: u16,
    pub tls_port: u16,
    pub domain: String,
    pub ca_file: PathBuf,
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The repository root (the lab scripts live in `tests/lab`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Lab {
    /// Reads the environment and checks that the lab answers; panics with what to do if not.
    pub fn get() -> Self {
        let dir = var("VOICELAMP_LAB_DIR", "/tmp/voicelamp-lab");
        let lab = Self {
            host: var("LAB_SIP_HOST", "127.0.0.1"),
            host6: std::env::var("LAB_SIP_HOST6").unwrap_or_else(|_| "::1".into()),
            udp_port: var("LAB_SIP_UDP_PORT", "35060")
                .parse()
                .expect("LAB_SIP_UDP_PORT"),
            tcp_port: var("LAB_SIP_TCP_PORT", "35060")
                .parse()
                .expect("LAB_SIP_TCP_PORT"),
            tls_port: var("LAB_SIP_TLS_PORT", "35061")
                .parse()
                .expect("LAB_SIP_TLS_PORT"),
            domain: var("LAB_SIP_DOMAIN", "127.0.0.1"),
            ca_file: PathBuf::from(var("LAB_CA_FILE", &format!("{dir}/tls/ca.pem"))),
        };
        let addr: SocketAddr = format!("{}:{}", lab.host, lab.tcp_port)
            .parse()
            .expect("LAB_SIP_HOST is an IP address");
        if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
            panic!(
                "the lab's Kamailio does not answer on {addr}: start it with \
                 `tests/lab/lab start --expires 10` and `eval \"$(tests/lab/lab env)\"` \
                 (scripts/test does both)"
            );
        }
        lab
    }

    pub fn aor(&self, user: &str) -> String {
        format!("sip:{user}@{}", self.domain)
    }

    pub fn registrar(&self, transport: Transport) -> String {
        match transport {
            Transport::Udp => format!("sip:{}:{}", self.host, self.udp_port),
            Transport::Tcp => format!("sip:{}:{};transport=tcp", self.host, self.tcp_port),
            Transport::Tls => format!("sip:{}:{};transport=tls", self.host, self.tls_port),
        }
    }

    /// An account of a lab user over `transport`, TLS verified with the lab CA.
    pub fn account(&self, user: &str, transport: Transport) -> AccountSpec {
        let mut spec = AccountSpec::new(
            &self.aor(user),
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

/// Runs `tests/lab/publish-mwi` with these arguments; panics when it fails.
pub async fn publish(args: &[&str]) {
    let output = tokio::process::Command::new(repo_root().join("tests/lab/publish-mwi"))
        .args(args)
        .output()
        .await
        .expect("run tests/lab/publish-mwi");
    assert!(
        output.status.success(),
        "publish-mwi {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Waits (bounded) for the first event for which `pick` returns something; panics with every
/// event seen when the time runs out.
pub async fn wait_for<T>(
    net: &mut Net,
    within: Duration,
    what: &str,
    mut pick: impl FnMut(&NetEvent) -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, net.events.recv()).await {
            Ok(Some(event)) => {
                if let Some(found) = pick(&event) {
                    return found;
                }
                seen.push(event);
            }
            Ok(None) => panic!("the driver stopped while waiting for {what}; events: {seen:#?}"),
            Err(_) => panic!("no {what} within {within:?}; events: {seen:#?}"),
        }
    }
}

/// Collects events until `deadline`, panicking on the first one `bad` refuses.
pub async fn watch_until(
    net: &mut Net,
    deadline: Instant,
    mut bad: impl FnMut(&NetEvent) -> bool,
) -> Vec<NetEvent> {
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, net.events.recv()).await {
            Ok(Some(event)) => {
                assert!(!bad(&event), "unexpected {event:#?} after {seen:#?}");
                seen.push(event);
            }
            Ok(None) => panic!("the driver stopped; events: {seen:#?}"),
            Err(_) => return seen,
        }
    }
}

/// The mailbox state of an event for `mailbox`, if it is one.
pub fn mailbox_event<'a>(event: &'a NetEvent, mailbox: &str) -> Option<&'a SummaryBody> {
    match event {
        NetEvent::Sip(Event::Mailbox {
            mailbox_uri,
            summary,
            ..
        }) if mailbox_uri == mailbox => Some(summary),
        _ => None,
    }
}

/// The voice-message counts of a summary (`None` for no information).
pub fn voice(summary: &SummaryBody) -> Option<Counts> {
    match summary {
        SummaryBody::Summary(s) => s.classes.get(&MessageClass::Voice).copied(),
        SummaryBody::NoInformation => None,
    }
}

pub fn counts(new: u32, old: u32, urgent_new: u32, urgent_old: u32) -> Counts {
    Counts {
        new,
        old,
        urgent_new: Some(urgent_new),
        urgent_old: Some(urgent_old),
    }
}

pub const SECS: fn(u64) -> Duration = Duration::from_secs;

/// For [`wait_for`]: a registration; panics on a failed registration or a transport down.
pub fn registered(event: &NetEvent) -> Option<()> {
    match event {
        NetEvent::Sip(Event::Registration {
            state: RegistrationStatus::Registered { .. },
            ..
        }) => Some(()),
        NetEvent::Sip(Event::Registration {
            state: RegistrationStatus::Failed { .. },
            reason,
            ..
        }) => panic!("registration failed: {reason:?}"),
        NetEvent::Transport {
            state: TransportState::Down { why, .. },
            ..
        } => panic!("transport down: {why}"),
        _ => None,
    }
}

#[path = "../../../../tests/lab/tls_front.rs"]
mod tls_front;
pub use tls_front::TlsFront;

impl Lab {
    /// `tests/lab/tls-front` in front of the lab's SIP/TCP port, its certificate made out to
    /// `names`.
    pub fn tls_front(&self, names: &str) -> TlsFront {
        TlsFront::start(
            &repo_root(),
            names,
            &format!("{}:{}", self.host, self.tcp_port),
        )
    }

    /// An account of lab user `user` registering over TLS through `front`, its `ca_file`
    /// listing exactly the front's certificate.
    pub fn account_via(&self, front: &TlsFront, user: &str) -> AccountSpec {
        let mut spec = self.account(user, Transport::Tls);
        spec.registrar = format!("sip:{}:{};transport=tls", self.host, front.port);
        spec.tls.ca_file = Some(front.cert.clone());
        spec
    }
}

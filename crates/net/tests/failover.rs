//! Failover between the addresses of one server name (RFC 3263 §4.3): two lab Kamailios behind
//! the SRV records of `pbx.voicelamp.test` (priority 10 first, 20 second), served by a `dnsmasq`
//! on loopback that the driver asks through the test-only `NetConfig::dns_server`. Lines over
//! UDP, TCP and TLS register on the first; when it dies they move to the second by themselves, and a
//! line started while the first is dead registers on the second. Own labs and ports (see
//! [`ports`]), stopped on drop, also when the test fails.

mod common;

use common::{SECS, repo_root, wait_for};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use voicelamp_net::voicelamp_sip::auth::Credentials;
use voicelamp_net::voicelamp_sip::{AccountId, Event, RegistrationStatus};
use voicelamp_net::{AccountSpec, Net, NetConfig, NetEvent, TlsOptions, TransportState, spawn};

const NAME: &str = "pbx.voicelamp.test";

/// `VOICELAMP_FAILOVER_LAB_PORT` (default 35480): the first lab on it (SIP UDP/TCP, TLS +1,
/// IMAP +2, IMAPS +3), the second on +4 .. +7, the DNS server on +8.
fn ports() -> (u16, u16, u16) {
    let base: u16 = std::env::var("VOICELAMP_FAILOVER_LAB_PORT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(35480);
    (base, base + 4, base + 8)
}

/// A private lab that takes [`NAME`] as its own, stopped on drop.
struct OwnLab {
    env: Vec<(String, String)>,
    ca_file: PathBuf,
}

impl OwnLab {
    fn new(port: u16) -> Self {
        let dir: PathBuf = std::env::temp_dir().join(format!("voicelamp-lab-failover-{port}"));
        let env = vec![
            ("VOICELAMP_LAB_DIR".into(), dir.display().to_string()),
            ("LAB_SIP_UDP_PORT".into(), port.to_string()),
            ("LAB_SIP_TCP_PORT".into(), port.to_string()),
            ("LAB_SIP_TLS_PORT".into(), (port + 1).to_string()),
            ("LAB_IMAP_PORT".into(), (port + 2).to_string()),
            ("LAB_IMAPS_PORT".into(), (port + 3).to_string()),
            ("LAB_SIP_ALIAS".into(), NAME.into()),
        ];
        Self {
            env,
            ca_file: dir.join("tls/ca.pem"),
        }
    }

    fn lab(&self, args: &[&str]) {
        let output = Command::new(repo_root().join("tests/lab/lab"))
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
}

impl Drop for OwnLab {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("tests/lab/lab"))
            .arg("stop")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output();
    }
}

/// `dnsmasq` on 127.0.0.1:`port` with the SRV records of [`NAME`] and nothing else; killed
/// on drop.
struct Dns(Child);

impl Dns {
    fn start(port: u16, first: u16, second: u16) -> Self {
        let mut args = vec![
            "--keep-in-foreground".to_owned(),
            "--conf-file=/dev/null".into(),
            "--no-resolv".into(),
            "--no-hosts".into(),
            "--pid-file=".into(),
            "--listen-address=127.0.0.1".into(),
            "--bind-interfaces".into(),
            format!("--port={port}"),
            format!("--host-record=a.{NAME},127.0.0.1"),
            format!("--host-record=b.{NAME},127.0.0.1"),
        ];
        // TLS one port above (the labs' layout).
        for (service, a, b) in [
            ("_sip._udp", first, second),
            ("_sip._tcp", first, second),
            ("_sips._tcp", first + 1, second + 1),
        ] {
            args.push(format!("--srv-host={service}.{NAME},a.{NAME},{a},10,0"));
            args.push(format!("--srv-host={service}.{NAME},b.{NAME},{b},20,0"));
        }
        let child = Command::new("dnsmasq")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run dnsmasq (Debian dnsmasq-base, installed by scripts/setup)");
        let dns = Self(child);
        // Ready when it accepts DNS over TCP.
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + SECS(10);
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dnsmasq did not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        dns
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn account(user: &str, registrar: &str) -> AccountSpec {
    let mut spec = AccountSpec::new(
        &format!("sip:{user}@127.0.0.1"),
        registrar,
        Some(Credentials {
            username: user.to_owned(),
            password: format!("pw-{user}"),
        }),
    );
    spec.register_expires = 60;
    spec.subscribe_expires = 60;
    spec
}

/// Waits until each account is up towards its port, registered there and has a NOTIFY of its
/// mailbox after that; returns how long each took.
async fn active_on(net: &mut Net, lines: &[(AccountId, u16)], within: Duration) -> Vec<Duration> {
    let start = Instant::now();
    // Per line: up towards its port, registered there, and when it was active.
    let mut state = vec![(false, false, None::<Duration>); lines.len()];
    wait_for(net, within, &format!("lines {lines:?} active"), |e| {
        for (i, (account, port)) in lines.iter().enumerate() {
            let (up, registered, active) = &mut state[i];
            match e {
                NetEvent::Transport {
                    account: a,
                    state: TransportState::Up { remote, .. },
                } if a == account => {
                    *up = remote.port() == *port;
                    *registered = false;
                }
                NetEvent::Sip(Event::Registration {
                    account: a,
                    state: RegistrationStatus::Registered { .. },
                    ..
                }) if a == account && *up => *registered = true,
                NetEvent::Sip(Event::Mailbox { account: a, .. })
                    if a == account && *registered && active.is_none() =>
                {
                    *active = Some(start.elapsed());
                }
                _ => {}
            }
        }
        state.iter().all(|s| s.2.is_some()).then_some(())
    })
    .await;
    state.iter().filter_map(|s| s.2).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_dead_first_srv_target_fails_over_to_the_second() {
    let (first_port, second_port, dns_port) = ports();
    let first = OwnLab::new(first_port);
    let second = OwnLab::new(second_port);
    first.lab(&["start", "--users", "4", "--expires", "60"]);
    second.lab(&["start", "--users", "4", "--expires", "60"]);
    let _dns = Dns::start(dns_port, first_port, second_port);
    let mut net = spawn(NetConfig {
        dns_server: Some(([127, 0, 0, 1], dns_port).into()),
        ..NetConfig::default()
    });
    let udp = net
        .handle
        .add_account(account("1001", &format!("sip:{NAME}")))
        .expect("driver runs");
    let tcp = net
        .handle
        .add_account(account("1002", &format!("sip:{NAME};transport=tcp")))
        .expect("driver runs");
    // TLS: each lab has its own CA; the server certificates name NAME (LAB_SIP_ALIAS).
    let cas = std::env::temp_dir().join(format!("voicelamp-failover-cas-{first_port}.pem"));
    let mut pem = std::fs::read(&first.ca_file).expect("first CA");
    pem.extend(std::fs::read(&second.ca_file).expect("second CA"));
    std::fs::write(&cas, pem).expect("CA bundle");
    let mut spec = account("1003", &format!("sips:{NAME}"));
    spec.tls = TlsOptions {
        ca_file: Some(cas),
        insecure_skip_verify: false,
    };
    let tls = net.handle.add_account(spec).expect("driver runs");
    // RFC 3263 order: all start on the first target (priority 10).
    let on_first = [(udp, first_port), (tcp, first_port), (tls, first_port + 1)];
    let took = active_on(&mut net, &on_first, SECS(10)).await;
    eprintln!("UDP, TCP and TLS lines active on the first target after {took:?}");

    // The first target dies: each line moves to the second by itself.
    first.lab(&["sip-stop"]);
    let on_second = [
        (udp, second_port),
        (tcp, second_port),
        (tls, second_port + 1),
    ];
    let took = active_on(&mut net, &on_second, SECS(40)).await;
    eprintln!("UDP, TCP and TLS lines active on the second target {took:?} after the first died");

    // A line started while the first target is dead registers on the second.
    let late = net
        .handle
        .add_account(account("1004", &format!("sip:{NAME};transport=tcp")))
        .expect("driver runs");
    let took = active_on(&mut net, &[(late, second_port)], SECS(10)).await;
    eprintln!(
        "a TCP line started with the first target dead was active on the second after {took:?}"
    );
    net.handle.shutdown().await.expect("shutdown");
}

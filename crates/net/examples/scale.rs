//! Scale figures against the lab: N accounts (lab users 1001..1000+N, each subscribed to its own
//! mailbox) on one driver; prints the time until every account is registered and every mailbox
//! has had its first NOTIFY, and the resident memory after an idle period.
//!
//! ```sh
//! tests/lab/lab start --users 50 && eval "$(tests/lab/lab env)"
//! cargo run --release -p voicelamp-net --example scale -- --accounts 50 --transport udp --idle 30
//! ```

use std::collections::HashSet;
use std::time::{Duration, Instant};
use voicelamp_net::voicelamp_sip::auth::Credentials;
use voicelamp_net::voicelamp_sip::{Event, RegistrationStatus};
use voicelamp_net::{AccountSpec, NetConfig, NetEvent, TlsOptions, spawn};

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut accounts = 50usize;
    let mut transport = "udp".to_owned();
    let mut idle = 30u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--accounts" => accounts = value.parse()?,
            "--transport" => transport = value,
            "--idle" => idle = value.parse()?,
            _ => return Err(format!("unknown argument {arg}").into()),
        }
    }
    let host = var("LAB_SIP_HOST", "127.0.0.1");
    let domain = var("LAB_SIP_DOMAIN", "127.0.0.1");
    let registrar = match transport.as_str() {
        "udp" => format!("sip:{host}:{}", var("LAB_SIP_UDP_PORT", "35060")),
        "tcp" => format!(
            "sip:{host}:{};transport=tcp",
            var("LAB_SIP_TCP_PORT", "35060")
        ),
        "tls" => format!(
            "sip:{host}:{};transport=tls",
            var("LAB_SIP_TLS_PORT", "35061")
        ),
        other => return Err(format!("unknown transport {other}").into()),
    };
    let ca_file = var(
        "LAB_CA_FILE",
        &format!(
            "{}/tls/ca.pem",
            var("VOICELAMP_LAB_DIR", "/tmp/voicelamp-lab")
        ),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let rss_before = rss_kib();
        let started = Instant::now();
        let mut net = spawn(NetConfig::default());
        for i in 0..accounts {
            let user = format!("{}", 1001 + i);
            let mut spec = AccountSpec::new(
                &format!("sip:{user}@{domain}"),
                &registrar,
                Some(Credentials {
                    username: user.clone(),
                    password: format!("pw-{user}"),
                }),
            );
            spec.tls = TlsOptions {
                ca_file: Some(ca_file.clone().into()),
                insecure_skip_verify: false,
            };
            net.handle.add_account(spec)?;
        }
        let mut registered = HashSet::new();
        let mut notified = HashSet::new();
        let mut all_registered = None;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while notified.len() < accounts {
            let event = tokio::time::timeout_at(deadline, net.events.recv())
                .await
                .map_err(|_| {
                    format!(
                        "after 60 s: {} of {accounts} registered, {} notified",
                        registered.len(),
                        notified.len()
                    )
                })?
                .ok_or("the driver stopped")?;
            match event {
                NetEvent::Sip(Event::Registration {
                    account,
                    state: RegistrationStatus::Registered { .. },
                    ..
                }) => {
                    registered.insert(account);
                    if registered.len() == accounts && all_registered.is_none() {
                        all_registered = Some(started.elapsed());
                    }
                }
                NetEvent::Sip(Event::Mailbox { account, .. }) => {
                    notified.insert(account);
                }
                NetEvent::Sip(Event::Registration {
                    state: RegistrationStatus::Failed { .. },
                    reason,
                    account,
                }) => eprintln!("account {}: registration failed: {reason:?}", account.0),
                _ => {}
            }
        }
        let all_active = started.elapsed();
        println!("accounts: {accounts} over {transport}");
        if let Some(t) = all_registered {
            println!("all registered after: {:.0} ms", t.as_secs_f64() * 1000.0);
        }
        println!(
            "all mailboxes active after: {:.0} ms",
            all_active.as_secs_f64() * 1000.0
        );
        let idle_until = tokio::time::Instant::now() + Duration::from_secs(idle);
        let mut events = 0u64;
        while let Ok(Some(_)) = tokio::time::timeout_at(idle_until, net.events.recv()).await {
            events += 1;
        }
        let snapshot = net.handle.snapshot().await?;
        println!(
            "events during {idle} s idle: {events}; requests sent so far: {:?}",
            snapshot.requests_sent
        );
        if let (Some(before), Some(after)) = (rss_before, rss_kib()) {
            println!("RSS: {before} KiB at start, {after} KiB after {idle} s idle");
        }
        let stopping = Instant::now();
        net.handle.shutdown().await?;
        println!(
            "shutdown (unsubscribe + unregister): {:.0} ms",
            stopping.elapsed().as_secs_f64() * 1000.0
        );
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

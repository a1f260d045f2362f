//! Scale figures against the lab: N accounts (lab users 1001..1000+N) on one driver, each
//! subscribed to its own mailbox plus `--monitor M - 1` other users' mailboxes (as shared
//! mailboxes: Kamailio lets anyone subscribe), so N·M mailboxes in all. Prints the time until
//! every account is registered and every mailbox has had its first NOTIFY ("active"), then the
//! resident memory and the CPU time (utime + stime) over an idle period.
//!
//! ```sh
//! tests/lab/lab start --users 50 && eval "$(tests/lab/lab env)"
//! cargo run --release -p voicelamp-net --example scale -- --accounts 50 --transport udp --idle 60
//! # 1,000 mailboxes: 50 accounts watching 20 each
//! tests/lab/lab start --users 999 && eval "$(tests/lab/lab env)"
//! cargo run --release -p voicelamp-net --example scale -- --accounts 50 --monitor 20 --idle 60
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

/// CPU time of this process (user + system), from `/proc/self/stat` (in USER_HZ = 100 ticks).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut accounts = 50usize;
    let mut monitor = 1usize;
    let mut transport = "udp".to_owned();
    let mut idle = 30u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--accounts" => accounts = value.parse()?,
            "--monitor" => monitor = value.parse::<usize>()?.max(1),
            "--transport" => transport = value,
            "--idle" => idle = value.parse()?,
            _ => return Err(format!("unknown argument {arg}").into()),
        }
    }
    let users: usize = var("LAB_USERS", "20").parse()?;
    if accounts > users {
        return Err(format!("{accounts} accounts but the lab has {users} users (--users)").into());
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
            // Others' mailboxes after the accounts' own, round the lab's users.
            for j in 1..monitor {
                let other = 1001 + (accounts + i * (monitor - 1) + j - 1) % users;
                spec.mailboxes.push(format!("sip:{other}@{domain}"));
            }
            net.handle.add_account(spec)?;
        }
        let mailboxes = accounts * monitor;
        let mut registered = HashSet::new();
        let mut notified = HashSet::new();
        let mut all_registered = None;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while notified.len() < mailboxes {
            let event = tokio::time::timeout_at(deadline, net.events.recv())
                .await
                .map_err(|_| {
                    format!(
                        "after 60 s: {} of {accounts} registered, {} of {mailboxes} notified",
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
                NetEvent::Sip(Event::Mailbox {
                    account,
                    mailbox_uri,
                    ..
                }) => {
                    notified.insert((account, mailbox_uri));
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
        println!("accounts: {accounts} over {transport}, {mailboxes} mailboxes");
        if let Some(t) = all_registered {
            println!("all registered after: {:.0} ms", t.as_secs_f64() * 1000.0);
        }
        println!(
            "all mailboxes active after: {:.0} ms",
            all_active.as_secs_f64() * 1000.0
        );
        let cpu_before = cpu_time();
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
        if let (Some(before), Some(after)) = (cpu_before, cpu_time()) {
            println!(
                "CPU (utime + stime) over {idle} s idle: {} ms",
                (after - before).as_millis()
            );
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

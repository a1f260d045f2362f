//! Sleep and wake: a private system bus (`dbus-daemon` with a test configuration,
//! `DBUS_SYSTEM_BUS_ADDRESS` pointing at it) on which this test plays logind and emits
//! `PrepareForSleep(true)` and `(false)`; the real `voicelamp-cli watch --json` against the
//! lab's Kamailio over UDP and TCP. Asserts every lamp is stale on sleep, stale on waking, and
//! that every account registers again (a 200 OK to a new REGISTER) and every lamp is current
//! again within 5 s of waking; prints the measured times.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::Instant;
use voicelamp_faults::{
    Lab, Watch, fresh_count, mailbox_event, ms, registered_after, write_config,
};

const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=SOCKET</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"#;

/// A private bus; killed on drop.
struct Bus {
    child: tokio::process::Child,
    address: String,
    _dir: tempfile::TempDir,
}

async fn private_system_bus() -> Bus {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("system_bus_socket");
    let config = dir.path().join("system.conf");
    std::fs::write(
        &config,
        BUS_CONFIG.replace("SOCKET", &socket.display().to_string()),
    )
    .expect("write bus config");
    let mut child = tokio::process::Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start dbus-daemon (Debian package dbus-daemon)");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("dbus-daemon prints its address within 10 s")
        .expect("read dbus-daemon")
        .expect("an address line");
    Bus {
        child,
        address: address.trim().to_owned(),
        _dir: dir,
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn config(port: &str) -> String {
    format!(
        r#"
[[accounts]]
id = "udp-line"
aor = "sip:1001@127.0.0.1"
registrar = "sip:127.0.0.1:{port}"
password_env = "VL_FAULT_PW_1001"
expires = 60

[[accounts]]
id = "tcp-line"
aor = "sip:1002@127.0.0.1"
registrar = "sip:127.0.0.1:{port};transport=tcp"
password_env = "VL_FAULT_PW_1002"
expires = 60
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab and dbus-daemon: tests/faults/run"]
async fn prepare_for_sleep_makes_lamps_stale_and_waking_registers_everything_again() {
    let lab = Lab::start("");
    let bus = private_system_bus().await;
    // The fake logind: owns logind's name on the private bus.
    let logind = zbus::connection::Builder::address(bus.address.as_str())
        .expect("bus address")
        .name("org.freedesktop.login1")
        .expect("name")
        .build()
        .await
        .expect("connect the fake logind");
    let (_dir, path) = write_config(&config(&lab.sip_port));
    let mut watch = Watch::start(
        &[],
        &path,
        &[
            ("DBUS_SYSTEM_BUS_ADDRESS", bus.address.as_str()),
            ("VL_FAULT_PW_1001", "pw-1001"),
            ("VL_FAULT_PW_1002", "pw-1002"),
        ],
    );
    let start = Instant::now();
    watch
        .wait(Duration::from_secs(10), "the logind watcher", |w| {
            w.log()
                .iter()
                .any(|l| l.line.contains("watching logind"))
                .then_some(())
        })
        .await;
    let n = fresh_count();
    let mailboxes = ["sip:1001@127.0.0.1", "sip:1002@127.0.0.1"];
    for (i, user) in ["1001", "1002"].into_iter().enumerate() {
        let new = (n + i as u64).to_string();
        lab.publish(&["--user", user, "--new", &new, "--old", "0"]);
    }
    for (i, mailbox) in mailboxes.iter().enumerate() {
        let want = n + i as u64;
        watch
            .wait(Duration::from_secs(10), &format!("{mailbox} lit"), |w| {
                mailbox_event(w, start, mailbox, |v| {
                    v["state"] == "active" && v["new"] == want
                })
            })
            .await;
    }

    // Going to sleep: every lamp stale at once, with the last counts and the reason.
    let slept = Instant::now();
    logind
        .emit_signal(
            None::<()>,
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager",
            "PrepareForSleep",
            &(true,),
        )
        .await
        .expect("emit PrepareForSleep(true)");
    let mut stale_ms = Vec::new();
    for (i, mailbox) in mailboxes.iter().enumerate() {
        let want = n + i as u64;
        let (at, _) = watch
            .wait(
                Duration::from_secs(5),
                &format!("{mailbox} stale on sleep"),
                |w| {
                    mailbox_event(w, slept, mailbox, |v| {
                        v["state"] == "stale"
                            && v["new"] == want
                            && v["reason"]
                                .as_str()
                                .is_some_and(|r| r.contains("going to sleep"))
                    })
                },
            )
            .await;
        stale_ms.push(ms(slept, at));
    }

    // Waking: stale ("checking again"), then every account registers again and every lamp is
    // current again.
    let woke = Instant::now();
    logind
        .emit_signal(
            None::<()>,
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager",
            "PrepareForSleep",
            &(false,),
        )
        .await
        .expect("emit PrepareForSleep(false)");
    for mailbox in mailboxes {
        watch
            .wait(
                Duration::from_secs(5),
                &format!("{mailbox} stale on waking"),
                |w| {
                    mailbox_event(w, woke, mailbox, |v| {
                        v["state"] == "stale"
                            && v["reason"].as_str().is_some_and(|r| {
                                r.contains("the computer was asleep; checking again")
                            })
                    })
                },
            )
            .await;
    }
    let mut registered_ms = Vec::new();
    for user in ["1001", "1002"] {
        let at = watch
            .wait(
                Duration::from_secs(5),
                &format!("{user} registered again"),
                |w| registered_after(w, woke, user, None),
            )
            .await;
        registered_ms.push(ms(woke, at));
    }
    let mut active_ms = Vec::new();
    for (i, mailbox) in mailboxes.iter().enumerate() {
        let want = n + i as u64;
        let (at, _) = watch
            .wait(
                Duration::from_secs(5),
                &format!("{mailbox} current again"),
                |w| {
                    mailbox_event(w, woke, mailbox, |v| {
                        v["state"] == "active" && v["new"] == want
                    })
                },
            )
            .await;
        active_ms.push(ms(woke, at));
    }
    println!(
        "sleep: stale after {stale_ms:?} ms; wake: registered again after {registered_ms:?} ms, \
         lamps current after {active_ms:?} ms (udp, tcp)"
    );
    assert!(active_ms.iter().all(|t| *t < 5000));
}

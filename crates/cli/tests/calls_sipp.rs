//! `voicelamp-cli call` against sipp peers (`tests/lab/sipp/calls/*.xml`) for what the IVR never
//! does: 486, 488, ringing until we hang up (CANCEL), BYE from the far end, a hold re-INVITE,
//! a session timer we must refresh, and a digest challenge (401) on the INVITE. The line has
//! `register = false` and sipp as its server, so each scenario is the far end itself. Each
//! test runs its own sipp on its own port and checks its exit status (two calls: the line's
//! mailbox subscription, refused, and the call); they fail (never skip) when sipp is missing.

mod calls;

use calls::{cli, describe, json_lines, last_call, repo_root, run, states, var, write_config};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The SIP port of these tests' sipp number `n` (`LAB_SIPP_PORT` + 40 + n, n < 10); its media
/// port is 10 above (sipp also takes the media port + 2).
fn port(n: u16) -> u16 {
    var("LAB_SIPP_PORT", "35200")
        .parse::<u16>()
        .expect("LAB_SIPP_PORT")
        + 40
        + n
}

/// One sipp at a time: their media ports would collide.
static SIPP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts sipp and waits (bounded) until it listens on `port`: a datagram sent before would
/// be refused, and the line would take the server for gone.
async fn sipp(scenario: &str, port: u16, limit_secs: u32) -> Child {
    let path = repo_root().join("tests/lab/sipp/calls").join(scenario);
    let child = Command::new("sipp")
        .args(["-sf", path.to_str().expect("path")])
        .args(["-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-mp", &(port + 10).to_string()])
        .args(["-m", "2", "-nostdin", "-t", "u1"])
        .args(["-timeout", &format!("{limit_secs}s"), "-timeout_error"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("sipp is missing: install the Debian package sip-tester (scripts/setup does)");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sipp did not listen on {port} within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child
}

async fn sipp_passed(child: Child, within: Duration) {
    let output = tokio::time::timeout(within, child.wait_with_output())
        .await
        .expect("sipp ends")
        .expect("sipp");
    assert!(
        output.status.success(),
        "the sipp scenario failed ({:?}): {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A line without registration whose server is the sipp on `port`, user 1017.
fn line(port: u16) -> (tempfile::TempDir, std::path::PathBuf) {
    write_config(&format!(
        "[[accounts]]\nid = \"line\"\naor = \"sip:1017@127.0.0.1\"\n\
         registrar = \"sip:127.0.0.1:{port};transport=udp\"\nregister = false\n\
         password_env = \"VL_TEST_PW_1017\"\n"
    ))
}

async fn call(port: u16, args: &[&str], within: Duration) -> std::process::Output {
    let (_dir, config) = line(port);
    let target = format!("sip:peer@127.0.0.1:{port}");
    let mut all = vec!["call", "line", target.as_str(), "--json"];
    all.extend_from_slice(args);
    run(cli(&config, &["1017"], &all), within).await
}

#[tokio::test]
async fn busy_and_no_common_codec_fail_in_words() {
    let _one = SIPP.lock().await;
    for (n, scenario, code, words) in [
        (0, "busy-486.xml", "486", "busy"),
        (1, "no-codec-488.xml", "488", "codec"),
    ] {
        let port = port(n);
        let peer = sipp(scenario, port, 20).await;
        let output = call(port, &[], Duration::from_secs(20)).await;
        assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
        let last = last_call(&json_lines(&output));
        let why = last["state"]["why"].as_str().unwrap_or_default().to_owned();
        assert!(why.contains(code) && why.contains(words), "{last}");
        assert_eq!(last["state"]["failed"], true, "{last}");
        sipp_passed(peer, Duration::from_secs(10)).await;
    }
}

#[tokio::test]
async fn hanging_up_while_it_rings_cancels() {
    let _one = SIPP.lock().await;
    let port = port(2);
    let peer = sipp("cancel.xml", port, 20).await;
    let (_dir, config) = line(port);
    let target = format!("sip:peer@127.0.0.1:{port}");
    let mut child = cli(&config, &["1017"], &["call", "line", &target, "--json"])
        .spawn()
        .expect("CLI");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("a line within 10 s")
            .expect("read")
            .unwrap_or_else(|| panic!("the CLI ended before ringing: {seen:?}"));
        let value: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        seen.push(line);
        if value["state"]["kind"] == "ringing" {
            break;
        }
    }
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut rest = Vec::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await
    {
        rest.push(serde_json::from_str::<serde_json::Value>(&line).expect("JSON"));
    }
    let status = child.wait().await.expect("CLI");
    assert!(status.success(), "{status:?} {rest:?}");
    let last = last_call(&rest);
    assert_eq!(last["state"]["kind"], "ended", "{last}");
    assert_eq!(last["state"]["failed"], false, "{last}");
    sipp_passed(peer, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn the_far_end_hangs_up_and_holds() {
    let _one = SIPP.lock().await;
    for (n, scenario) in [(3, "far-end-bye.xml"), (4, "hold.xml")] {
        let port = port(n);
        let peer = sipp(scenario, port, 20).await;
        let output = call(port, &[], Duration::from_secs(20)).await;
        assert!(output.status.success(), "{scenario}: {}", describe(&output));
        let seen = states(&json_lines(&output));
        assert_eq!(seen.last().map(String::as_str), Some("ended"), "{seen:?}");
        assert!(seen.contains(&"connected".to_owned()), "{seen:?}");
        sipp_passed(peer, Duration::from_secs(10)).await;
    }
}

#[tokio::test]
async fn a_digest_challenge_on_the_invite_is_answered() {
    let _one = SIPP.lock().await;
    let port = port(5);
    let peer = sipp("digest-invite.xml", port, 20).await;
    let output = call(port, &["--for", "1"], Duration::from_secs(20)).await;
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        states(&json_lines(&output)).contains(&"connected".to_owned()),
        "{}",
        describe(&output)
    );
    sipp_passed(peer, Duration::from_secs(10)).await;
}

#[tokio::test]
#[ignore = "takes a minute: the session timer is refreshed at half of its 90 s; scripts/test runs it"]
async fn the_session_timer_is_refreshed() {
    let _one = SIPP.lock().await;
    let port = port(6);
    let peer = sipp("session-timer.xml", port, 90).await;
    let output = call(port, &[], Duration::from_secs(90)).await;
    assert!(output.status.success(), "{}", describe(&output));
    sipp_passed(peer, Duration::from_secs(10)).await;
}

//! `voicelamp-cli call` and `voicemail` against real peers: the lab's Kamailio (which challenges
//! every INVITE of a lab user with 407) and baresip as an IVR (`tests/lab/ivr`, started here
//! when it is not running). Over UDP, TCP and TLS (SRTP offered): the IVR's tone is in our
//! recording, the tone we play is in the IVR's, and 1234# reaches it as RFC 4733 events; to
//! the IVR that offers no telephone-event the keys go by SIP INFO; the IVR hanging up ends our
//! call (BYE from the far end); `voicemail` dials the access code.

mod calls;

use calls::{
    IVR_LOCK, Ivr, Lab, cli, describe, json_lines, last_call, run, states, tone_wav, tone_windows,
    write_config,
};
use std::time::Duration;

/// The tone we play into the call.
const OUR_TONE: f32 = 600.0;
/// 20 ms windows of a tone that prove it arrived (0.6 s of it).
const ENOUGH: usize = 30;

async fn two_way_audio_and_keys(transport: &str, user: &str) {
    let lab = Lab::get();
    let ivr = Ivr::get().await;
    let _guard = IVR_LOCK.lock().await;
    let (dir, config) = write_config(&lab.line("line", user, transport, ""));
    let play = dir.path().join("mic.wav");
    let record = dir.path().join("heard.wav");
    tone_wav(&play, OUR_TONE, 8.0);
    let log_at = ivr.log_len();
    let target = format!("sip:ivr@{}", lab.domain);
    let output = run(
        cli(
            &config,
            &[user],
            &[
                "call",
                "line",
                &target,
                "--play",
                play.to_str().expect("path"),
                "--record",
                record.to_str().expect("path"),
                "--dtmf",
                "1234#",
                "--dtmf-after",
                "0.5",
                "--for",
                "6",
                "--json",
            ],
        ),
        Duration::from_secs(40),
    )
    .await;
    assert!(output.status.success(), "{}", describe(&output));
    let lines = json_lines(&output);
    let seen = states(&lines);
    assert!(
        seen.starts_with(&["dialing".to_owned()]) && seen.contains(&"connected".to_owned()),
        "{seen:?}\n{}",
        describe(&output)
    );
    let last = last_call(&lines);
    assert_eq!(last["state"]["kind"], "ended", "{last}");
    assert_eq!(last["state"]["failed"], false, "{last}");
    assert!(last["codec"].is_string(), "{last}");
    // The far end's tone is in what we heard.
    let heard = tone_windows(&record, ivr.tone_hz);
    assert!(
        heard >= ENOUGH,
        "{heard} windows of the IVR's tone in our recording"
    );
    // Our tone and our keys reached the IVR.
    let log = ivr
        .wait_log(log_at, "terminated", 1, Duration::from_secs(10))
        .await;
    for digit in ["1", "2", "3", "4", "#"] {
        assert!(
            log.contains(&format!("'{digit}'")),
            "the IVR did not log the key {digit}:\n{log}"
        );
    }
    let theirs = tone_windows(&ivr.newest_recording(), OUR_TONE);
    assert!(
        theirs >= ENOUGH,
        "{theirs} windows of our tone in the IVR's recording"
    );
}

#[tokio::test]
#[ignore = "needs the lab and baresip: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn two_way_audio_and_rfc4733_keys_over_udp() {
    two_way_audio_and_keys("udp", "1011").await;
}

#[tokio::test]
#[ignore = "needs the lab and baresip: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn two_way_audio_and_rfc4733_keys_over_tcp() {
    two_way_audio_and_keys("tcp", "1012").await;
}

#[tokio::test]
#[ignore = "needs the lab and baresip: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn two_way_audio_and_rfc4733_keys_over_tls_with_srtp_offered() {
    two_way_audio_and_keys("tls", "1013").await;
}

#[tokio::test]
#[ignore = "needs the lab and baresip: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn keys_go_by_info_to_a_far_end_without_telephone_event() {
    let lab = Lab::get();
    let ivr = Ivr::get().await;
    let _guard = IVR_LOCK.lock().await;
    let user = "1014";
    let (_dir, config) = write_config(&lab.line("line", user, "udp", ""));
    let log_at = ivr.log_len();
    let target = format!("sip:ivr-info@{}", lab.domain);
    let output = run(
        cli(
            &config,
            &[user],
            &[
                "call", "line", &target, "--dtmf", "1234#", "--for", "4", "--json",
            ],
        ),
        Duration::from_secs(30),
    )
    .await;
    assert!(output.status.success(), "{}", describe(&output));
    // baresip logs a key that came by INFO with its duration.
    let log = ivr
        .wait_log(log_at, "terminated", 1, Duration::from_secs(10))
        .await;
    for digit in ["1", "2", "3", "4", "#"] {
        assert!(
            log.contains(&format!("received DTMF: '{digit}' (duration=")),
            "the IVR did not log the INFO key {digit}:\n{log}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the lab and baresip: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn the_far_end_hanging_up_ends_the_call_and_voicemail_dials_the_access_code() {
    let lab = Lab::get();
    let ivr = Ivr::get().await;
    let _guard = IVR_LOCK.lock().await;
    let user = "1015";
    let (_dir, config) =
        write_config(&lab.line("line", user, "udp", "voicemail_access_code = \"*97\""));
    // No *97 in the lab: Kamailio answers 404, in words, and the command fails.
    let output = run(
        cli(&config, &[user], &["voicemail", "line", "--json"]),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let last = last_call(&json_lines(&output));
    assert_eq!(last["remote"], "*97", "{last}");
    assert_eq!(last["voicemail"], true, "{last}");
    assert_eq!(last["state"]["failed"], true, "{last}");
    assert!(
        last["state"]["why"]
            .as_str()
            .is_some_and(|w| w.contains("404")),
        "{last}"
    );

    // The IVR hangs up while we stay on the line.
    let target = format!("sip:ivr@{}", lab.domain);
    let log_at = ivr.log_len();
    let mut command = cli(&config, &[user], &["call", "line", &target, "--json"]);
    let child = command.spawn().expect("start the CLI");
    // Answered, and our media arrives there.
    ivr.wait_log(
        log_at,
        "incoming rtp for 'audio' established",
        1,
        Duration::from_secs(15),
    )
    .await;
    ivr.hang_up().await;
    let output = tokio::time::timeout(Duration::from_secs(15), child.wait_with_output())
        .await
        .expect("the CLI ends when the far end hangs up")
        .expect("CLI");
    assert!(output.status.success(), "{}", describe(&output));
    let last = last_call(&json_lines(&output));
    assert_eq!(last["state"]["kind"], "ended", "{last}");
    assert_eq!(last["state"]["failed"], false, "{last}");
}

//! The IMAP store against the lab's real Dovecot, through a relay that records every command the
//! client sends: only voicemail is listed and counted (and searched for on the server), an
//! oversized attachment is refused from its structure before its body is fetched, and a watch
//! with a wrong password logs in once. Each test uses a lab user of its own.

mod support;

use std::time::Duration;

use futures::StreamExt;
use support::lab;
use voicelamp_mailbox::audio::decode_to_wav;
use voicelamp_mailbox::{Error, ImapStore, MailboxChange, Security, VoicemailStore};

/// A store for a lab user over plain IMAP through a relay that records the client's commands.
async fn recorded_store(user: &str) -> (ImapStore, support::recorder::Recorder) {
    lab::require_lab();
    let upstream = format!("{}:{}", lab::host(), lab::imap_port())
        .parse()
        .expect("lab address");
    let recorder = support::recorder::Recorder::start(upstream).await;
    let mut account = lab::account(user);
    account.security = Security::Plain;
    account.host = "127.0.0.1".into();
    account.port = recorder.port;
    let store = ImapStore::with_timing(account, lab::timing()).expect("lab account settings");
    (store, recorder)
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn ordinary_mail_in_the_inbox_is_neither_listed_nor_counted() {
    let user = "1015";
    let (store, recorder) = recorded_store(user).await;
    // Compared with the counts before seeding, so a re-run on a kept lab passes too.
    let before = store.unseen_counts("INBOX").await.unwrap();
    // The same mailbox with the account's own rule for a carrier's mail without audio.
    let mut account = lab::account(user);
    account.security = Security::Plain;
    account.port = lab::imap_port();
    let carrier_rules = ImapStore::with_timing(account, lab::timing())
        .unwrap()
        .with_filter(voicelamp_mailbox::VoicemailFilter {
            from: vec!["@carrier.voicelamp.test".into()],
            subject: Vec::new(),
        });
    let before_rule = carrier_rules.unseen_counts("INBOX").await.unwrap();
    let asterisk = lab::seed(user, &["--count", "2", "--format", "pcm"]);
    let urgent = lab::seed(user, &["--format", "pcm", "--urgent"]);
    let generic = lab::seed(user, &["--generic", "--format", "ulaw"]);
    let lunch = lab::seed(user, &["--ordinary", "Lunch meeting moved"]);
    let flagged = lab::seed(user, &["--ordinary", "Agenda", "--pdf", "--urgent"]);
    let carrier = lab::seed(
        user,
        &[
            "--ordinary",
            "New voicemail from 5551234",
            "--sender",
            "voicemail@carrier.voicelamp.test",
        ],
    );
    let ordinary = [lunch[0], flagged[0], carrier[0]];
    let voicemail = [asterisk[0], asterisk[1], urgent[0], generic[0]];

    recorder.clear();
    let counts = store.unseen_counts("INBOX").await.unwrap();
    assert_eq!(
        (
            counts.unseen - before.unseen,
            counts.urgent_unseen - before.urgent_unseen
        ),
        (4, 1),
        "only the voicemail lights the lamp"
    );
    let first = recorder.commands();
    recorder.clear();
    assert_eq!(store.unseen_counts("INBOX").await.unwrap(), counts);
    let again = recorder.commands();
    assert!(
        again.iter().all(|c| !c.contains("FETCH")),
        "each message is decided once: {again:?}"
    );
    eprintln!(
        "counting: first {} commands {first:?}; again {} commands {again:?}",
        first.len(),
        again.len()
    );

    let listed: Vec<u32> = store
        .list("INBOX")
        .await
        .unwrap()
        .iter()
        .map(|v| v.id.uid)
        .collect();
    for uid in voicemail {
        assert!(listed.contains(&uid), "voicemail {uid} is listed");
    }
    for uid in ordinary {
        assert!(!listed.contains(&uid), "ordinary mail {uid} is not listed");
    }

    // The account's own rule takes the carrier's mail without audio as voicemail.
    let with_rule = carrier_rules.unseen_counts("INBOX").await.unwrap();
    assert_eq!(with_rule.unseen - before_rule.unseen, 5);
    let listed = carrier_rules.list("INBOX").await.unwrap();
    assert!(listed.iter().any(|v| v.id.uid == carrier[0]));
    assert!(!listed.iter().any(|v| v.id.uid == lunch[0]));
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn an_oversized_attachment_is_refused_before_its_body_is_fetched() {
    let user = "1016";
    let uid = lab::seed(user, &["--format", "pcm"])[0];
    let (store, recorder) = recorded_store(user).await;
    let listed = store.list("INBOX").await.unwrap();
    let message = listed.iter().find(|v| v.id.uid == uid).unwrap();
    let size = u64::from(message.audio.as_ref().unwrap().size);
    assert!(size > 10_000, "a few seconds of PCM: {size} octets");

    // The store's limit lowered below this message's attachment stands in for a huge one.
    let (small, recorder_small) = recorded_store(user).await;
    let small = small.with_max_audio_bytes(size - 1);
    recorder_small.clear();
    let e = match small.fetch_audio("INBOX", message.id).await {
        Ok(bytes) => panic!("{} octets fetched over the limit", bytes.len()),
        Err(e) => e,
    };
    assert!(matches!(e, Error::AudioTooLarge { .. }), "{e}");
    let words = e.to_string();
    assert!(
        words.contains(&message.id.to_string())
            && words.contains("more than")
            && words.contains("play it on the phone"),
        "{words}"
    );
    let sent = recorder_small.commands();
    assert!(
        sent.iter().any(|c| c.contains("BODYSTRUCTURE"))
            && !sent
                .iter()
                .any(|c| c.contains("BODY.PEEK[") || c.contains("BODY[")),
        "only the structure was fetched: {sent:?}"
    );

    // At the limit it plays, and the fetch asks for no more than the limit and one octet.
    recorder.clear();
    let store = store.with_max_audio_bytes(size);
    let bytes = store.fetch_audio("INBOX", message.id).await.expect("fits");
    decode_to_wav(&bytes).expect("plays");
    let sent = recorder.commands();
    assert!(
        sent.iter()
            .any(|c| c.contains(&format!("BODY.PEEK[2]<0.{}>", size + 1))),
        "{sent:?}"
    );
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_watch_with_a_wrong_password_logs_in_once_then_stops_saying_why() {
    lab::require_lab();
    let upstream = format!("{}:{}", lab::host(), lab::imap_port())
        .parse()
        .expect("lab address");
    let recorder = support::recorder::Recorder::start(upstream).await;
    let mut account = lab::account("1012");
    account.security = Security::Plain;
    account.host = "127.0.0.1".into();
    account.port = recorder.port;
    account.password = "not-the-password".into();
    // Reconnects after 200 ms .. 2 s: a watch that retried would log in again at once.
    let store = ImapStore::with_timing(account, lab::timing()).expect("lab account settings");
    let mut changes = Box::pin(store.watch("INBOX"));
    let first = tokio::time::timeout(Duration::from_secs(15), changes.next())
        .await
        .expect("the watch says something within 15 s");
    let Some(MailboxChange::Stopped { reason }) = first else {
        panic!("expected Stopped, got {first:?}");
    };
    assert!(
        reason.starts_with("the mail server 127.0.0.1 refused the password for 1012 ("),
        "{reason}"
    );
    assert!(reason.contains("; correct it in Settings"), "{reason}");
    let end = tokio::time::timeout(Duration::from_secs(5), changes.next())
        .await
        .expect("the stream ends after Stopped");
    assert_eq!(end, None, "nothing after Stopped");
    let logins = recorder
        .commands()
        .iter()
        .filter(|c| c.starts_with("LOGIN") || c.starts_with("AUTHENTICATE"))
        .count();
    assert_eq!(logins, 1, "{:?}", recorder.commands());
}

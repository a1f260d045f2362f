//! The IMAP store against the lab's real Dovecot. Each test uses a lab user of its own, so tests
//! never see each other's messages.

mod support;

use std::time::Duration;

use futures::StreamExt;
use support::lab;
use voicelamp_mailbox::audio::decode_to_wav;
use voicelamp_mailbox::{Error, ImapStore, MailboxChange, Security, VoicemailStore};

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn lists_asterisk_and_generic_messages_with_every_field() {
    let store = lab::store("1001");
    let urgent = lab::seed(
        "1001",
        &[
            "--format",
            "wav49",
            "--caller-num",
            "5551234",
            "--caller-name",
            "Zoë Müller",
            "--urgent",
            "--orig-time",
            "1795737300",
        ],
    );
    let heard = lab::seed(
        "1001",
        &["--format", "pcm", "--caller-num", "5550000", "--heard"],
    );
    let generic = lab::seed(
        "1001",
        &[
            "--generic",
            "--format",
            "ulaw",
            "--caller-num",
            "5559",
            "--caller-name",
            "Zoë Müller",
        ],
    );
    let list = store.list("INBOX").await.expect("list");

    let find = |uid: u32| {
        list.iter()
            .find(|v| v.id.uid == uid)
            .expect("seeded uid listed")
    };
    let u = find(urgent[0]);
    assert_eq!(u.caller_number.as_deref(), Some("5551234"));
    assert_eq!(u.caller_name.as_deref(), Some("Zoë Müller"));
    assert_eq!(u.received_at.unix_timestamp(), 1_795_737_300);
    assert!(u.duration_s.is_some_and(|d| d > 0), "{u:?}");
    assert!(u.urgent && !u.heard);
    assert_eq!(u.folder, "INBOX");
    let audio = u.audio.as_ref().expect("audio part");
    assert_eq!(audio.section, "2");
    assert_eq!(audio.mime_type, "audio/x-wav");
    assert!(
        audio
            .filename
            .as_deref()
            .is_some_and(|f| f.starts_with("msg") && f.ends_with(".wav"))
    );

    assert_eq!(audio.format(), "gsm", "the codec, not the container");

    let h = find(heard[0]);
    assert!(h.heard && !h.urgent);
    assert_eq!(h.audio.as_ref().map(|a| a.format()).as_deref(), Some("pcm"));
    assert_eq!(h.caller_number.as_deref(), Some("5550000"));

    let g = find(generic[0]);
    assert_eq!(g.caller_number.as_deref(), Some("5559"));
    assert_eq!(g.caller_name.as_deref(), Some("Zoë Müller"));
    assert!(!g.heard && !g.urgent);
    assert_eq!(
        g.audio.as_ref().map(|a| a.format()).as_deref(),
        Some("ulaw")
    );
    assert!((g.received_at - time::OffsetDateTime::now_utc()).abs() < time::Duration::hours(1));

    // A second listing names the codecs from the store's cache, the same way.
    let again = store.list("INBOX").await.expect("list again");
    let formats = |l: &[voicelamp_mailbox::Voicemail]| -> Vec<Option<String>> {
        l.iter()
            .map(|v| v.audio.as_ref().map(|a| a.format()))
            .collect()
    };
    assert_eq!(formats(&again), formats(&list));

    let json = serde_json::to_value(u).unwrap();
    assert_eq!(json["id"], u.id.to_string());
    assert_eq!(json["format"], "gsm");
    assert_eq!(json["size"], u.size);

    let folders = store.folders().await.expect("folders");
    for f in ["INBOX", "Old", "Work", "Trash"] {
        assert!(folders.iter().any(|x| x == f), "{f} in {folders:?}");
    }
}

/// Extracts the seeded attachment the way a mail client would (independent of the store) and
/// decodes it with sox, to compare with our fetch + decode.
fn sox_decode(bytes: &[u8], dir: &std::path::Path, name: &str) -> Vec<i16> {
    let input = dir.join(format!("{name}.wav"));
    std::fs::write(&input, bytes).unwrap();
    let out = support::path(dir, &format!("{name}.sox.wav"));
    support::sox(&[
        input.to_str().unwrap(),
        "-b",
        "16",
        "-e",
        "signed-integer",
        &out,
    ]);
    support::read_pcm16_wav(&out).1
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn fetches_only_the_audio_part_and_decodes_pcm_and_wav49_like_sox() {
    let store = lab::store("1002");
    let dir = tempfile::tempdir().unwrap();
    for format in ["pcm", "wav49", "alaw"] {
        let uid = lab::seed("1002", &["--format", format])[0];
        let list = store.list("INBOX").await.unwrap();
        let vm = list.iter().find(|v| v.id.uid == uid).unwrap();
        let bytes = store
            .fetch_audio("INBOX", vm.id)
            .await
            .expect("fetch audio");
        assert_eq!(&bytes[..4], b"RIFF", "{format}");
        let ours = decode_to_wav(&bytes).expect("decodes");
        let sox = sox_decode(&bytes, dir.path(), format);
        assert_eq!(ours.sample_rate, 8000);
        assert_eq!(ours.samples.len(), sox.len(), "{format}");
        assert!(ours.samples == sox, "{format}: samples differ from sox");
        // Fetching did not mark it heard (BODY.PEEK).
        let again = store.list("INBOX").await.unwrap();
        assert!(!again.iter().find(|v| v.id.uid == uid).unwrap().heard);
    }
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn mark_heard_and_new_are_seen_by_a_second_connection() {
    let store = lab::store("1003");
    let other = lab::store("1003");
    let uid = lab::seed("1003", &["--format", "pcm"])[0];
    let id = store
        .list("INBOX")
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id.uid == uid)
        .unwrap()
        .id;

    store.mark_heard("INBOX", id).await.expect("mark heard");
    let seen = other.list("INBOX").await.unwrap();
    assert!(seen.iter().find(|v| v.id == id).unwrap().heard);

    store.mark_new("INBOX", id).await.expect("mark new");
    let seen = other.list("INBOX").await.unwrap();
    assert!(!seen.iter().find(|v| v.id == id).unwrap().heard);
    let heard_again = other.unseen_counts("INBOX").await.unwrap();
    store.mark_heard("INBOX", id).await.unwrap();
    let counts = other.unseen_counts("INBOX").await.unwrap();
    assert_eq!(counts.unseen + 1, heard_again.unseen);

    // An id from a renumbered folder or a UID that is not there: MessageGone.
    let wrong = voicelamp_mailbox::MessageId {
        uid_validity: id.uid_validity + 1,
        ..id
    };
    let e = store.mark_heard("INBOX", wrong).await.unwrap_err();
    assert!(matches!(e, Error::MessageGone { .. }), "{e}");
    let missing = voicelamp_mailbox::MessageId {
        uid: id.uid + 1000,
        ..id
    };
    let e = store.mark_heard("INBOX", missing).await.unwrap_err();
    assert!(matches!(e, Error::MessageGone { .. }), "{e}");
    assert!(e.to_string().contains(&missing.to_string()), "{e}");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn counts_delete_and_move() {
    let store = lab::store("1008");
    // Counts are compared with those before seeding, so a re-run on a kept lab passes too.
    let before = store.unseen_counts("INBOX").await.unwrap();
    let trash_before = store.list("Trash").await.unwrap().len();
    let work_before = store.list("Work").await.unwrap().len();
    let uids = lab::seed("1008", &["--count", "3", "--format", "pcm"]);
    let urgent = lab::seed("1008", &["--format", "pcm", "--urgent"]);
    let counts = store.unseen_counts("INBOX").await.unwrap();
    assert_eq!(
        (
            counts.unseen - before.unseen,
            counts.urgent_unseen - before.urgent_unseen
        ),
        (4, 1)
    );

    let list = store.list("INBOX").await.unwrap();
    let id = |uid: u32| list.iter().find(|v| v.id.uid == uid).unwrap().id;
    store
        .delete("INBOX", id(uids[0]))
        .await
        .expect("delete to Trash");
    store
        .move_to("INBOX", id(uids[1]), "Work")
        .await
        .expect("move");
    let e = store
        .move_to("INBOX", id(uids[2]), "NoSuchFolder")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NoSuchFolder { .. }), "{e}");
    let e = store.list("NoSuchFolder").await.unwrap_err();
    assert!(matches!(e, Error::NoSuchFolder { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "the folder NoSuchFolder does not exist on the mail server"
    );

    let inbox = store.list("INBOX").await.unwrap();
    let has = |uid: u32| inbox.iter().any(|v| v.id.uid == uid);
    assert!(!has(uids[0]) && !has(uids[1]) && has(uids[2]) && has(urgent[0]));
    let trash = store.list("Trash").await.unwrap();
    assert_eq!(trash.len(), trash_before + 1);
    assert_eq!(store.list("Work").await.unwrap().len(), work_before + 1);

    // Deleting in Trash removes for good (the newest UID there is the one just moved).
    let trashed = trash.iter().map(|v| v.id).max().unwrap();
    store
        .delete("Trash", trashed)
        .await
        .expect("expunge from Trash");
    assert_eq!(store.list("Trash").await.unwrap().len(), trash_before);
    let e = store.delete("INBOX", id(uids[0])).await.unwrap_err();
    assert!(matches!(e, Error::MessageGone { .. }), "{e}");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_change_made_elsewhere_arrives_through_idle() {
    let store = lab::store("1004");
    let other = lab::store("1004");
    let uid = lab::seed("1004", &["--format", "pcm"])[0];
    let id = store
        .list("INBOX")
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id.uid == uid)
        .unwrap()
        .id;

    let mut changes = Box::pin(store.watch("INBOX"));
    let next = async |changes: &mut std::pin::Pin<Box<_>>| {
        tokio::time::timeout(Duration::from_secs(10), StreamExt::next(changes))
            .await
            .expect("a change within 10 s")
            .expect("the watch runs")
    };
    let first: MailboxChange = next(&mut changes).await;
    assert!(
        matches!(first, MailboxChange::Connected { .. }),
        "{first:?}"
    );

    other.mark_heard("INBOX", id).await.unwrap();
    let change = next(&mut changes).await;
    assert_eq!(
        change,
        MailboxChange::FlagsChanged {
            id,
            heard: true,
            flagged: false
        }
    );

    let added = lab::seed("1004", &["--format", "pcm"])[0];
    let change = next(&mut changes).await;
    assert_eq!(
        change,
        MailboxChange::Added(voicelamp_mailbox::MessageId { uid: added, ..id })
    );

    other.delete("INBOX", id).await.unwrap();
    let change = next(&mut changes).await;
    assert_eq!(change, MailboxChange::Removed(id));
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn malformed_mime_and_missing_attachment_are_named() {
    let store = lab::store("1005");
    let bad = lab::seed("1005", &["--broken", "bad-mime"])[0];
    let none = lab::seed("1005", &["--broken", "no-attachment"])[0];
    let truncated = lab::seed("1005", &["--broken", "truncated-audio"])[0];
    let list = store
        .list("INBOX")
        .await
        .expect("a broken message does not break the list");
    let id = |uid: u32| list.iter().find(|v| v.id.uid == uid).unwrap().id;

    assert!(
        list.iter()
            .find(|v| v.id.uid == none)
            .unwrap()
            .audio
            .is_none()
    );
    let e = store.fetch_audio("INBOX", id(none)).await.unwrap_err();
    assert!(matches!(e, Error::NoAudio { .. }), "{e}");
    assert!(e.to_string().contains(&id(none).to_string()), "{e}");

    // Cut base64: either the transfer encoding is refused, naming the message, or the audio
    // decoder refuses the short file.
    match store.fetch_audio("INBOX", id(bad)).await {
        Err(e @ Error::Malformed { .. }) => assert!(e.to_string().contains(&id(bad).to_string())),
        Err(e) => panic!("unexpected error {e}"),
        Ok(bytes) => assert!(decode_to_wav(&bytes).is_err()),
    }
    let bytes = store
        .fetch_audio("INBOX", id(truncated))
        .await
        .expect("MIME is fine");
    let _ = decode_to_wav(&bytes); // must not panic; may decode what is there
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn wrong_password_is_refused_clearly() {
    lab::require_lab();
    let mut account = lab::account("1006");
    account.password = "not-the-password".into();
    let store = ImapStore::with_timing(account, lab::timing()).unwrap();
    let e = store.list("INBOX").await.unwrap_err();
    assert!(matches!(e, Error::AuthFailed { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("the server refused the login for 1006: check the password"),
        "{e}"
    );
}

/// A mail server's self-signed `CA:TRUE` certificate, listed itself in `ca_file`, is trusted for
/// the names it carries, and refused in words for any other.
#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_self_signed_ca_certificate_listed_in_ca_file_is_trusted_for_its_name_only() {
    lab::require_lab();
    let (_front, account) = lab::via_tls_front("IP:127.0.0.1,DNS:localhost", "1014");
    let store = ImapStore::with_timing(account, lab::timing()).unwrap();
    store
        .check()
        .await
        .expect("the listed certificate is trusted");
    store.folders().await.expect("folders through it");

    let (_front, account) = lab::via_tls_front("DNS:localhost", "1014");
    let e = ImapStore::with_timing(account, lab::timing())
        .unwrap()
        .check()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TlsUntrusted { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "the certificate of {host} is not trusted: it is not made out to {host}; connect with \
             the name the certificate carries, or have the server's certificate reissued for \
             {host}",
            host = lab::host()
        )
    );
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn tls_untrusted_insecure_opt_out_and_starttls() {
    lab::require_lab();
    let mut untrusted = lab::account("1007");
    untrusted.ca_file = None;
    let e = ImapStore::with_timing(untrusted.clone(), lab::timing())
        .unwrap()
        .check()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TlsUntrusted { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "the certificate of {} is not trusted",
            lab::host()
        )),
        "{text}"
    );
    assert!(
        text.contains("it is signed by an authority this computer does not know")
            && text.contains("to ca_file in the account's TLS settings"),
        "{text}"
    );

    let mut insecure = untrusted.clone();
    insecure.insecure_skip_verify = true;
    ImapStore::with_timing(insecure, lab::timing())
        .unwrap()
        .check()
        .await
        .expect("opt-out works");

    let mut starttls = lab::account("1007");
    starttls.security = Security::StartTls;
    starttls.port = lab::imap_port();
    let store = ImapStore::with_timing(starttls.clone(), lab::timing()).unwrap();
    store.check().await.expect("STARTTLS on the plain port");
    store.folders().await.unwrap();

    starttls.ca_file = None;
    let e = ImapStore::with_timing(starttls, lab::timing())
        .unwrap()
        .check()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::TlsUntrusted { .. }),
        "STARTTLS verifies too: {e}"
    );

    let mut plain = lab::account("1007");
    plain.security = Security::Plain;
    plain.port = lab::imap_port();
    ImapStore::with_timing(plain, lab::timing())
        .unwrap()
        .check()
        .await
        .expect("plain for the lab");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn without_idle_the_watch_polls() {
    lab::require_lab();
    let timing = voicelamp_mailbox::ImapTiming {
        use_idle: false,
        ..lab::timing()
    };
    let store = ImapStore::with_timing(lab::account("1009"), timing).unwrap();
    let other = lab::store("1009");
    let uid = lab::seed("1009", &["--format", "pcm"])[0];
    let id = other
        .list("INBOX")
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id.uid == uid)
        .unwrap()
        .id;

    let mut changes = Box::pin(store.watch("INBOX"));
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(10), changes.next())
            .await
            .expect("a change within 10 s (poll interval 1 s)")
            .expect("the watch runs")
    };
    assert!(matches!(next().await, MailboxChange::Connected { .. }));
    other.mark_heard("INBOX", id).await.unwrap();
    assert_eq!(
        next().await,
        MailboxChange::FlagsChanged {
            id,
            heard: true,
            flagged: false
        }
    );
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn decoded_audio_is_cached_and_plays_again_without_the_server() {
    let store = lab::store("1011");
    let dir = tempfile::tempdir().unwrap();
    let cache = voicelamp_mailbox::AudioCache::open(dir.path(), 50 << 20).unwrap();
    let uid = lab::seed("1011", &["--format", "wav49"])[0];
    let id = store
        .list("INBOX")
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id.uid == uid)
        .unwrap()
        .id;
    let wav = cache
        .fetch_wav(&store, "INBOX", id)
        .await
        .expect("fetch and decode");
    assert_eq!(&wav[..4], b"RIFF");
    let expected = decode_to_wav(&store.fetch_audio("INBOX", id).await.unwrap()).unwrap();
    assert_eq!(wav, expected.to_wav_bytes());
    // Gone from INBOX on the server (moved to Trash), still playable from the cache.
    store.delete("INBOX", id).await.unwrap();
    assert_eq!(cache.fetch_wav(&store, "INBOX", id).await.unwrap(), wav);
    cache.remove("INBOX", id);
    let e = cache.fetch_wav(&store, "INBOX", id).await.unwrap_err();
    assert!(matches!(e, Error::MessageGone { .. }), "{e}");
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_server_without_move_uidplus_or_idle_gets_copy_expunge_and_polling() {
    // The lab's "minimal" user advertises only IMAP4rev1.
    let store = lab::store("minimal");
    let other = lab::store("minimal");
    let trash_before = other.list("Trash").await.unwrap().len();
    let work_before = other.list("Work").await.unwrap().len();
    let uids = lab::seed("minimal", &["--count", "3", "--format", "pcm"]);
    let list = store.list("INBOX").await.unwrap();
    let id = |uid: u32| list.iter().find(|v| v.id.uid == uid).unwrap().id;

    let mut changes = Box::pin(store.watch("INBOX"));
    let next = async |changes: &mut std::pin::Pin<Box<_>>| {
        tokio::time::timeout(Duration::from_secs(10), StreamExt::next(changes))
            .await
            .expect("a change within 10 s (polling every second)")
            .expect("the watch runs")
    };
    let first: MailboxChange = next(&mut changes).await;
    assert!(
        matches!(first, MailboxChange::Connected { .. }),
        "{first:?}"
    );

    store
        .delete("INBOX", id(uids[0]))
        .await
        .expect("delete to Trash by COPY + EXPUNGE");
    store
        .move_to("INBOX", id(uids[1]), "Work")
        .await
        .expect("move by COPY + EXPUNGE");
    // Seen through the polling watch, then by an independent session.
    let mut removed = vec![next(&mut changes).await, next(&mut changes).await];
    removed.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(
        removed,
        [
            MailboxChange::Removed(id(uids[0])),
            MailboxChange::Removed(id(uids[1]))
        ]
    );
    let inbox = other.list("INBOX").await.unwrap();
    let has = |uid: u32| inbox.iter().any(|v| v.id.uid == uid);
    assert!(!has(uids[0]) && !has(uids[1]) && has(uids[2]));
    assert_eq!(other.list("Trash").await.unwrap().len(), trash_before + 1);
    assert_eq!(other.list("Work").await.unwrap().len(), work_before + 1);
}

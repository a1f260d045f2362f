//! Offline: Dovecot is stopped, a mark is journaled, the app restarts, Dovecot comes back, the
//! mark is applied — and a watch reconnects by itself. This test stops and starts the lab, so it
//! lives in a test binary of its own (cargo runs test binaries one after another).

mod support;

use std::time::Duration;

use futures::StreamExt;
use support::lab;
use voicelamp_mailbox::{
    Applied, Change, ImapStore, JournaledStore, MailboxChange, VoicemailStore,
};

/// Restarts the lab (keeping mail, same settings) when dropped, so a failing test does not leave
/// it stopped for the next one.
struct Restart(Vec<String>);

impl Restart {
    fn start(&self) {
        let args: Vec<&str> = self.0.iter().map(String::as_str).collect();
        lab::lab(&args);
    }
}

impl Drop for Restart {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.start();
        }
    }
}

/// `lab start --keep-mail` with the settings the running lab was started with.
fn restart_args() -> Vec<String> {
    let env = lab::lab(&["env"]);
    let value = |name: &str, default: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(|v| v.trim_matches('\'').to_owned())
            .unwrap_or_else(|| default.to_owned())
    };
    vec![
        "start".into(),
        "--keep-mail".into(),
        "--users".into(),
        value("LAB_USERS", "20"),
        "--expires".into(),
        value("LAB_EXPIRES", "3600"),
        "--digest".into(),
        value("LAB_DIGEST", "MD5"),
    ]
}

#[tokio::test]
#[ignore = "needs the lab: scripts/test runs it, or tests/lab/lab start then cargo test -- --include-ignored"]
async fn a_mark_made_while_the_server_is_down_is_applied_when_it_is_back() {
    let user = "1010";
    let journal_dir = tempfile::tempdir().unwrap();
    let uids = lab::seed(user, &["--count", "2", "--format", "pcm"]);
    let store = JournaledStore::open(lab::store(user), journal_dir.path()).unwrap();
    let list = store.list("INBOX").await.unwrap();
    let id = |uid: u32| list.iter().find(|v| v.id.uid == uid).unwrap().id;
    let (a, b) = (id(uids[0]), id(uids[1]));

    let mut watch = Box::pin(store.inner().watch("INBOX"));
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(30), watch.next())
            .await
            .expect("a watch event within 30 s")
            .expect("the watch runs")
    };
    assert!(matches!(next().await, MailboxChange::Connected { .. }));

    let restart = Restart(restart_args());
    lab::lab(&["stop"]);
    assert!(matches!(next().await, MailboxChange::Disconnected { .. }));

    store
        .mark_heard("INBOX", a)
        .await
        .expect("queued, not failed");
    let queued = store.apply("INBOX", b, Change::MarkHeard).await.unwrap();
    assert_eq!(queued, Applied::Queued);
    assert_eq!(store.pending().await.len(), 2);
    // The app quits while the server is away.
    drop(store);

    restart.start();
    let store = JournaledStore::open(lab::store(user), journal_dir.path()).unwrap();
    assert_eq!(
        store.pending().await.len(),
        2,
        "the journal survived the restart"
    );
    let report = store.sync().await.unwrap();
    assert_eq!((report.applied, report.remaining), (2, 0), "{report:?}");
    assert!(report.dropped.is_empty());

    // An independent session sees both marks.
    let other = ImapStore::with_timing(lab::account(user), lab::timing()).unwrap();
    let now = other.list("INBOX").await.unwrap();
    assert!(
        now.iter()
            .filter(|v| v.id == a || v.id == b)
            .all(|v| v.heard)
    );

    // The watch reconnected by itself (having said Disconnected once for the whole outage) and
    // reports the marks as changes.
    let mut heard = Vec::new();
    for _ in 0..8 {
        match next().await {
            MailboxChange::FlagsChanged {
                id, heard: true, ..
            } => heard.push(id),
            MailboxChange::Connected { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
        if heard.len() == 2 {
            break;
        }
    }
    heard.sort();
    assert_eq!(heard, vec![a, b]);
}

//! A small manual client of the IMAP store, the shape of the CLI's `mailbox` subcommands:
//!
//! ```sh
//! eval "$(tests/lab/lab env)"
//! IMAP_USER=1001 cargo run -p voicelamp-mailbox --example imap_mailbox -- list
//! IMAP_USER=1001 cargo run -p voicelamp-mailbox --example imap_mailbox -- fetch 1795737000-3 out.wav
//! IMAP_USER=1001 cargo run -p voicelamp-mailbox --example imap_mailbox -- mark-heard 1795737000-3
//! IMAP_USER=1001 cargo run -p voicelamp-mailbox --example imap_mailbox -- watch
//! ```
//!
//! Settings from the environment: `IMAP_HOST` (default `LAB_IMAP_HOST`), `IMAP_PORT` (default
//! `LAB_IMAPS_PORT`), `IMAP_SECURITY` (`tls`, `starttls`, `plain`), `IMAP_USER`, `IMAP_PASSWORD`
//! (default the lab's `pw-<user>`), `IMAP_CA_FILE` (default `LAB_CA_FILE`), `IMAP_FOLDER`
//! (default `INBOX`), `IMAP_JOURNAL` (journal dir; default a `voicelamp-journal` dir in the
//! system temporary dir).

use futures::StreamExt;
use voicelamp_mailbox::audio::decode_to_wav;
use voicelamp_mailbox::{
    Error, ImapAccount, ImapStore, JournaledStore, MessageId, Security, VoicemailStore,
};

fn var(name: &str, fallback: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| fallback.to_owned())
}

fn account() -> ImapAccount {
    let user = var("IMAP_USER", "1001");
    ImapAccount {
        host: var("IMAP_HOST", &var("LAB_IMAP_HOST", "127.0.0.1")),
        port: var("IMAP_PORT", &var("LAB_IMAPS_PORT", "31993"))
            .parse()
            .expect("IMAP_PORT is a port number"),
        security: match var("IMAP_SECURITY", "tls").as_str() {
            "starttls" => Security::StartTls,
            "plain" => Security::Plain,
            _ => Security::Tls,
        },
        password: var("IMAP_PASSWORD", &format!("pw-{user}")).into(),
        user,
        ca_file: std::env::var("IMAP_CA_FILE")
            .or_else(|_| std::env::var("LAB_CA_FILE"))
            .ok()
            .map(Into::into),
        insecure_skip_verify: false,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let folder = var("IMAP_FOLDER", "INBOX");
    let journal = std::env::var("IMAP_JOURNAL")
        .map(Into::into)
        .unwrap_or_else(|_| std::env::temp_dir().join("voicelamp-journal"));
    let store = JournaledStore::open(ImapStore::new(account())?, &journal)?;
    let id = |i: usize| -> Result<MessageId, Error> {
        args.get(i)
            .ok_or_else(|| Error::BadId(String::new()))?
            .parse()
    };
    match args.first().map(String::as_str) {
        Some("list") | None => {
            for vm in store.list(&folder).await? {
                println!("{}", serde_json::to_string(&vm).expect("serializable"));
            }
        }
        Some("folders") => println!("{}", store.folders().await?.join("\n")),
        Some("counts") => println!("{:?}", store.unseen_counts(&folder).await?),
        Some("fetch") => {
            let bytes = store.fetch_audio(&folder, id(1)?).await?;
            let wav = decode_to_wav(&bytes)?;
            let out = args.get(2).map_or("voicemail.wav", String::as_str);
            std::fs::write(out, wav.to_wav_bytes()).map_err(|e| Error::Config(e.to_string()))?;
            println!("{out}: {} ms", wav.duration_ms());
        }
        Some("mark-heard") => println!(
            "{:?}",
            store
                .apply(&folder, id(1)?, voicelamp_mailbox::Change::MarkHeard)
                .await?
        ),
        Some("mark-new") => println!(
            "{:?}",
            store
                .apply(&folder, id(1)?, voicelamp_mailbox::Change::MarkNew)
                .await?
        ),
        Some("delete") => println!(
            "{:?}",
            store
                .apply(&folder, id(1)?, voicelamp_mailbox::Change::Delete)
                .await?
        ),
        Some("sync") => println!("{:?}", store.sync().await?),
        Some("watch") => {
            let mut changes = Box::pin(store.inner().watch(&folder));
            while let Some(change) = changes.next().await {
                println!("{change:?}");
            }
        }
        Some(other) => eprintln!(
            "unknown command {other:?}: list | folders | counts | fetch ID [OUT] | mark-heard ID | \
             mark-new ID | delete ID | sync | watch"
        ),
    }
    Ok(())
}

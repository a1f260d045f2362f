//! `voicelamp-cli mailbox …`: the account's voicemail store (`[accounts.voicemail]`, IMAP) from a
//! terminal, through `voicelamp_core::voicemail` — the same store, journal and audio cache as the
//! app.
//!
//! ```text
//! mailbox list ACCOUNT [--folder F] [--json]       messages, oldest first per folder
//! mailbox fetch ACCOUNT ID --out FILE.wav [--folder F]
//!                                                  the decoded audio (16-bit PCM WAV)
//! mailbox mark-heard|mark-new|delete ACCOUNT ID [--folder F]
//! mailbox watch ACCOUNT [--folder F] [--json]      changes (IDLE, else polling) until Ctrl-C/SIGTERM
//! ```
//!
//! Without `--folder`, `list` shows every configured folder (or every folder the server has) and
//! the id commands find the folder that holds the message; while the server is away a mark or a
//! delete is journaled without its folder, which is found when the change is sent. Exit codes: 0 done, 1 the server or
//! the message failed (unreachable, login refused, untrusted certificate, message gone) or a
//! change could only be queued, 2 usage or configuration.

mod output;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use voicelamp_core::config::AccountConfig;
use voicelamp_core::secrets::NoKeyring;
use voicelamp_core::voicemail::{
    Applied, Change, Mailbox, MessageId, StoreError, VoicemailError, open_store,
};
use voicelamp_core::{Config, PasswordSource, SecretStore};

use crate::error::CliError;

/// Arguments of `mailbox`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// A message on the command line.
#[derive(Debug, clap::Args)]
struct Target {
    /// Account id from the configuration.
    account: String,
    /// Message id as listed (`<uidvalidity>-<uid>`).
    #[arg(value_parser = parse_id)]
    id: MessageId,
    /// The folder holding the message (default: the one that lists it).
    #[arg(long, value_name = "F")]
    folder: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// List messages: id, folder, caller, time, duration, urgent, heard, format, size.
    List {
        /// Account id from the configuration.
        account: String,
        /// Only this folder (default: every configured folder, else all the server has).
        #[arg(long, value_name = "F")]
        folder: Option<String>,
        /// One JSON object per message and line.
        #[arg(long)]
        json: bool,
    },
    /// Write a message's audio, decoded to 16-bit PCM WAV.
    Fetch {
        #[command(flatten)]
        target: Target,
        /// The WAV file to write.
        #[arg(long, value_name = "FILE.wav")]
        out: PathBuf,
    },
    /// Mark a message heard (`\Seen`), for every device that reads the box.
    MarkHeard(Target),
    /// Mark a message new again.
    MarkNew(Target),
    /// Delete a message (to Trash when the box has one).
    Delete(Target),
    /// Print changes of a folder as they happen, until Ctrl-C or SIGTERM.
    Watch {
        /// Account id from the configuration.
        account: String,
        /// The folder to follow.
        #[arg(long, value_name = "F", default_value = "INBOX")]
        folder: String,
        /// One JSON object per change and line.
        #[arg(long)]
        json: bool,
    },
}

fn parse_id(text: &str) -> Result<MessageId, String> {
    text.parse::<MessageId>().map_err(|e| e.to_string())
}

/// Runs a `mailbox` subcommand. Failures are printed here, in words, with their exit code.
pub async fn run(config: Config, args: Args) -> Result<ExitCode, CliError> {
    match execute(&config, args.command).await {
        Ok(code) => Ok(code),
        Err(Failure::Output(e)) => Err(CliError::Output(e)),
        Err(Failure::Write(path, e)) => {
            eprintln!("voicelamp-cli: cannot write {}: {e}", path.display());
            Ok(ExitCode::FAILURE)
        }
        Err(Failure::Voicemail(e)) => {
            eprintln!("voicelamp-cli: {e}");
            Ok(ExitCode::from(if e.is_setup() { 2 } else { 1 }))
        }
    }
}

/// What ends a command early.
enum Failure {
    Voicemail(VoicemailError),
    /// Standard output cannot be written.
    Output(std::io::Error),
    /// The file asked for cannot be written.
    Write(PathBuf, std::io::Error),
}

impl From<VoicemailError> for Failure {
    fn from(e: VoicemailError) -> Self {
        Self::Voicemail(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Voicemail(e.into())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self::Output(e)
    }
}

async fn execute(config: &Config, command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::List {
            account,
            folder,
            json,
        } => {
            let mailbox = open(config, &account).await?;
            let list = mailbox.list(folder.as_deref()).await?;
            mailbox.close().await;
            output::list(&list, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch { target, out } => {
            let mailbox = open(config, &target.account).await?;
            let folder = mailbox.locate(target.id, target.folder.as_deref()).await?;
            let wav = mailbox.fetch_wav(&folder, target.id).await?;
            mailbox.close().await;
            std::fs::write(&out, &wav).map_err(|e| Failure::Write(out.clone(), e))?;
            output::fetched(&out, &wav)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::MarkHeard(t) => change(config, t, Change::MarkHeard, "marked heard").await,
        Command::MarkNew(t) => change(config, t, Change::MarkNew, "marked new").await,
        Command::Delete(t) => change(config, t, Change::Delete, "deleted").await,
        Command::Watch {
            account,
            folder,
            json,
        } => {
            let mailbox = open(config, &account).await?;
            watch::run(&mailbox, &folder, json).await
        }
    }
}

async fn change(
    config: &Config,
    target: Target,
    change: Change,
    done: &str,
) -> Result<ExitCode, Failure> {
    let mailbox = open(config, &target.account).await?;
    let (folder, applied) = mailbox
        .apply_to(target.id, target.folder.as_deref(), change)
        .await?;
    mailbox.close().await;
    // Without a folder the server could not be asked which one holds the message.
    let (message, found_later) = match &folder {
        Some(folder) => (format!("{} in {folder}", target.id), ""),
        None => (
            target.id.to_string(),
            " (the folder that holds the message is found then)",
        ),
    };
    match applied {
        Applied::Done => {
            output::line(&format!("{message}: {done}"))?;
            Ok(ExitCode::SUCCESS)
        }
        Applied::Queued => {
            eprintln!(
                "voicelamp-cli: {message}: not {done} yet: the mail server cannot be used \
                 now, so the change is kept in the offline journal and sent by the next mailbox \
                 command for {} (or the app){found_later}",
                mailbox.account_id()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Opens the account's store with the secret store its password sources need.
async fn open(config: &Config, account: &str) -> Result<Mailbox, VoicemailError> {
    let secrets = secret_store(config.account(account));
    open_store(config, account, secrets.as_ref()).await
}

/// The OS keyring when the account's SIP or voicemail password lives there, else nothing.
fn secret_store(account: Option<&AccountConfig>) -> Box<dyn SecretStore> {
    let uses_keyring = account.is_some_and(|a| match a.voicemail.as_ref() {
        Some(vm) if vm.password.is_some() => vm.password == Some(PasswordSource::Keyring),
        _ => a.password == PasswordSource::Keyring,
    });
    if !uses_keyring {
        return Box::new(NoKeyring);
    }
    match voicelamp_core::secrets::KeyringStore::open() {
        Ok(store) => Box::new(store),
        Err(e) => {
            tracing::warn!(error = %e, "the OS keyring cannot be opened");
            Box::new(NoKeyring)
        }
    }
}

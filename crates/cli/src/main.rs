//! `voicelamp-cli`: Voicelamp without a desktop. It reads the same configuration as the app and
//! prints the engine's state and events for people and scripts.
//!
//! ```text
//! voicelamp-cli [--config PATH] watch [--json]          every change until Ctrl-C/SIGTERM, then
//!                                                       unsubscribe + unregister, exit 0
//! voicelamp-cli [--config PATH] status [--json] [--wait SECS]
//!                                                       the state once no mailbox is unknown (or
//!                                                       after SECS, default 10); exit 1 if an
//!                                                       account failed
//! voicelamp-cli [--config PATH] check ACCOUNT [--wait SECS]
//!                                                       registration, subscriptions and mailbox
//!                                                       mapping of one account, in words
//! voicelamp-cli [--config PATH] mailbox list ACCOUNT [--folder F] [--json]
//! voicelamp-cli [--config PATH] mailbox fetch ACCOUNT ID --out FILE.wav [--folder F]
//! voicelamp-cli [--config PATH] mailbox mark-heard|mark-new|delete ACCOUNT ID [--folder F]
//! voicelamp-cli [--config PATH] mailbox watch ACCOUNT [--folder F] [--json]
//!                                                       the account's voicemail store
//!                                                       ([accounts.voicemail]); exit 1 when the
//!                                                       server or message fails
//! voicelamp-cli [--config PATH] call ACCOUNT TARGET [--dtmf DIGITS] [--dtmf-after SECONDS]
//!               [--play FILE.wav] [--record FILE.wav] [--for SECONDS] [--json]
//! voicelamp-cli [--config PATH] voicemail ACCOUNT [same options]
//!                                                       one call: its states and RTCP figures;
//!                                                       exit 0 answered and hung up, 1 failed
//! ```
//!
//! `voicelamp-cli --version` prints the workspace version and the git revision it was built from.
//! The man pages and shell completions in `crates/cli/doc` are written from these definitions by
//! `voicelamp-cli --generate DIR` (`generate.rs`, left out of the help and the pages);
//! `tests/generated.rs` fails while the committed ones are out of date.
//!
//! One file per subcommand (`watch.rs`, `status.rs`, `check.rs`); `session.rs` starts the
//! `voicelamp-net` driver from the configuration and feeds its events to core's `LampModel`;
//! `print.rs` writes core's `EngineEvent`s as JSON lines or readable lines. Logs go to stderr
//! (`RUST_LOG`, default `warn`); SIP traces are at `debug` with `Authorization` redacted by
//! `voicelamp-sip`. Exit codes: 0 fine, 1 an account failed (status, check) or the mail server or
//! message failed (mailbox), 2 usage or configuration error. `mailbox/` goes through
//! `voicelamp_core::voicemail` (store, journal, audio cache).

mod call;
mod check;
mod error;
mod generate;
mod mailbox;
mod print;
mod session;
mod status;
mod watch;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Voicelamp without a desktop: SIP message-waiting lamps in a terminal.
#[derive(Debug, Parser)]
#[command(name = "voicelamp-cli", version = voicelamp_version::LONG, about)]
struct Cli {
    /// Configuration file (default: the app's, e.g. ~/.config/voicelamp/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Register, subscribe and print every change until Ctrl-C or SIGTERM.
    Watch(watch::Args),
    /// Print the state once every mailbox is known (or the wait is over); exit 1 if an account failed.
    Status(status::Args),
    /// Diagnose one account: registration, subscriptions and mailbox mapping, in words.
    Check(check::Args),
    /// The account's voicemail messages (IMAP): list, fetch, mark heard or new, delete, watch.
    Mailbox(mailbox::Args),
    /// Place a call: its states and RTCP figures until it ends; exit 1 if it failed.
    Call(call::Args),
    /// Call the account's voicemail (its access code), optionally sending keys.
    Voicemail(call::VoicemailArgs),
}

fn main() -> ExitCode {
    if let Some(code) = generate::run_if_asked() {
        return code;
    }
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("voicelamp-cli: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let config = session::load_config(cli.config.as_deref())?;
        match cli.command {
            Command::Watch(args) => watch::run(config, args).await,
            Command::Status(args) => status::run(config, args).await,
            Command::Check(args) => check::run(config, args).await,
            Command::Mailbox(args) => mailbox::run(config, args).await,
            Command::Call(args) => call::run(config, args).await,
            Command::Voicemail(args) => call::voicemail(config, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("voicelamp-cli: {e}");
            ExitCode::from(2)
        }
    }
}

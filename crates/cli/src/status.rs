//! `voicelamp-cli status [--json] [--wait SECS]`: waits until every mailbox is known (or its
//! account failed, or the wait is over), prints the state, and exits 1 if an account failed.

use crate::error::CliError;
use crate::print;
use crate::session;
use crate::watch::terminated;
use std::process::ExitCode;
use std::time::Duration;
use voicelamp_core::{Config, EngineEvent, LampState, RegistrationState};

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
    /// Longest wait for every mailbox to be known, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    wait: u64,
}

pub async fn run(config: Config, args: Args) -> Result<ExitCode, CliError> {
    let (mut session, _early) = session::start(&config)?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait);
    let stop = terminated();
    tokio::pin!(stop);
    while !settled(&session.snapshot()) {
        tokio::select! {
            () = &mut stop => break,
            () = tokio::time::sleep_until(deadline) => break,
            changes = session.next() => if changes.is_none() { break },
        }
    }
    let state = session.snapshot();
    session.shutdown().await;
    print::events(&state, args.json)?;
    let any_failed = state
        .iter()
        .any(|e| matches!(e, EngineEvent::Registration(r) if r.state == RegistrationState::Failed));
    Ok(if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Every account failed or has no unknown mailbox.
fn settled(state: &[EngineEvent]) -> bool {
    let failed: Vec<&str> = state
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Registration(r) if r.state == RegistrationState::Failed => {
                Some(r.account.as_str())
            }
            _ => None,
        })
        .collect();
    state.iter().all(|e| match e {
        EngineEvent::Mailbox(m) => {
            m.state != LampState::Unknown || failed.contains(&m.account.as_str())
        }
        EngineEvent::Registration(_) | EngineEvent::Call(_) | EngineEvent::MissedCall(_) => true,
    })
}

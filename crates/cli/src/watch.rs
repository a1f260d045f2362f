//! `voicelamp-cli watch [--json]`: every change until Ctrl-C or SIGTERM, then unsubscribe and
//! unregister.

use crate::error::CliError;
use crate::print;
use crate::session;
use std::process::ExitCode;
use voicelamp_core::Config;

/// Arguments of `watch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

pub async fn run(config: Config, args: Args) -> Result<ExitCode, CliError> {
    let (mut session, early) = session::start(&config)?;
    print::events(&session.snapshot(), args.json)?;
    print::events(&early, args.json)?;
    let stop = terminated();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            changes = session.next() => match changes {
                Some(changes) => print::events(&changes, args.json)?,
                None => return Err(CliError::Runtime(voicelamp_net::NetError::Stopped.into())),
            },
        }
    }
    tracing::info!("stopping: unsubscribing and unregistering");
    let last = session.shutdown().await;
    print::events(&last, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

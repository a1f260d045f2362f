//! `voicelamp-cli check ACCOUNT`: starts one account, waits for its registration and the first
//! answer of every subscription, and says in words what works and what to fix.

use crate::error::CliError;
use crate::session::user_agent;
use crate::watch::terminated;
use std::process::ExitCode;
use std::time::Duration;
use voicelamp_core::Config;
use voicelamp_core::runtime::{check, secret_store};

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The account id from the configuration.
    account: String,
    /// Longest wait for the server's answers, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 15)]
    wait: u64,
}

pub async fn run(config: Config, args: Args) -> Result<ExitCode, CliError> {
    let secrets = secret_store(&config);
    let diagnosis = check(
        &config,
        &args.account,
        secrets.as_ref(),
        &user_agent(),
        Duration::from_secs(args.wait),
        terminated(),
    )
    .await?;
    print!("{}", diagnosis.report);
    let sent: Vec<String> = diagnosis
        .requests_sent
        .iter()
        .map(|(m, n)| format!("{n} {m}"))
        .collect();
    if !sent.is_empty() {
        println!("  requests sent: {}", sent.join(", "));
    }
    Ok(if diagnosis.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

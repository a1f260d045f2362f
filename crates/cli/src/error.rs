//! The one error type of the CLI.

/// What stops a command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] voicelamp_core::ConfigError),
    /// The named account is not in the configuration.
    #[error("no account {0:?} in the configuration (accounts: {1})")]
    NoSuchAccount(String, String),
    /// The network driver stopped or failed.
    #[error(transparent)]
    Net(#[from] voicelamp_net::NetError),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

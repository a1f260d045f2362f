//! The one error type of the CLI.

/// What stops a command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] voicelamp_core::ConfigError),
    /// The engine could not start.
    #[error(transparent)]
    Runtime(#[from] voicelamp_core::runtime::RuntimeError),
    /// The command line asks for something that cannot be done (what to fix, in words).
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

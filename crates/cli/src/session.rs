//! What every command shares: the configuration and the engine (`voicelamp_core::runtime`), started
//! with the passwords of the configuration's sources.

use crate::error::CliError;
use std::path::Path;
use voicelamp_core::runtime::Engine;
use voicelamp_core::{Config, EngineEvent};

/// Reads the configuration file (the app's default one when `path` is `None`).
pub fn load_config(path: Option<&Path>) -> Result<Config, CliError> {
    Ok(match path {
        Some(path) => Config::load(path)?,
        None => Config::load_default()?,
    })
}

/// The SIP `User-Agent` of the CLI.
pub fn user_agent() -> String {
    format!("Voicelamp-cli/{}", voicelamp_core::VERSION)
}

/// Starts every account of `config` with passwords from its configured sources.
pub fn start(config: &Config) -> Result<(Engine, Vec<EngineEvent>), CliError> {
    let secrets = voicelamp_core::runtime::secret_store(config);
    Ok(Engine::start(
        config,
        None,
        secrets.as_ref(),
        &user_agent(),
    )?)
}

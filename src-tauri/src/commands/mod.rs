//! The commands the UI may call. Each one is thin: validate the input, call the engine, map errors
//! to text a person can act on. No business logic lives here. One file per command; the contract
//! that lists them for the UI is `crate::bindings`.

pub mod app_info;
pub mod autostart;
pub mod diagnostics;
pub mod lines;
pub mod mailbox;
pub mod navigation;
pub mod settings;
pub mod sip_trace;

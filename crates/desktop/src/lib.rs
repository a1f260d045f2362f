//! Voicelamp's desktop app without its window: the engine of `voicelamp-core` with its tray lamp,
//! notifications, voicemail stores and the [`Backend`](backend::Backend) that answers the window.
//!
//! On Linux this crate is the tray process (`voicelamp`, see [`host`]): it links no GTK and no
//! WebKit, shows its lamp as a StatusNotifierItem over D-Bus and starts the window (the Tauri app,
//! `voicelamp-window`) only while a person looks at it; the window talks to it over a private
//! local socket ([`protocol`]). Elsewhere the Tauri app runs the same backend in one process.
//!
//! It must never hold business logic either: the rules live in core; here they are wired to the
//! desktop.

pub mod backend;
pub mod badge;
pub mod calls;
#[cfg(unix)]
pub mod client;
pub mod engine;
#[cfg(target_os = "linux")]
pub mod host;
pub mod mailboxes;
pub mod navigation;
pub mod notify;
pub mod probe;
pub mod protocol;
pub mod ringing;
pub mod shell;
pub mod sip_trace;
#[cfg(target_os = "linux")]
pub mod sni;
pub mod tray_menu;
pub mod volume;

use std::path::PathBuf;

/// Command-line flag that starts the app in the tray without opening the window (used by autostart).
pub const MINIMIZED_FLAG: &str = "--minimized";

/// The window program, beside the tray program (`VOICELAMP_WINDOW_PROGRAM` overrides it).
pub fn window_program() -> PathBuf {
    if let Some(path) = std::env::var_os("VOICELAMP_WINDOW_PROGRAM").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let name = format!("voicelamp-window{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .map(|exe| exe.with_file_name(&name))
        .unwrap_or_else(|_| PathBuf::from(name))
}

/// The tray program, beside the window program: what starts at login.
pub fn tray_program() -> PathBuf {
    let name = format!("voicelamp{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .map(|exe| exe.with_file_name(&name))
        .unwrap_or_else(|_| PathBuf::from(name))
}

/// How the app starts.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Open the window at start (not with `--minimized`).
    pub open_window: bool,
    /// The configuration file.
    pub config_path: PathBuf,
    /// Where to write what the tray shows (`VOICELAMP_TRAY_PROBE`), for end-to-end tests.
    pub tray_probe: Option<PathBuf>,
    /// Where to go first: a `sip:`/`tel:` link the app was opened with.
    pub navigation: Option<navigation::Navigation>,
    /// The recent SIP messages for Diagnostics (fed by the tracing layer of [`init_tracing`]).
    pub sip_trace: sip_trace::SipTrace,
}

impl AppOptions {
    /// From the command line and the environment.
    pub fn from_env() -> Result<Self, voicelamp_core::ConfigError> {
        let args: Vec<String> = std::env::args().collect();
        Ok(Self {
            open_window: !args.iter().any(|arg| arg == MINIMIZED_FLAG),
            config_path: engine::config_path_from(&args)?,
            tray_probe: std::env::var_os("VOICELAMP_TRAY_PROBE")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            navigation: navigation::link_in(&args),
            sip_trace: sip_trace::SipTrace::default(),
        })
    }
}

/// Logs to stderr (`RUST_LOG`, default warnings) and keeps the recent SIP messages in `trace`.
pub fn init_tracing(trace: &sip_trace::SipTrace) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let console = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        );
    let sip = trace.clone().with_filter(
        tracing_subscriber::filter::Targets::new()
            .with_target(sip_trace::TARGET, tracing::Level::DEBUG),
    );
    let _ = tracing_subscriber::registry()
        .with(console)
        .with(sip)
        .try_init();
}

/// The `voicelamp` program: on Linux the tray process; elsewhere it starts the window program,
/// which runs everything in one process. Its exit code.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if voicelamp_version::asked(&args) {
        println!("{}", voicelamp_version::line("voicelamp"));
        return 0;
    }
    let options = match AppOptions::from_env() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("voicelamp: {e}");
            return 2;
        }
    };
    #[cfg(target_os = "linux")]
    {
        host::run(options)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = options;
        std::process::Command::new(window_program())
            .arg("--standalone")
            .args(std::env::args_os().skip(1))
            .status()
            .ok()
            .and_then(|status| status.code())
            .unwrap_or(1)
    }
}

//! The Voicelamp desktop shell. It builds the Tauri app around the engine of `voicelamp-core`: the
//! tray lamp and its menu, the main window (closed means destroyed; the tray keeps running), the
//! thin commands the UI calls and the typed contract exported to `ui/src/bindings.ts`.
//!
//! It must never hold business logic: commands validate, call the engine and map errors. Everything
//! a person sees about a mailbox comes from the engine's lamp model.

pub mod badge;
pub mod bindings;
pub mod commands;
pub mod engine;
pub mod mailboxes;
pub mod notify;
pub mod sip_trace;
pub mod tray;
pub mod window;

use std::path::PathBuf;
use tauri::{Manager, RunEvent, Runtime};

/// Command-line flag that starts the app in the tray without opening the window (used by autostart).
pub const MINIMIZED_FLAG: &str = "--minimized";

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
    pub navigation: Option<window::Navigation>,
    /// The recent SIP messages for Diagnostics (fed by the tracing layer of [`run`]).
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
            navigation: link_in(&args),
            sip_trace: sip_trace::SipTrace::default(),
        })
    }
}

/// The first `sip:`/`tel:` link among the arguments, as a navigation.
fn link_in(args: &[String]) -> Option<window::Navigation> {
    args.iter()
        .skip(1)
        .find_map(|arg| window::Navigation::from_link(arg))
}

/// Adds Voicelamp's commands, window policy, tray and engine to a Tauri builder.
///
/// Tests pass `tauri::test::mock_builder()`; [`run`] passes the real one. The tray, the engine and
/// the first window are created in `setup`, so a builder made here can be inspected before
/// anything shows.
pub fn app_builder<R: Runtime>(
    builder: tauri::Builder<R>,
    options: AppOptions,
) -> tauri::Builder<R> {
    let contract = bindings::contract::<R>();
    let (engine, engine_task) = engine::EngineService::new(options.config_path.clone());
    builder
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![MINIMIZED_FLAG]),
        ))
        .manage(engine)
        .manage(window::PendingNavigation::default())
        .manage(mailboxes::Mailboxes::default())
        .manage(tray::TrayProbe::new(options.tray_probe.clone()))
        .manage(options.sip_trace.clone())
        .invoke_handler(contract.invoke_handler())
        .setup(move |app| {
            contract.mount_events(app);
            tray::create(app.handle())?;
            engine_task.start(app.handle());
            if let Some(navigation) = options.navigation.clone() {
                window::navigate(app.handle(), navigation)?;
            } else if options.open_window {
                window::open_main(app.handle())?;
            }
            Ok(())
        })
}

/// Starts the desktop app and blocks until the person quits it.
pub fn run() {
    let options = match AppOptions::from_env() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("voicelamp: {e}");
            std::process::exit(2);
        }
    };
    {
        use tracing_subscriber::Layer as _;
        use tracing_subscriber::layer::SubscriberExt as _;
        use tracing_subscriber::util::SubscriberInitExt as _;
        let console = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
            );
        let sip = options.sip_trace.clone().with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target(sip_trace::TARGET, tracing::Level::DEBUG),
        );
        tracing_subscriber::registry()
            .with(console)
            .with(sip)
            .init();
    }
    let builder =
        tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // A second launch means "show me Voicelamp" (or "call this", for a link): bring the
            // window back instead.
            let shown = match link_in(&argv) {
                Some(navigation) => window::navigate(app, navigation),
                None => window::open_main(app),
            };
            if let Err(err) = shown {
                eprintln!("voicelamp: could not open the window: {err}");
            }
        }));
    let app = match app_builder(builder, options).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("voicelamp: cannot start: {e}");
            // The running instance this launch handed over to was just quitting: start again,
            // once, to become the running instance.
            let handover_failed = e.to_string().contains("running instance");
            if handover_failed && std::env::var_os(RESTARTED).is_none() {
                std::process::exit(restart());
            }
            std::process::exit(1);
        }
    };
    app.run(on_run_event);
}

/// Set on a launch that restarted itself once (see [`run`]).
const RESTARTED: &str = "VOICELAMP_RESTARTED";

/// Runs this program again with the same arguments; its exit code.
fn restart() -> i32 {
    let Ok(exe) = std::env::current_exe() else {
        return 1;
    };
    std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(RESTARTED, "1")
        .status()
        .ok()
        .and_then(|status| status.code())
        .unwrap_or(1)
}

/// The last window closing is not the app quitting: only an explicit exit (the tray's Quit, which
/// carries an exit code) ends it. On exit, every account unsubscribes and unregisters (bounded).
fn on_run_event<R: Runtime>(app: &tauri::AppHandle<R>, event: RunEvent) {
    match event {
        RunEvent::ExitRequested {
            api, code: None, ..
        } => api.prevent_exit(),
        RunEvent::Exit => {
            if let Some(engine) = app.try_state::<engine::EngineService>() {
                let engine = engine.inner().clone();
                tauri::async_runtime::block_on(engine.shutdown(engine::SHUTDOWN_LIMIT));
            }
        }
        _ => {}
    }
}

//! Voicelamp's window: the Tauri app with the Lines, Mailbox, Settings and Diagnostics views, the
//! thin commands the UI calls and the typed contract exported to `ui/src/bindings.ts`.
//!
//! On Linux the window is its own process (`voicelamp-window`), started by the tray process
//! (`voicelamp`, crate `voicelamp-desktop`) while a person looks and gone when the window closes:
//! its commands are forwarded over the tray process's socket and its events come from there
//! ([`HostLink::Remote`]). Elsewhere (and with `--standalone`) one process runs everything: the
//! same backend in process and a Tauri tray ([`HostLink::Local`]).
//!
//! It must never hold business logic: commands validate, forward and map errors.

pub mod bindings;
pub mod commands;
pub mod events;
pub mod tray;
pub mod window;

use std::sync::Arc;
use tauri::{Manager, RunEvent, Runtime};
pub use voicelamp_desktop::AppOptions;
use voicelamp_desktop::backend::Backend;
use voicelamp_desktop::badge::Badge;
use voicelamp_desktop::engine::{EngineService, SHUTDOWN_LIMIT};
use voicelamp_desktop::mailboxes::Mailboxes;
use voicelamp_desktop::navigation::{Navigation, PendingNavigation, link_in};
use voicelamp_desktop::probe::TrayProbe;
use voicelamp_desktop::protocol::{Call, HostEvent, Reply};
use voicelamp_desktop::shell::Shell;
use voicelamp_desktop::tray_menu::TrayMenu;

/// Starts the window in one process with the engine and a Tauri tray (the only mode off Linux).
pub const STANDALONE_FLAG: &str = "--standalone";

/// How the window reaches the backend.
#[derive(Debug, Clone)]
pub enum HostLink {
    /// In this process.
    Local(Backend),
    /// In the tray process, over its socket.
    #[cfg(unix)]
    Remote(voicelamp_desktop::client::HostClient),
}

impl HostLink {
    /// Asks the backend; its answer or why not, in words.
    pub async fn call(&self, call: Call) -> Result<Reply, String> {
        match self {
            HostLink::Local(backend) => backend.handle(call).await,
            #[cfg(unix)]
            HostLink::Remote(client) => client.call(call).await,
        }
    }
}

/// The desktop as the single-process app shows it: the Tauri tray and the window's events.
struct TauriShell<R: Runtime> {
    app: tauri::AppHandle<R>,
}

impl<R: Runtime> Shell for TauriShell<R> {
    fn show_tray(&self, badge: &Badge, tooltip: &str, menu: &TrayMenu) {
        if let Err(e) = tray::show(&self.app, badge, tooltip, menu) {
            tracing::warn!(error = %e, "the tray could not be updated");
        }
    }

    fn tell_window(&self, event: HostEvent) {
        events::apply(&self.app, event);
    }

    fn navigate(&self, navigation: Navigation) {
        if let Err(e) = window::navigate(&self.app, navigation) {
            tracing::warn!(error = %e, "the window could not be opened");
        }
    }
}

/// The single-process app: the engine, the tray and the window in one Tauri app.
///
/// Tests pass `tauri::test::mock_builder()`; [`run`] passes the real one. The tray, the engine and
/// the first window are created in `setup`, so a builder made here can be inspected before
/// anything shows.
pub fn app_builder<R: Runtime>(
    builder: tauri::Builder<R>,
    options: AppOptions,
) -> tauri::Builder<R> {
    let contract = bindings::contract::<R>();
    let (engine, engine_task) = EngineService::new(options.config_path.clone());
    let mailboxes = Mailboxes::new(engine.clone());
    let pending = PendingNavigation::default();
    let backend = Backend {
        engine,
        mailboxes: mailboxes.clone(),
        trace: options.sip_trace.clone(),
        pending: pending.clone(),
        login_program: login_program(),
    };
    let probe = Arc::new(TrayProbe::new(options.tray_probe.clone()));
    builder
        .manage(HostLink::Local(backend))
        .manage(pending)
        .invoke_handler(contract.invoke_handler())
        .setup(move |app| {
            contract.mount_events(app);
            tray::create(app.handle())?;
            let shell: Arc<dyn Shell> = Arc::new(TauriShell {
                app: app.handle().clone(),
            });
            tauri::async_runtime::spawn(async move {
                engine_task.start(shell, mailboxes, probe);
            });
            if let Some(navigation) = options.navigation.clone() {
                window::navigate(app.handle(), navigation)?;
            } else if options.open_window {
                window::open_main(app.handle())?;
            }
            Ok(())
        })
}

/// The window of the tray process: commands go to `client`, `events` come from it, and the
/// process ends with its window (or when the tray process goes away).
#[cfg(unix)]
pub fn window_builder<R: Runtime>(
    builder: tauri::Builder<R>,
    client: voicelamp_desktop::client::HostClient,
    mut events: tokio::sync::mpsc::UnboundedReceiver<HostEvent>,
) -> tauri::Builder<R> {
    let contract = bindings::contract::<R>();
    builder
        .manage(HostLink::Remote(client))
        .manage(PendingNavigation::default())
        .invoke_handler(contract.invoke_handler())
        .setup(move |app| {
            contract.mount_events(app);
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                while let Some(event) = events.recv().await {
                    events::apply(&handle, event);
                }
                handle.exit(0);
            });
            window::open_main(app.handle())?;
            Ok(())
        })
}

/// The `voicelamp-window` program.
pub fn run() {
    let args: Vec<String> = std::env::args().collect();
    if voicelamp_version::asked(args.get(1..).unwrap_or_default()) {
        println!("{}", voicelamp_version::line("voicelamp-window"));
        return;
    }
    let standalone = cfg!(not(target_os = "linux")) || args.iter().any(|a| a == STANDALONE_FLAG);
    if standalone {
        run_standalone();
    } else {
        #[cfg(target_os = "linux")]
        run_window();
    }
}

#[cfg(target_os = "linux")]
fn run_window() {
    use voicelamp_desktop::host::STARTED_BY_TRAY_ENV;
    if std::env::var_os(STARTED_BY_TRAY_ENV).is_none() {
        // Started by the desktop or a person, not by the tray process: become `voicelamp`, which
        // hands over to the running instance or starts it (and it opens this window).
        use std::os::unix::process::CommandExt as _;
        let error = std::process::Command::new(voicelamp_desktop::tray_program())
            .args(std::env::args_os().skip(1))
            .exec();
        eprintln!("voicelamp-window: cannot start Voicelamp: {error}");
        std::process::exit(2);
    }
    voicelamp_desktop::init_tracing(&Default::default());
    let socket = voicelamp_desktop::host::Paths::for_user().socket;
    let connected =
        tauri::async_runtime::block_on(voicelamp_desktop::client::HostClient::connect(&socket));
    let (client, events) = match connected {
        Ok(connected) => connected,
        Err(e) => {
            eprintln!("voicelamp-window: Voicelamp is not running (start `voicelamp`): {e}");
            std::process::exit(2);
        }
    };
    match window_builder(tauri::Builder::default(), client, events)
        .build(tauri::generate_context!())
    {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("voicelamp-window: cannot start: {e}");
            std::process::exit(1);
        }
    }
}

fn run_standalone() {
    let options = match AppOptions::from_env() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("voicelamp: {e}");
            std::process::exit(2);
        }
    };
    voicelamp_desktop::init_tracing(&options.sip_trace);
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
            std::process::exit(1);
        }
    };
    app.run(on_run_event);
}

/// What starts at login (with `--minimized`): on Linux the tray process; elsewhere this program,
/// the only one the Windows and macOS installers carry.
fn login_program() -> std::path::PathBuf {
    if cfg!(target_os = "linux") {
        voicelamp_desktop::tray_program()
    } else {
        std::env::current_exe().unwrap_or_else(|_| voicelamp_desktop::window_program())
    }
}

/// The last window closing is not the app quitting: only an explicit exit (the tray's Quit, which
/// carries an exit code) ends it. On exit, every account unsubscribes and unregisters (bounded).
fn on_run_event<R: Runtime>(app: &tauri::AppHandle<R>, event: RunEvent) {
    match event {
        RunEvent::ExitRequested {
            api, code: None, ..
        } => api.prevent_exit(),
        RunEvent::Exit => {
            if let Some(link) = app.try_state::<HostLink>()
                && let HostLink::Local(backend) = link.inner()
            {
                let engine = backend.engine.clone();
                tauri::async_runtime::block_on(engine.shutdown(SHUTDOWN_LIMIT));
            }
        }
        // macOS hands a clicked sip:/sips:/tel: link (CFBundleURLTypes in Info.plist) to the
        // running app as an Apple event, not as an argument.
        #[cfg(target_os = "macos")]
        RunEvent::Opened { urls } => {
            let links: Vec<String> = std::iter::once(String::new())
                .chain(urls.iter().map(|url| url.to_string()))
                .collect();
            if let Some(navigation) = link_in(&links)
                && let Err(err) = window::navigate(app, navigation)
            {
                tracing::warn!(error = %err, "the link could not be opened");
            }
        }
        _ => {}
    }
}

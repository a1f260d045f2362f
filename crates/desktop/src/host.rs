//! The Linux tray process. It owns the engine, the voicemail stores, notifications and the tray
//! lamp (a StatusNotifierItem: no GTK, no WebKit), and it is the single instance: it holds a lock
//! file and listens on a socket in the user's private runtime folder.
//!
//! The window is another process (`voicelamp-window`), started when a person wants to look (a
//! tray click, a notification click, a second launch) and gone when its window closes, so the
//! memory a webview needs is spent only while it shows. It connects to the socket, asks
//! ([`ToHost::Call`]) and is told ([`HostEvent`]); a second `voicelamp` hands its arguments over
//! the same socket ([`ToHost::Launch`]) and exits.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, broadcast, mpsc, watch};

use crate::AppOptions;
use crate::backend::Backend;
use crate::badge::{self, Badge};
use crate::engine::{EngineService, SHUTDOWN_LIMIT};
use crate::mailboxes::Mailboxes;
use crate::navigation::{Navigation, PendingNavigation, ViewId, link_in};
use crate::probe::TrayProbe;
use crate::protocol::{self, FromHost, HostEvent, ToHost};
use crate::shell::Shell;
use crate::sni::{SniTray, TrayPicture};
use crate::tray_menu::{TrayItem, TrayMenu};

/// Pixel size the lamp is drawn at; the tray host scales it to its panel.
const ICON_SIZE: u32 = 64;

/// Set (to anything) to let WebKitGTK composite the window with OpenGL.
///
/// By default the window draws on the CPU: it is flat text and shapes, and on the machines
/// receptionists often use (virtual desktops, remote sessions, no GPU, so OpenGL is emulated on
/// the CPU) GL compositing took the Lines view with 200 tiles and 50 updates a second down to 11
/// frames a second at 1.5 cores, where drawing on the CPU keeps it above 60 at under half a core
/// (`tests/e2e/measure tiles`). The window process is started with WebKitGTK's switch for that
/// (the setting changed on a live webview crashed its first page now and then).
pub const GPU_ENV: &str = "VOICELAMP_GPU";

/// Set by the tray process on the window process it starts. A window program started any other
/// way (a desktop entry, a person) starts the tray program in its place.
pub const STARTED_BY_TRAY_ENV: &str = "VOICELAMP_STARTED_BY_TRAY";

/// How long a second launch tries to reach the running instance.
const HAND_OVER_WAIT: Duration = Duration::from_secs(5);

/// Where the single instance keeps its lock and socket.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The private folder.
    pub dir: PathBuf,
    /// Held (locked) by the running instance.
    pub lock: PathBuf,
    /// Where the running instance listens.
    pub socket: PathBuf,
}

impl Paths {
    /// `$XDG_RUNTIME_DIR/voicelamp`, else a per-user folder in the temporary folder.
    pub fn for_user() -> Self {
        let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
            Some(runtime) => PathBuf::from(runtime).join("voicelamp"),
            None => std::env::temp_dir().join(format!(
                "voicelamp-{}",
                std::env::var("USER").unwrap_or_else(|_| "user".to_owned())
            )),
        };
        Self::in_dir(dir)
    }

    /// The lock and socket in `dir` (for tests, and for running a second, separate instance).
    pub fn in_dir(dir: PathBuf) -> Self {
        Self {
            lock: dir.join("instance.lock"),
            socket: dir.join("host.sock"),
            dir,
        }
    }

    /// Makes the private folder (mode 0700) unless it exists, then checks that it is safe: a
    /// real folder (not a symlink), owned by this user, that no one else may enter. In the shared
    /// temporary folder anyone may create `voicelamp-USER` first; the lock and the socket are
    /// never put in a folder that is not this user's alone.
    fn create_dir(&self) -> Result<(), String> {
        use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
        let shown = self.dir.display();
        let mut builder = std::fs::DirBuilder::new();
        builder.mode(0o700);
        let created = match builder.create(&self.dir) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                builder.recursive(true).create(&self.dir).map_err(|e| {
                    format!("{shown} cannot be created ({e}); check that its parent folder can be written")
                })?;
                true
            }
            Err(e) => {
                return Err(format!(
                    "{shown} cannot be created ({e}); check that its parent folder can be written"
                ));
            }
        };
        if created {
            // The umask may have taken bits away; the folder is ours, so set exactly 0700.
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("{shown} cannot be made private ({e})"))?;
        }
        let found = std::fs::symlink_metadata(&self.dir)
            .map_err(|e| format!("{shown} cannot be read ({e})"))?;
        if found.file_type().is_symlink() {
            return Err(format!(
                "{shown} is a symbolic link, not a folder; someone may be trying to take over \
                 Voicelamp's socket: remove it, or set XDG_RUNTIME_DIR to your private runtime folder"
            ));
        }
        if !found.is_dir() {
            return Err(format!(
                "{shown} is not a folder; remove it and start Voicelamp again"
            ));
        }
        let me = current_uid().map_err(|e| format!("this user's id cannot be read ({e})"))?;
        if found.uid() != me {
            return Err(format!(
                "{shown} belongs to another user (uid {}), so Voicelamp will not put its socket \
                 there: remove that folder, or set XDG_RUNTIME_DIR to your private runtime folder",
                found.uid()
            ));
        }
        let mode = found.permissions().mode() & 0o777;
        if mode != 0o700 {
            return Err(format!(
                "{shown} may be entered by other users (mode {mode:04o}); make it private with \
                 `chmod 700 {shown}` and start Voicelamp again"
            ));
        }
        Ok(())
    }
}

/// The effective user id of this process (the owner of its `/proc` entry).
fn current_uid() -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").map(|m| m.uid())
}

/// Runs the tray process until the person quits (or the session ends); its exit code.
pub fn run(options: AppOptions) -> i32 {
    crate::init_tracing(&options.sip_trace);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("voicelamp: cannot start: {e}");
            return 1;
        }
    };
    runtime.block_on(serve(
        options,
        Paths::for_user(),
        std::env::args().collect(),
    ))
}

/// Becomes the running instance at `paths` and serves until the person quits, or hands `args`
/// (this launch's command line) to the instance that runs; the exit code.
pub async fn serve(options: AppOptions, paths: Paths, args: Vec<String>) -> i32 {
    if let Err(reason) = paths.create_dir() {
        eprintln!("voicelamp: {reason}");
        return 1;
    }
    let lock = match claim(&paths.lock) {
        Ok(Some(lock)) => lock,
        Ok(None) => return hand_over(&paths.socket, args).await,
        Err(e) => {
            eprintln!("voicelamp: {} cannot be locked: {e}", paths.lock.display());
            return 1;
        }
    };
    let _ = std::fs::remove_file(&paths.socket);
    let listener = match UnixListener::bind(&paths.socket) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "voicelamp: cannot listen on {}: {e}",
                paths.socket.display()
            );
            return 1;
        }
    };
    let code = Host::start(options).await.serve(listener).await;
    let _ = std::fs::remove_file(&paths.socket);
    drop(lock);
    code
}

/// The lock file, held; `None` when another instance holds it.
fn claim(path: &Path) -> std::io::Result<Option<std::fs::File>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Gives this launch's arguments to the running instance; the exit code.
async fn hand_over(socket: &Path, args: Vec<String>) -> i32 {
    let deadline = tokio::time::Instant::now() + HAND_OVER_WAIT;
    let stream = loop {
        match UnixStream::connect(socket).await {
            Ok(stream) => break stream,
            // The running instance may still be starting (locked, not listening yet).
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => {
                eprintln!("voicelamp: the running instance does not answer: {e}");
                return 1;
            }
        }
    };
    let (read, mut write) = stream.into_split();
    if let Err(e) = write
        .write_all(&protocol::encode(&ToHost::Launch { args }))
        .await
    {
        eprintln!("voicelamp: the running instance does not answer: {e}");
        return 1;
    }
    let mut read = tokio::io::BufReader::new(read);
    match tokio::time::timeout(HAND_OVER_WAIT, protocol::read::<FromHost, _>(&mut read)).await {
        Ok(Ok(Some(FromHost::Launched))) => 0,
        _ => {
            eprintln!("voicelamp: the running instance did not take over");
            1
        }
    }
}

/// The running instance.
struct Host {
    backend: Backend,
    shell: Arc<HostShell>,
}

/// The desktop side the engine publishes to.
struct HostShell {
    events: broadcast::Sender<HostEvent>,
    windows: AtomicUsize,
    window_running: Arc<AtomicBool>,
    pending: PendingNavigation,
    tray: watch::Sender<Option<(Badge, String, TrayMenu)>>,
    quit: Notify,
}

impl Host {
    async fn start(options: AppOptions) -> Self {
        let (engine, task) = EngineService::new(options.config_path.clone());
        let mailboxes = Mailboxes::new(engine.clone());
        let pending = PendingNavigation::default();
        let (tray, tray_state) = watch::channel(None);
        let shell = Arc::new(HostShell {
            events: broadcast::channel(256).0,
            windows: AtomicUsize::new(0),
            window_running: Arc::default(),
            pending: pending.clone(),
            tray,
            quit: Notify::new(),
        });
        let backend = Backend {
            engine: engine.clone(),
            mailboxes: mailboxes.clone(),
            trace: options.sip_trace.clone(),
            pending,
            login_program: std::env::current_exe().unwrap_or_else(|_| crate::tray_program()),
        };
        let on_item = {
            let shell = shell.clone();
            let engine = engine.clone();
            Arc::new(move |item: TrayItem| shell.on_tray_item(&engine, item))
        };
        match SniTray::spawn(on_item).await {
            Ok(tray) => {
                tokio::spawn(show_tray(tray, tray_state));
            }
            Err(e) => tracing::warn!(error = %e, "no tray lamp"),
        }
        task.start(
            shell.clone(),
            mailboxes,
            Arc::new(TrayProbe::new(options.tray_probe.clone())),
        );
        if let Some(navigation) = options.navigation {
            shell.navigate(navigation);
        } else if options.open_window {
            shell.navigate(Navigation::view(ViewId::Lines));
        }
        Self { backend, shell }
    }

    /// Serves windows and launches until the person quits or the session ends.
    async fn serve(self, listener: UnixListener) -> i32 {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        tokio::spawn(connection(self.shell.clone(), self.backend.clone(), stream));
                    }
                    Err(e) => tracing::warn!(error = %e, "a connection was refused"),
                },
                () = self.shell.quit.notified() => break,
                _ = tokio::signal::ctrl_c() => break,
                Some(()) = async {
                    match terminate.as_mut() {
                        Some(signal) => signal.recv().await,
                        None => std::future::pending().await,
                    }
                } => break,
            }
        }
        let _ = self.shell.events.send(HostEvent::Quit);
        self.backend.engine.shutdown(SHUTDOWN_LIMIT).await;
        0
    }
}

/// Keeps the tray showing the newest state (only the newest: a burst costs one redraw).
async fn show_tray(tray: SniTray, mut state: watch::Receiver<Option<(Badge, String, TrayMenu)>>) {
    while state.changed().await.is_ok() {
        let shown = state.borrow_and_update().clone();
        if let Some((badge, tooltip, menu)) = shown {
            let drawn = badge::render(&badge, ICON_SIZE);
            let picture = TrayPicture {
                size: drawn.size,
                rgba: drawn.rgba,
            };
            let attention = badge.new > 0 || menu.ringing;
            tray.show(&picture, &tooltip, &menu, attention).await;
        }
    }
    tray.shutdown().await;
}

impl HostShell {
    fn on_tray_item(&self, engine: &EngineService, item: TrayItem) {
        match item {
            TrayItem::Line(index) => {
                if let Some(line) = engine.view().lines.lines.get(index) {
                    self.navigate(Navigation::mailbox(&line.account, &line.mailbox));
                }
            }
            TrayItem::Voicemail(index) => {
                if let Some(line) = engine.view().lines.lines.get(index) {
                    let command = crate::calls::voicemail_of(line);
                    let engine = engine.clone();
                    tokio::spawn(async move { report_call(engine.call(command).await) });
                }
            }
            TrayItem::Answer | TrayItem::Decline | TrayItem::HangUp => {
                let command = crate::engine::CallCommand::Call(match item {
                    TrayItem::Answer => voicelamp_core::CallCommand::Answer,
                    TrayItem::Decline => voicelamp_core::CallCommand::Decline,
                    _ => voicelamp_core::CallCommand::HangUp,
                });
                let engine = engine.clone();
                tokio::spawn(async move { report_call(engine.call(command).await) });
            }
            TrayItem::Open => self.navigate(Navigation::view(ViewId::Lines)),
            TrayItem::Settings => self.navigate(Navigation::view(ViewId::Settings)),
            TrayItem::Quit => self.quit.notify_one(),
        }
    }

    /// A launch handed over: a link goes there; `--minimized` (a login item while Voicelamp
    /// already runs) changes nothing; anything else shows the window.
    fn launch(&self, args: &[String]) {
        match link_in(args) {
            Some(navigation) => self.navigate(navigation),
            None if args.iter().any(|a| a == crate::MINIMIZED_FLAG) => {}
            None => self.navigate(Navigation::view(ViewId::Lines)),
        }
    }

    /// Starts the window process unless one runs (it takes the pending navigation when ready).
    fn start_window(&self) {
        if self.window_running.swap(true, Ordering::SeqCst) {
            return;
        }
        let program = crate::window_program();
        let mut command = tokio::process::Command::new(&program);
        command.env(STARTED_BY_TRAY_ENV, "1");
        if std::env::var_os(GPU_ENV).is_none() {
            command.env("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
        }
        match command.spawn() {
            Ok(mut child) => {
                let running = self.window_running.clone();
                tokio::spawn(async move {
                    let _ = child.wait().await;
                    running.store(false, Ordering::SeqCst);
                });
            }
            Err(e) => {
                tracing::error!(program = %program.display(), error = %e, "the window cannot start");
                self.window_running.store(false, Ordering::SeqCst);
            }
        }
    }
}

impl Shell for HostShell {
    fn show_tray(&self, badge: &Badge, tooltip: &str, menu: &TrayMenu) {
        self.tray
            .send_replace(Some((*badge, tooltip.to_owned(), menu.clone())));
    }

    fn tell_window(&self, event: HostEvent) {
        let _ = self.events.send(event);
    }

    fn navigate(&self, navigation: Navigation) {
        if self.windows.load(Ordering::SeqCst) > 0 {
            let _ = self.events.send(HostEvent::Navigate(navigation));
        } else {
            self.pending.set(navigation);
            self.start_window();
        }
    }
}

/// A call asked from the tray menu that cannot be made: said in a notification (the tray has
/// no other place for words).
fn report_call(result: Result<(), String>) {
    if let Err(reason) = result {
        crate::notify::call_failed(&reason);
    }
}

/// Messages waiting to be written to one connection. A window that does not read (hung, or
/// stopped in a debugger) fills this queue and then the socket's buffers; from then on its calls
/// are no longer read and its events are skipped, so it cannot grow the tray process's memory.
/// When it reads again, it gets the whole current view once ([`forward_events`]).
const QUEUE: usize = 64;

/// Calls of one connection answered at once; the next is read when one is done.
const CALLS_IN_FLIGHT: usize = 16;

/// One connection: a window (asks and is told) or a launch handing over.
async fn connection(shell: Arc<HostShell>, backend: Backend, stream: UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut read = tokio::io::BufReader::new(read);
    let (out, mut outgoing) = mpsc::channel::<FromHost>(QUEUE);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(CALLS_IN_FLIGHT));
    let writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            if write.write_all(&protocol::encode(&message)).await.is_err() {
                break;
            }
        }
    });
    let mut is_window = false;
    loop {
        let message = match protocol::read::<ToHost, _>(&mut read).await {
            Ok(Some(message)) => message,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "a window sent what cannot be read");
                break;
            }
        };
        match message {
            ToHost::Window if !is_window => {
                is_window = true;
                shell.windows.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(forward_events(
                    shell.events.subscribe(),
                    backend.engine.clone(),
                    out.clone(),
                ));
            }
            ToHost::Window => {}
            ToHost::Launch { args } => {
                shell.launch(&args);
                let _ = out.send(FromHost::Launched).await;
            }
            ToHost::Call { id, call } => {
                // Waits (reading nothing more) while as many calls wait for their answer to be
                // taken: the window's writes then block, not the tray's memory grow.
                let Ok(permit) = in_flight.clone().acquire_owned().await else {
                    break;
                };
                let backend = backend.clone();
                let out = out.clone();
                tokio::spawn(async move {
                    let result = backend.handle(*call).await;
                    let _ = out.send(FromHost::Reply { id, result }).await;
                    drop(permit);
                });
            }
        }
    }
    if is_window {
        shell.windows.fetch_sub(1, Ordering::SeqCst);
    }
    drop(out);
    writer.abort();
}

/// Tells one window every event; one that fell behind (its queue full while the bounded
/// broadcast went on) gets the whole current view again instead of what it missed.
async fn forward_events(
    mut events: broadcast::Receiver<HostEvent>,
    engine: EngineService,
    out: mpsc::Sender<FromHost>,
) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(_)) => HostEvent::Lines(engine.view()),
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if out.send(FromHost::Event { event }).await.is_err() {
            return;
        }
    }
}

//! Harness for the end-to-end tests of the real Voicelamp app: it starts `tauri-driver` (which drives
//! WebKitWebDriver), opens a WebDriver session on the app binary and offers condition waits and X11
//! window queries. The display, session bus, notification daemon and tray host are started around
//! the tests by `tests/e2e/run`; the tests here are `#[ignore]`d so a plain `cargo test` skips them.
//!
//! It never sleeps for a fixed time: every wait polls a condition with a deadline.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub mod lab;
pub mod sni;

/// How long a condition may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The app binary under test: `VOICELAMP_APP`, else the workspace's debug build.
pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("VOICELAMP_APP") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let path = target.join("debug/voicelamp");
    path.canonicalize().unwrap_or(path)
}

/// Where screenshots and logs of a run go: `VOICELAMP_E2E_ARTIFACTS`, else `tests/artifacts`.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("VOICELAMP_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/artifacts"));
    std::fs::create_dir_all(&dir).expect("artifacts folder");
    dir
}

/// Polls `check` until it returns `Some`, or fails the test naming `what` after [`DEADLINE`].
pub fn wait_until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        std::thread::sleep(POLL);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A running `tauri-driver`; killed when dropped.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts `tauri-driver` on free loopback ports and waits until it accepts connections.
    pub fn start() -> Driver {
        Self::start_with_env(&[])
    }

    /// [`Driver::start`] with extra environment variables, which reach the app it launches
    /// (e.g. `VOICELAMP_CONFIG`, `VOICELAMP_TRAY_PROBE`, `RUST_LOG`).
    pub fn start_with_env(env: &[(String, String)]) -> Driver {
        let port = free_port();
        let native_port = free_port();
        let log = std::fs::File::create(artifacts_dir().join(format!("tauri-driver-{port}.log")))
            .expect("driver log");
        let child = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("tauri-driver could not start: run scripts/setup");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_until("tauri-driver to listen", || {
            TcpStream::connect_timeout(&addr, POLL).ok()
        });
        Driver { child, port }
    }

    /// Launches the app and opens a WebDriver session on its main window.
    pub async fn session(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app_binary() }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("WebDriver session on the app")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tauri_driver() -> PathBuf {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin/tauri-driver"));
    match cargo_bin {
        Some(path) if path.exists() => path,
        _ => PathBuf::from("tauri-driver"),
    }
}

/// Waits for an element to be present and displayed, then returns it.
pub async fn wait_visible(client: &Client, css: &str) -> fantoccini::elements::Element {
    let start = Instant::now();
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && element.is_displayed().await.unwrap_or(false)
        {
            return element;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {css} to show"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Saves a screenshot of the app's window as `<name>.png` among the artifacts: the pixels the X
/// server shows (ImageMagick's `import`), once the page has drawn a frame. WebKitWebDriver's own
/// screenshot needs GL compositing, which the window does without.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    // Two animation frames: whatever the test just did is on screen.
    client
        .execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await
        .expect("the page draws frames");
    let id = wait_until("the main window to be listed", main_window_id);
    let path = artifacts_dir().join(format!("{name}.png"));
    let out = Command::new("import")
        .args(["-window", &id])
        .arg(&path)
        .output()
        .expect("import (imagemagick) must be installed");
    assert!(
        out.status.success(),
        "screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&path).expect("read screenshot");
    assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
    path
}

/// The X window id of Voicelamp's main window, as the window manager lists it.
pub fn main_window_id() -> Option<String> {
    let out = Command::new("wmctrl").arg("-l").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|line| line.ends_with(" Voicelamp"))
        .and_then(|line| line.split_whitespace().next())
        .map(str::to_owned)
}

/// Process ids of the running tray process (started from [`app_binary`] without arguments).
pub fn app_pids() -> Vec<u32> {
    pgrep(&["-f", "-x", &app_binary().display().to_string()])
}

/// Process ids of every Voicelamp process of the build under test: the tray process (with any
/// arguments) and its window process.
pub fn all_app_pids() -> Vec<u32> {
    let tray = app_binary().display().to_string();
    let pattern = format!("^{}(-window)?( |$)", regex_escape(&tray));
    pgrep(&["-f", &pattern])
}

/// The window process's path: beside the tray program.
pub fn window_binary() -> PathBuf {
    app_binary().with_file_name("voicelamp-window")
}

fn pgrep(args: &[&str]) -> Vec<u32> {
    let out = Command::new("pgrep").args(args).output().expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// Ends every app process when a test ends, so the next test's launch is not handed to a
/// leftover instance. The tray process ends on SIGTERM (unregistering), its window with it.
#[derive(Debug)]
pub struct AppCleanup;

impl Drop for AppCleanup {
    fn drop(&mut self) {
        for pid in all_app_pids() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        wait_until("app processes to end", || {
            all_app_pids().is_empty().then_some(())
        });
    }
}

/// Launches the app through `driver` and waits for the Lines view.
pub async fn open_app(driver: &Driver) -> (Client, AppCleanup) {
    assert!(
        all_app_pids().is_empty(),
        "an app process is already running before the test"
    );
    let client = driver.session().await;
    let cleanup = AppCleanup;
    wait_visible(&client, "[data-testid=view-lines]").await;
    (client, cleanup)
}

/// Clicks the element `css` once it shows.
pub async fn click(client: &Client, css: &str) {
    wait_visible(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Types `text` into the input `css` (after clearing it).
pub async fn type_into(client: &Client, css: &str, text: &str) {
    let input = wait_visible(client, css).await;
    input
        .clear()
        .await
        .unwrap_or_else(|e| panic!("clear {css}: {e}"));
    input
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

/// Waits until the element `css` exists and its text satisfies `check`; returns the text.
pub async fn wait_text(client: &Client, css: &str, check: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if check(&text) {
                return text;
            }
            last = text;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for the text of {css} (last: {last:?})"
        );
        tokio::time::sleep(POLL).await;
    }
}

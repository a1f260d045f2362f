//! The tray lamp as a tray host sees it: the real StatusNotifierItem on a private session bus.
//!
//! Each test starts its own `dbus-daemon` and runs the tray in a child process (this test binary
//! again, in its `tray_process` test, with `DBUS_SESSION_BUS_ADDRESS` pointing at the private bus),
//! then reads and clicks the item with `busctl`, through the same helpers the end-to-end tests use.
//! The child reports menu clicks on its stdout and removes the item when its stdin closes.
//!
//! Needs `dbus-daemon` (Debian: dbus-daemon) and `busctl` (Debian: systemd).
#![cfg(target_os = "linux")]

#[allow(dead_code)]
#[path = "../../../tests/e2e/src/sni.rs"]
mod probe;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use probe::Bus;
use voicelamp_desktop::sni::{SniTray, TrayPicture};
use voicelamp_desktop::tray_menu::{TrayItem, TrayMenu};

/// Set for the child process that runs the tray.
const CHILD_ENV: &str = "VOICELAMP_SNI_TEST_TRAY";
/// Marks the child's reports on its stdout (the test harness writes there too).
const REPORT: &str = "@@tray: ";
const DEADLINE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);
const SIZE: u32 = 16;
const TOOLTIP: &str = "Front desk: 2 new";
const ROWS: [&str; 2] = ["Front_desk — 2 new", "Back office — no messages"];
const VOICEMAIL: [&str; 2] = [
    "Call voicemail — Front_desk",
    "Call voicemail — Back office",
];

/// The child's side: runs the tray until stdin closes. The other tests run it; alone it does nothing.
#[test]
#[ignore = "the tray process that the other tests start"]
fn tray_process() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let on_item = Arc::new(|item: TrayItem| report(&format!("clicked {item:?}")));
    let tray = runtime
        .block_on(SniTray::spawn(on_item))
        .expect("the tray starts without a tray host");
    let menu = TrayMenu {
        lines: ROWS.map(str::to_owned).to_vec(),
        voicemail: VOICEMAIL.map(str::to_owned).to_vec(),
        ..TrayMenu::default()
    };
    runtime.block_on(tray.show(&picture(), TOOLTIP, &menu, true));
    report("shown");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    runtime.block_on(tray.shutdown());
    report("shut down");
}

fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{REPORT}{line}");
    let _ = out.flush();
}

/// A picture whose pixel `i` is RGBA (i, 0x80, 255 - i, 0xc0).
fn picture() -> TrayPicture {
    let rgba = (0..SIZE * SIZE)
        .flat_map(|i| {
            let i = u8::try_from(i % 256).expect("a byte");
            [i, 0x80, 255 - i, 0xc0]
        })
        .collect();
    TrayPicture { size: SIZE, rgba }
}

/// A private bus with the tray running on it; kills both when dropped.
struct Session {
    bus: Bus,
    address: String,
    children: Vec<Child>,
    tray_stdin: Option<ChildStdin>,
    reports: Receiver<String>,
}

impl Session {
    fn start() -> Session {
        let mut session = Session {
            bus: Bus::Session,
            address: String::new(),
            children: Vec::new(),
            tray_stdin: None,
            reports: mpsc::channel().1,
        };
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--print-address=1", "--nofork"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon runs (Debian package dbus-daemon)");
        let addresses = lines_of(daemon.stdout.take().expect("piped"), None);
        session.children.push(daemon);
        let address = addresses
            .recv_timeout(DEADLINE)
            .expect("dbus-daemon prints its address");
        session.bus = Bus::Address(address.clone());

        let (sender, reports) = mpsc::channel();
        let mut tray = Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", "tray_process", "--ignored", "--nocapture"])
            .env(CHILD_ENV, "1")
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the tray process starts");
        lines_of(tray.stdout.take().expect("piped"), Some(sender));
        session.tray_stdin = tray.stdin.take();
        session.children.push(tray);
        session.address = address;
        session.reports = reports;
        session
    }

    /// Waits for the child to report `wanted`.
    fn expect_report(&self, wanted: &str) {
        let end = Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        loop {
            match self
                .reports
                .recv_timeout(end.saturating_duration_since(Instant::now()))
            {
                Ok(line) if line == wanted => return,
                Ok(line) => seen.push(line),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("the tray never reported {wanted:?}; it reported {seen:?}")
                }
            }
        }
    }

    /// Closes the tray's stdin: it removes its item and exits.
    fn close_tray(&mut self) {
        drop(self.tray_stdin.take());
        self.expect_report("shut down");
        let tray = self.children.last_mut().expect("the tray process");
        wait_until("the tray process to exit", || {
            tray.try_wait().ok().flatten()
        });
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads `source` line by line on a thread: the first line alone when `reports` is `None` (the
/// returned receiver gets it), else every tray report into `reports`.
fn lines_of(
    source: impl Read + Send + 'static,
    reports: Option<Sender<String>>,
) -> Receiver<String> {
    let (first, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(source).lines().map_while(Result::ok) {
            match &reports {
                None => {
                    let _ = first.send(line);
                    return;
                }
                Some(reports) => {
                    if let Some((_, report)) = line.split_once(REPORT) {
                        let _ = reports.send(report.to_owned());
                    }
                }
            }
        }
    });
    receiver
}

/// Polls `check` until it gives `Some`, failing after [`DEADLINE`].
fn wait_until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(POLL);
    }
}

#[test]
fn the_lamp_shows_its_picture_tooltip_status_and_menu_and_reports_clicks() {
    let mut session = Session::start();
    session.expect_report("shown");
    let bus = session.bus.clone();
    let name = bus
        .find_item()
        .expect("the item is on the bus without a tray host");

    assert_eq!(bus.tooltip(&name).as_deref(), Some(TOOLTIP));
    assert_eq!(bus.status(&name).as_deref(), Some("NeedsAttention"));
    let (width, height, argb) = bus.icon(&name).expect("an icon pixmap");
    assert_eq!(
        (width, height, argb.len()),
        (SIZE, SIZE, (SIZE * SIZE * 4) as usize)
    );
    assert_eq!(argb[..4], [0xc0, 0, 0x80, 255], "pixel 0 in ARGB");
    assert_eq!(
        argb[4 * 37..4 * 38],
        [0xc0, 37, 0x80, 255 - 37],
        "pixel 37 in ARGB"
    );

    let labels = bus.menu_labels(&name);
    let fixed = TrayItem::FIXED.map(TrayItem::label);
    assert_eq!(
        labels,
        [ROWS.as_slice(), VOICEMAIL.as_slice(), fixed.as_slice()].concat()
    );

    assert!(bus.click_menu(&name, "Back office"));
    session.expect_report("clicked Line(1)");
    assert!(bus.click_menu(&name, "Call voicemail — Back office"));
    session.expect_report("clicked Voicemail(1)");
    assert!(bus.click_menu(&name, "Settings"));
    session.expect_report("clicked Settings");
    assert!(bus.activate(&name));
    session.expect_report("clicked Open");
    assert!(!bus.click_menu(&name, "No such entry"));

    session.close_tray();
    wait_until("the item to leave the bus", || {
        bus.find_item().is_none().then_some(())
    });
}

/// A stand-in tray host: records the items that register with it.
struct Watcher {
    registrations: Sender<String>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    fn register_status_notifier_item(&self, service: String) {
        let _ = self.registrations.send(service);
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

async fn start_watcher(address: &str, registrations: Sender<String>) -> zbus::Connection {
    zbus::connection::Builder::address(address)
        .expect("a bus address")
        .serve_at("/StatusNotifierWatcher", Watcher { registrations })
        .expect("an object path")
        .name("org.kde.StatusNotifierWatcher")
        .expect("a bus name")
        .build()
        .await
        .expect("the watcher joins the bus")
}

#[test]
fn the_lamp_registers_with_a_tray_host_that_appears_later_and_again_after_a_restart() {
    let session = Session::start();
    session.expect_report("shown");
    let name = session
        .bus
        .find_item()
        .expect("the item is on the bus without a tray host");
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let (sender, registrations) = mpsc::channel();

    let watcher = runtime.block_on(start_watcher(&session.address, sender.clone()));
    let registered = registrations.recv_timeout(DEADLINE);
    assert_eq!(
        registered.as_deref(),
        Ok(name.as_str()),
        "registered with the first host"
    );

    runtime
        .block_on(watcher.close())
        .expect("the watcher leaves");
    let _watcher = runtime.block_on(start_watcher(&session.address, sender));
    let registered = registrations.recv_timeout(DEADLINE);
    assert_eq!(
        registered.as_deref(),
        Ok(name.as_str()),
        "registered again after a restart"
    );
}

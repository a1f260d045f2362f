//! The real app, driven through WebKitWebDriver: it starts, renders, navigates, lives in the tray and
//! survives its window closing. Run by `tests/e2e/run`, which provides the display and session.

use std::process::Command;

use fantoccini::Locator;
use voicelamp_e2e::{
    AppCleanup, Driver, all_app_pids, app_binary, app_pids, open_app, screenshot, sni, wait_until,
    wait_visible, window_binary,
};

/// Whether the window manager lists Voicelamp's main window.
fn main_window_listed() -> bool {
    let out = Command::new("wmctrl").arg("-l").output().expect("wmctrl");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|line| line.ends_with(" Voicelamp"))
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the display and session of tests/e2e/run"]
async fn ui_renders_and_navigates_between_the_four_views() {
    let driver = Driver::start();
    let (client, _cleanup) = open_app(&driver).await;

    let title = client.title().await.expect("title");
    assert_eq!(title, "Voicelamp");
    screenshot(&client, "lines").await;

    for (name, heading) in [
        ("mailbox", "Mailbox"),
        ("settings", "Settings"),
        ("diagnostics", "Diagnostics"),
        ("lines", "Lines"),
    ] {
        client
            .find(Locator::Css(&format!("[data-testid=nav-{name}]")))
            .await
            .expect("nav item")
            .click()
            .await
            .expect("click nav item");
        let view = wait_visible(&client, &format!("[data-testid=view-{name}]")).await;
        let h1 = view.find(Locator::Css("h1")).await.expect("view heading");
        assert_eq!(h1.text().await.expect("heading text"), heading);
        let current = client
            .find(Locator::Css(&format!("[data-testid=nav-{name}]")))
            .await
            .expect("nav item")
            .attr("aria-current")
            .await
            .expect("aria-current");
        assert_eq!(
            current.as_deref(),
            Some("page"),
            "{name} is not marked current"
        );
        screenshot(&client, name).await;
    }

    // Diagnostics shows what the backend answered over IPC: the command path, the CSP and the
    // capabilities all work in the real webview.
    client
        .find(Locator::Css("[data-testid=nav-diagnostics]"))
        .await
        .expect("nav item")
        .click()
        .await
        .expect("click");
    let version = wait_visible(&client, "[data-testid=app-version]").await;
    let expected = env!("CARGO_PKG_VERSION");
    let start = std::time::Instant::now();
    loop {
        let text = version.text().await.expect("version text");
        if text.contains(expected) {
            break;
        }
        assert!(
            start.elapsed() < voicelamp_e2e::DEADLINE,
            "Diagnostics shows {text:?}, not the app version {expected}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = client.close().await;
}

/// The tray lamp is a StatusNotifierItem on the session bus (no GTK in the tray process): its
/// icon and tooltip are served, its menu lists the fixed entries, a menu entry takes the window
/// there, and Quit ends every Voicelamp process.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the display and session of tests/e2e/run"]
async fn the_tray_lamp_is_served_on_the_bus_and_its_menu_works() {
    let driver = Driver::start();
    let (client, _cleanup) = open_app(&driver).await;
    let item = wait_until("the tray item on the session bus", sni::find_item);
    let (width, height, argb) = wait_until("the lamp's icon", || sni::icon(&item));
    assert_eq!((width, height), (64, 64), "the lamp is drawn at 64 px");
    assert_eq!(argb.len(), 64 * 64 * 4);
    assert!(
        argb.chunks(4).any(|pixel| pixel[0] > 0),
        "the icon has visible pixels"
    );
    let tooltip = wait_until("the tooltip", || sni::tooltip(&item));
    assert!(!tooltip.is_empty(), "the tooltip says something");
    let labels = sni::menu_labels(&item);
    for entry in ["Open Voicelamp", "Settings…", "Quit"] {
        assert!(
            labels.iter().any(|l| l == entry),
            "the menu lacks {entry:?}: {labels:?}"
        );
    }
    assert!(sni::click_menu(&item, "Settings"), "Settings… clicked");
    wait_visible(&client, "[data-testid=view-settings]").await;
    assert!(sni::click_menu(&item, "Quit"), "Quit clicked");
    wait_until("every Voicelamp process to end after Quit", || {
        all_app_pids().is_empty().then_some(())
    });
}

/// A person closes the window with the window manager's close button (WM_DELETE_WINDOW), not
/// through WebDriver: WebKitWebDriver ends the whole browser process when its last window closes.
#[test]
#[ignore = "needs the display and session of tests/e2e/run"]
fn closing_the_window_keeps_the_app_in_the_tray_and_a_second_launch_reopens_it() {
    assert!(
        all_app_pids().is_empty(),
        "an app process is already running before the test"
    );
    let log = std::fs::File::create(voicelamp_e2e::artifacts_dir().join("app-close-reopen.log"))
        .expect("app log");
    // Launched the way a desktop entry may launch it: through the window program, which becomes the
    // tray program (same process) and opens its window.
    let mut app = Command::new(window_binary())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log)
        .spawn()
        .expect("launch the app");
    let _cleanup = AppCleanup;
    wait_until("the main window to be managed", || {
        main_window_listed().then_some(())
    });

    let closed = Command::new("wmctrl")
        .args(["-c", "Voicelamp"])
        .status()
        .expect("wmctrl");
    assert!(
        closed.success(),
        "the window manager could not close the window"
    );
    wait_until("the main window to be gone", || {
        (!main_window_listed()).then_some(())
    });
    assert!(
        app.try_wait().expect("app status").is_none(),
        "the app quit when its window closed"
    );

    // A login item starting while Voicelamp runs (`--minimized`) hands over and changes nothing:
    // the tray process acts on a launch before acknowledging it, so a window process would
    // already exist when the launch has exited.
    wait_until("the window process to end with its window", || {
        (all_app_pids() == vec![app.id()]).then_some(())
    });
    let quiet = Command::new(app_binary())
        .arg("--minimized")
        .status()
        .expect("a --minimized launch");
    assert!(
        quiet.success(),
        "the --minimized launch exited with {quiet}"
    );
    assert_eq!(
        all_app_pids(),
        vec![app.id()],
        "a --minimized launch opened no window"
    );

    // A second launch is handed to the running instance, which builds its window again.
    let mut second = Command::new(app_binary()).spawn().expect("second launch");
    let status = wait_until("the second launch to hand over and exit", || {
        second.try_wait().expect("second launch status")
    });
    assert!(status.success(), "second launch exited with {status}");
    wait_until("the window to be rebuilt", || {
        main_window_listed().then_some(())
    });
    assert!(
        app.try_wait().expect("app status").is_none(),
        "the first instance quit"
    );
    assert_eq!(
        app_pids(),
        vec![app.id()],
        "exactly the first instance keeps running"
    );
}

/// A `tel:` link opened while Voicelamp runs (the desktop starts `voicelamp tel:…`) reaches the
/// running instance, which shows what to call.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the display and session of tests/e2e/run"]
async fn a_tel_link_shows_the_number_in_the_running_app() {
    let driver = Driver::start();
    let (client, _cleanup) = open_app(&driver).await;
    let mut second = Command::new(app_binary())
        .arg("tel:+1-555-0100")
        .spawn()
        .expect("second launch with a link");
    let status = wait_until("the second launch to hand over and exit", || {
        second.try_wait().expect("second launch status")
    });
    assert!(status.success(), "second launch exited with {status}");
    let number = wait_visible(&client, "[data-testid=dial-number]").await;
    assert_eq!(number.text().await.expect("number"), "+1-555-0100");
    let _ = client.close().await;
}

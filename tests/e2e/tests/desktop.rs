//! The real app, driven through WebKitWebDriver: it starts, renders, navigates, lives in the tray and
//! survives its window closing. Run by `tests/e2e/run`, which provides the display and session.

use std::process::Command;

use fantoccini::Locator;
use voicelamp_e2e::{
    AppCleanup, Driver, app_binary, app_pids, open_app, screenshot, wait_until, wait_visible,
    x_window_tree,
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

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the display and session of tests/e2e/run"]
async fn the_tray_icon_is_created() {
    let driver = Driver::start();
    let (client, _cleanup) = open_app(&driver).await;
    let tree = wait_until("the tray host to embed Voicelamp's icon", || {
        let tree = x_window_tree();
        tray_icon_embedded(&tree).then_some(tree)
    });
    std::fs::write(
        voicelamp_e2e::artifacts_dir().join("x-window-tree.txt"),
        tree,
    )
    .ok();
    let _ = client.close().await;
}

/// Whether the X tree shows an icon window embedded in the tray host (trayer's panel).
fn tray_icon_embedded(tree: &str) -> bool {
    let mut in_panel = false;
    let mut panel_indent = 0;
    for line in tree.lines() {
        let indent = line.len() - line.trim_start().len();
        if line.contains("\"panel\"") && line.contains("trayer") {
            in_panel = true;
            panel_indent = indent;
            continue;
        }
        if in_panel {
            if indent <= panel_indent {
                in_panel = false;
            } else if line.contains("voicelamp") || line.contains("Voicelamp") {
                return true;
            }
        }
    }
    false
}

/// A person closes the window with the window manager's close button (WM_DELETE_WINDOW), not
/// through WebDriver: WebKitWebDriver ends the whole browser process when its last window closes.
#[test]
#[ignore = "needs the display and session of tests/e2e/run"]
fn closing_the_window_keeps_the_app_in_the_tray_and_a_second_launch_reopens_it() {
    assert!(
        app_pids().is_empty(),
        "an app process is already running before the test"
    );
    let log = std::fs::File::create(voicelamp_e2e::artifacts_dir().join("app-close-reopen.log"))
        .expect("app log");
    let mut app = Command::new(app_binary())
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

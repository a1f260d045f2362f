//! The whole path a receptionist relies on, in the real app against the lab's Kamailio and
//! Dovecot: an account added through Settings (password into the keyring), a PUBLISH lighting
//! the line and the tray, a desktop notification with the right text, its click opening the
//! message and playing it, marking it heard setting `\Seen` on the server and the count dropping
//! — and no password in the configuration file or the logs afterwards.

use std::time::Duration;

use voicelamp_e2e::lab::{
    NotificationLog, OwnLab, clear_inbox, click_newest_notification, lab_env, lab_tool,
    lab_tool_env, publish, seen_flags,
};
use voicelamp_e2e::{
    DEADLINE, Driver, artifacts_dir, click, open_app, screenshot, type_into, wait_text, wait_until,
    wait_visible,
};

/// The lab user this test owns (the lab is started with enough users by `scripts/test`).
const USER: &str = "1021";

fn tray(path: &std::path::Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Waits until `css` has attribute `name` equal to `value`.
async fn wait_attr(client: &fantoccini::Client, css: &str, name: &str, value: &str) {
    let start = std::time::Instant::now();
    let mut last = None;
    loop {
        if let Ok(element) = client.find(fantoccini::Locator::Css(css)).await {
            last = element.attr(name).await.ok().flatten();
            if last.as_deref() == Some(value) {
                return;
            }
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {css}[{name}={value}] (last: {last:?})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the lab and the display and session of tests/e2e/run"]
async fn an_account_added_in_settings_lights_notifies_plays_and_is_marked_heard() {
    let host = lab_env("LAB_SIP_HOST", "127.0.0.1");
    let sip_port = lab_env("LAB_SIP_UDP_PORT", "35060");
    let imaps_port = lab_env("LAB_IMAPS_PORT", "31993");
    let ca_file = lab_env(
        "LAB_CA_FILE",
        &format!(
            "{}/tls/ca.pem",
            lab_env("VOICELAMP_LAB_DIR", "/tmp/voicelamp-lab")
        ),
    );
    let password = format!("pw-{USER}");
    let run = tempfile_dir("mwi-flow");
    let config = run.join("config.toml");
    let probe = run.join("tray.json");
    // Nothing waits yet; the mailbox is empty.
    clear_inbox(USER);
    publish(USER, 0, 0);
    let notifications = NotificationLog::start(&run);
    let driver = Driver::start_with_env(&[
        ("VOICELAMP_CONFIG".into(), config.display().to_string()),
        ("VOICELAMP_TRAY_PROBE".into(), probe.display().to_string()),
        // SIP traces and IMAP at debug level: the password must not show up even there.
        ("RUST_LOG".into(), "debug".into()),
    ]);
    let (client, _cleanup) = open_app(&driver).await;

    // Settings: add the account with its voicemail store.
    click(&client, "[data-testid=nav-settings]").await;
    click(&client, "[data-testid=settings-add-account]").await;
    type_into(&client, "[data-testid=account-field-id]", "desk").await;
    type_into(
        &client,
        "[data-testid=account-field-display-name]",
        "Front desk",
    )
    .await;
    type_into(
        &client,
        "[data-testid=account-field-aor]",
        &format!("sip:{USER}@{host}"),
    )
    .await;
    type_into(&client, "[data-testid=account-field-password]", &password).await;
    click(&client, "[data-testid=account-advanced-toggle]").await;
    type_into(
        &client,
        "[data-testid=account-field-registrar]",
        &format!("sip:{host}:{sip_port}"),
    )
    .await;
    type_into(&client, "[data-testid=account-field-tls-ca-file]", &ca_file).await;
    click(&client, "[data-testid=account-field-voicemail]").await;
    type_into(
        &client,
        "[data-testid=account-field-voicemail-imap]",
        &format!("imaps://{host}:{imaps_port}"),
    )
    .await;
    click(&client, "[data-testid=account-field-voicemail-lamp]").await;
    click(&client, "[data-testid=account-save]").await;
    wait_attr(&client, "[data-testid=account-form]", "data-state", "saved").await;
    screenshot(&client, "settings-account").await;

    // Lines: the line is known and dark.
    click(&client, "[data-testid=nav-lines]").await;
    let tile = format!("[data-testid=line-tile][data-key=\"desk sip:{USER}@{host}\"]");
    wait_attr(&client, &tile, "data-look", "off").await;
    wait_until("the tray to know the line", || {
        tray(&probe).filter(|t| t["not_known"] == false && t["new"] == 0)
    });

    // A voicemail is left: the store gets the message, the server publishes the count.
    lab_tool(
        "seed-voicemail",
        &[
            "--user",
            USER,
            "--format",
            "wav49",
            "--caller-num",
            "5551234",
            "--caller-name",
            "Alice Example",
        ],
    );
    publish(USER, 1, 0);
    wait_attr(&client, &tile, "data-look", "lit").await;
    wait_text(&client, &format!("{tile} [data-testid=count-new]"), |t| {
        t == "1"
    })
    .await;
    let shown = wait_until("the tray to show 1", || {
        tray(&probe).filter(|t| t["new"] == 1 && t["count_text"] == "1")
    });
    assert!(
        shown["tooltip"]
            .as_str()
            .unwrap_or("")
            .contains("Front desk"),
        "tooltip: {shown}"
    );
    screenshot(&client, "lines-lit").await;

    // The notification names the line and the count.
    let notified = wait_until("the desktop notification", || {
        notifications.all().into_iter().find(|n| {
            // With the caller when the store named them in time, else the count.
            n.summary == "Front desk"
                && (n.body.contains("1 new voicemail")
                    || n.body
                        .contains("New voicemail from Alice Example (5551234)"))
        })
    });
    assert!(
        !notified.body.contains(&password),
        "notification body: {}",
        notified.body
    );

    // Clicking it opens the message and plays it.
    // The page notes when audio starts (media events do not bubble, but capture listeners on
    // the document see them), for the click → playing figure.
    client
        .execute(
            "window.__voicelampPlayingAt = null; window.__voicelampMedia = []; \
             for (const name of ['loadstart', 'loadedmetadata', 'canplay', 'play', 'playing']) \
             { document.addEventListener(name, () => { window.__voicelampMedia.push(name + '@' + Date.now()); \
             if (name === 'playing') window.__voicelampPlayingAt ??= Date.now(); }, true); }",
            vec![],
        )
        .await
        .expect("install the playing listener");
    let clicked = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    click_newest_notification();
    wait_visible(&client, "[data-testid=view-mailbox]").await;
    wait_attr(
        &client,
        "[data-testid=mailbox-player]",
        "data-state",
        "playing",
    )
    .await;
    // A figure for the notes (from the click command to the page's `playing` event, both on
    // this machine's clock), not an assertion.
    let playing_at = client
        .execute("return window.__voicelampPlayingAt", vec![])
        .await
        .expect("playing time");
    let figure = match playing_at.as_u64() {
        Some(at) => format!(
            "notification click -> audio playing: {} ms (clicked at {clicked}, playing at {at} \
             ms since the epoch)\n",
            u128::from(at).saturating_sub(clicked)
        ),
        None => "notification click -> audio playing: not recorded\n".to_owned(),
    };
    let media = client
        .execute("return window.__voicelampMedia.join(' ')", vec![])
        .await
        .expect("media events");
    let figure = format!("{figure}media events: {}\n", media.as_str().unwrap_or(""));
    std::fs::write(artifacts_dir().join("figures.txt"), figure).expect("figures");
    let paused = client
        .execute(
            "return document.querySelector('[data-testid=mailbox-audio]').paused",
            vec![],
        )
        .await
        .expect("audio state");
    assert_eq!(
        paused,
        serde_json::Value::Bool(false),
        "the audio is not playing"
    );
    screenshot(&client, "mailbox-playing").await;

    // Marking it heard reaches the server, and the lamp (fed by the store) goes dark.
    click(&client, "[data-testid=mailbox-mark-heard]").await;
    wait_until("\\Seen on the server", || {
        let flags = seen_flags(USER);
        (!flags.is_empty() && flags.iter().all(|(_, seen)| *seen)).then_some(())
    });
    wait_until("the tray to show 0", || {
        tray(&probe).filter(|t| t["new"] == 0)
    });
    click(&client, "[data-testid=nav-lines]").await;
    wait_text(&client, &format!("{tile} [data-testid=count-new]"), |t| {
        t == "0"
    })
    .await;

    // Diagnostics shows the SIP exchanges, redacted.
    click(&client, "[data-testid=nav-diagnostics]").await;
    click(&client, "[data-testid=diag-sip-load]").await;
    let trace = wait_text(&client, "[data-testid=diag-sip-section]", |t| {
        t.contains("REGISTER sip:")
    })
    .await;
    assert!(
        !trace.contains(&password),
        "the password is in the SIP trace"
    );
    screenshot(&client, "diagnostics-sip").await;
    let _ = client.close().await;
    drop(_cleanup);
    drop(driver);

    // No secret in the configuration file or any log of the run.
    let written = std::fs::read_to_string(&config).expect("config written by Settings");
    assert!(written.contains("sip:1021@"), "config: {written}");
    assert!(
        !written.contains(&password),
        "the password is in the config file"
    );
    let mut logs = 0;
    for entry in std::fs::read_dir(artifacts_dir()).expect("artifacts") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "log") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                !text.contains(&password),
                "the password is in {}",
                path.display()
            );
            logs += usize::from(text.contains("REGISTER sip:"));
        }
    }
    assert!(
        logs > 0,
        "no log holds the SIP trace: the check above proves nothing"
    );
}

/// The lamp never claims to know what it cannot: when the server goes away, the line turns
/// stale (last counts marked out of date) and the tray lamp greys out.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the lab and the display and session of tests/e2e/run"]
async fn a_stopped_server_makes_the_line_stale_in_the_window_and_the_tray() {
    let lab = OwnLab::start(700);
    let host = lab_env("LAB_SIP_HOST", "127.0.0.1");
    let tcp = lab.var("LAB_SIP_TCP_PORT");
    lab_tool_env("publish-mwi", &["--user", "1001", "--new", "2"], &lab.env);
    let run = tempfile_dir("stale");
    let config = run.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[accounts]]\nid = \"desk\"\ndisplay_name = \"Front desk\"\n\
             aor = \"sip:1001@{host}\"\nregistrar = \"sip:{host}:{tcp};transport=tcp\"\n\
             password_env = \"VOICELAMP_E2E_PW\"\n"
        ),
    )
    .expect("config");
    let probe = run.join("tray.json");
    let driver = Driver::start_with_env(&[
        ("VOICELAMP_CONFIG".into(), config.display().to_string()),
        ("VOICELAMP_TRAY_PROBE".into(), probe.display().to_string()),
        ("VOICELAMP_E2E_PW".into(), "pw-1001".into()),
    ]);
    let (client, _cleanup) = open_app(&driver).await;
    let tile = format!("[data-testid=line-tile][data-key=\"desk sip:1001@{host}\"]");
    wait_attr(&client, &tile, "data-look", "lit").await;
    wait_until("the tray to show 2", || {
        tray(&probe).filter(|t| t["new"] == 2 && t["not_known"] == false)
    });

    lab.stop();
    wait_attr(&client, &tile, "data-look", "stale").await;
    wait_visible(&client, &format!("{tile} [data-testid=line-out-of-date]")).await;
    let status = client
        .find(fantoccini::Locator::Css(&format!(
            "{tile} [data-testid=line-status]"
        )))
        .await
        .expect("status")
        .attr("title")
        .await
        .expect("title")
        .unwrap_or_default();
    assert!(
        status.contains("no connection to the server"),
        "the status does not say why: {status}"
    );
    let shown = wait_until("the tray to grey out", || {
        tray(&probe).filter(|t| t["not_known"] == true)
    });
    assert!(
        shown["tooltip"]
            .as_str()
            .unwrap_or("")
            .contains("not up to date"),
        "tooltip: {shown}"
    );
    screenshot(&client, "lines-stale").await;
    let _ = client.close().await;
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = artifacts_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("run dir");
    dir
}

//! Tests of reading, validating and writing the configuration.

use super::*;
use crate::policy::{Privacy, QuietHours};
use std::time::Duration;

const PATH: &str = "conf/config.toml";

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, Path::new(PATH))
}

fn error(text: &str) -> String {
    load(text).expect_err("must be refused").to_string()
}

const FULL: &str = r#"
[notifications]
enabled = false
privacy = "caller_and_duration"
quiet_hours = "22:00-07:00"
urgent_reminder_minutes = 0
coalesce_seconds = 10

[[accounts]]
id = "office"
display_name = "Office line"
aor = "sip:alice@pbx.example.com"
password_env = "VOICELAMP_OFFICE_PASSWORD"
voicemail_access_code = "*97"

[[accounts.mailboxes]]
uri = "sip:support@pbx.example.com"
display_name = "Support"

[[accounts]]
id = "carrier"
aor = "sips:+15551234@voice.example.net"
auth_user = "15551234"
registrar = "sips:voice.example.net;transport=tls"
outbound_proxy = "sip:edge.example.net:5061;transport=tls"
unsolicited = "any"
expires = 600
local_port = 5062
password_file = "secrets/carrier.pw"

[accounts.tls]
ca_file = "/etc/ssl/carrier-ca.pem"

[accounts.voicemail]
imap = "imap://mail.example.net"
user = "vm-15551234"
password_file = "secrets/carrier-imap.pw"
folders = ["INBOX", "Old"]
lamp_sources = ["sip", "imap"]
tls = { ca_file = "mail-ca.pem" }
"#;

#[test]
fn reads_every_field() {
    let config = load(FULL).expect("valid");
    let n = &config.notifications;
    assert!(!n.enabled);
    assert_eq!(n.privacy, Privacy::CallerAndDuration);
    assert_eq!(
        n.quiet_hours,
        Some(QuietHours {
            start_minute: 22 * 60,
            end_minute: 7 * 60
        })
    );
    assert_eq!(n.urgent_reminder, None);
    assert_eq!(n.coalesce, Duration::from_secs(10));
    assert_eq!(config.accounts[0].voicemail, None);
    let vm = config.accounts[1].voicemail.as_ref().expect("voicemail");
    assert_eq!(
        (vm.host.as_str(), vm.port, vm.security),
        ("mail.example.net", 143, ImapSecurity::StartTls)
    );
    assert_eq!(vm.user.as_deref(), Some("vm-15551234"));
    assert!(
        matches!(&vm.password, Some(PasswordSource::File(p)) if p.ends_with("conf/secrets/carrier-imap.pw"))
    );
    assert_eq!(vm.folders, ["INBOX", "Old"]);
    assert_eq!(vm.lamp_feeds(true), [LampFeed::Sip, LampFeed::Imap]);
    let ca = vm
        .tls
        .as_ref()
        .and_then(|t| t.ca_file.as_deref())
        .expect("ca");
    assert!(
        ca.is_absolute() && ca.ends_with("conf/mail-ca.pem"),
        "{ca:?}"
    );
    let office = &config.accounts[0];
    assert_eq!(office.name(), "Office line");
    assert_eq!(
        office.password,
        PasswordSource::Env("VOICELAMP_OFFICE_PASSWORD".into())
    );
    assert!(office.register && office.monitor_own);
    assert_eq!(office.expires, DEFAULT_EXPIRES);
    assert_eq!(office.unsolicited, UnsolicitedPolicy::Registrar);
    assert_eq!(office.voicemail_access_code.as_deref(), Some("*97"));
    let names: Vec<_> = office
        .monitored_mailboxes()
        .into_iter()
        .map(|m| (m.uri, m.display_name))
        .collect();
    assert_eq!(
        names,
        [
            (
                "sip:alice@pbx.example.com".to_owned(),
                "Office line".to_owned()
            ),
            (
                "sip:support@pbx.example.com".to_owned(),
                "Support".to_owned()
            ),
        ]
    );
    let carrier = config.account("carrier").expect("carrier");
    assert_eq!(carrier.name(), "carrier");
    assert_eq!(carrier.auth_user.as_deref(), Some("15551234"));
    assert_eq!(carrier.unsolicited, UnsolicitedPolicy::Any);
    assert_eq!(carrier.expires, 600);
    assert_eq!(carrier.local_port, 5062);
    match &carrier.password {
        PasswordSource::File(path) => {
            assert!(
                path.is_absolute() && path.ends_with("conf/secrets/carrier.pw"),
                "{path:?}"
            )
        }
        other => panic!("password source {other:?}"),
    }
    let ca = carrier.tls.ca_file.as_deref().expect("ca_file");
    #[cfg(unix)]
    assert_eq!(ca, Path::new("/etc/ssl/carrier-ca.pem"));
    // Windows: a path without a drive is on the configuration file's drive.
    #[cfg(windows)]
    assert_eq!(
        ca,
        std::path::absolute(PATH)
            .expect("absolute")
            .ancestors()
            .last()
            .expect("root")
            .join(r"etc\ssl\carrier-ca.pem")
    );
    assert!(!carrier.tls.insecure_skip_verify);
}

/// Paths in the configuration are relative to its directory; absolute ones are kept.
#[test]
#[cfg(unix)]
fn paths_are_resolved_against_the_configuration_file() {
    let base = Path::new("/home/a/.config/voicelamp");
    let resolve = |p: &str| read::resolve_path(base, Path::new(p));
    assert_eq!(
        resolve("ca.pem"),
        Path::new("/home/a/.config/voicelamp/ca.pem")
    );
    assert_eq!(resolve("../certs/ca.pem"), base.join("../certs/ca.pem"));
    assert_eq!(resolve("/etc/ssl/ca.pem"), Path::new("/etc/ssl/ca.pem"));
}

/// Windows: a path with a root but no drive (copied from Linux: `/etc/ssl/ca.pem`) is on the
/// configuration file's drive or share, whatever drive is current; a drive or a UNC path is kept.
#[test]
#[cfg(windows)]
fn paths_are_resolved_against_the_configuration_file() {
    let base = Path::new(r"D:\Users\a\AppData\Roaming\voicelamp");
    let resolve = |p: &str| read::resolve_path(base, Path::new(p));
    assert_eq!(resolve("ca.pem"), base.join("ca.pem"));
    assert_eq!(
        resolve(r"certs\ca.pem"),
        Path::new(r"D:\Users\a\AppData\Roaming\voicelamp\certs\ca.pem")
    );
    assert_eq!(resolve("/etc/ssl/ca.pem"), Path::new(r"D:\etc\ssl\ca.pem"));
    assert_eq!(resolve(r"\etc\ssl\ca.pem"), Path::new(r"D:\etc\ssl\ca.pem"));
    assert_eq!(resolve(r"C:\certs\ca.pem"), Path::new(r"C:\certs\ca.pem"));
    assert_eq!(
        resolve(r"\\files\it\ca.pem"),
        Path::new(r"\\files\it\ca.pem")
    );
    let share = Path::new(r"\\files\home\a\voicelamp");
    assert_eq!(
        read::resolve_path(share, Path::new("/ca.pem")),
        Path::new(r"\\files\home\ca.pem")
    );
    // Read through the configuration: the drive current when the program starts plays no part.
    let config = Config::from_toml_str(
        "[[accounts]]\nid = \"a\"\naor = \"sip:a@h\"\npassword_file = \"/secrets/a.pw\"\n\n[accounts.tls]\nca_file = \"/etc/ssl/ca.pem\"\n",
        &base.join("config.toml"),
    )
    .expect("valid");
    let account = &config.accounts[0];
    assert_eq!(
        account.tls.ca_file.as_deref(),
        Some(Path::new(r"D:\etc\ssl\ca.pem"))
    );
    assert_eq!(
        account.password,
        PasswordSource::File(r"D:\secrets\a.pw".into())
    );
}

#[test]
fn to_toml_round_trips_and_has_no_secret_field() {
    let config = load(FULL).expect("valid");
    let text = config.to_toml().expect("writes");
    assert!(!text.contains("password ="), "{text}");
    let again =
        Config::from_toml_str(&text, Path::new("config.toml")).expect("reads its own output");
    assert_eq!(again, config);
    let empty = Config::default().to_toml().expect("writes");
    assert_eq!(
        Config::from_toml_str(&empty, Path::new("c.toml")).expect("empty"),
        Config::default()
    );
}

#[test]
fn an_empty_file_is_refused_in_words_not_read_as_no_accounts() {
    for text in ["", "  \n\t\r\n\n"] {
        let message = error(text);
        assert!(
            message.starts_with("conf/config.toml: the configuration file is empty;"),
            "{message}"
        );
        assert!(message.contains("[[accounts]]"), "{message}");
    }
}

#[test]
fn unknown_fields_are_named_with_their_position() {
    let text = "[[accounts]]\nid = \"a\"\naor = \"sip:a@h\"\npassword = \"hunter2\"\n";
    let message = error(text);
    assert!(
        message.starts_with("conf/config.toml:4:1: accounts[0].password: unknown field `password`"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}

#[test]
fn type_errors_name_the_field() {
    let text = "[[accounts]]\nid = \"a\"\naor = \"sip:a@h\"\n[accounts.tls]\ninsecure_skip_verify = \"yes\"\n";
    let message = error(text);
    assert!(
        message.starts_with("conf/config.toml:5:24: accounts[0].tls.insecure_skip_verify: "),
        "{message}"
    );
}

#[test]
fn duplicate_ids_are_refused() {
    let text = "[[accounts]]\nid = \"a\"\naor = \"sip:a@h\"\n\n[[accounts]]\nid = \"a\"\naor = \"sip:b@h\"\n";
    assert_eq!(
        error(text),
        "conf/config.toml:6:6: accounts[1].id: the id \"a\" is used by another account; ids must be unique"
    );
}

#[test]
fn invalid_values_are_refused_where_they_are() {
    let cases = [
        (
            "id = \"Office\"\naor = \"sip:a@h\"",
            "2:6: accounts[0].id: \"Office\" is not a valid account id",
        ),
        (
            "id = \"a\"\naor = \"alice@h\"",
            "3:7: accounts[0].aor: \"alice@h\" is not a SIP URI",
        ),
        (
            "id = \"a\"\naor = \"sip:h\"",
            "3:7: accounts[0].aor: \"sip:h\" has no user part",
        ),
        (
            "id = \"a\"\naor = \"sip:a@h\"\nregistrar = \"sips:h;transport=udp\"",
            "4:13: accounts[0].registrar: ",
        ),
        (
            "id = \"a\"\naor = \"sips:a@h\"\nregistrar = \"sip:h\"",
            "4:13: accounts[0].registrar: the address of record is a sips: URI, which requires \
             TLS on every hop",
        ),
        (
            "id = \"a\"\naor = \"sips:a@h\"\noutbound_proxy = \"sip:p;transport=tcp\"",
            "4:18: accounts[0].outbound_proxy: the address of record is a sips: URI",
        ),
        (
            "id = \"a\"\naor = \"sip:a@h\"\noutbound_proxy = \"sip:p;transport=sctp\"",
            "4:18: accounts[0].outbound_proxy: ",
        ),
        (
            "id = \"a\"\naor = \"sip:a@h\"\nexpires = 5",
            "4:11: accounts[0].expires: 5 seconds is out of range",
        ),
        (
            "id = \"a\"\naor = \"sip:a@h\"\npassword_env = \"V\"\npassword_file = \"f\"",
            "5:17: accounts[0].password_file: password_env and password_file are both set",
        ),
        (
            "id = \"a\"\naor = \"sip:a@h\"\nvoicemail_access_code = \"vm\"",
            "4:25: accounts[0].voicemail_access_code: ",
        ),
        (
            "id = \"a\"\naor = \"sip:a@h\"\nmonitor_own = false",
            "2:6: accounts[0].mailboxes: the account monitors no mailbox",
        ),
        (
            "id = \"a\"\naor = \"sip:a@h\"\n[[accounts.mailboxes]]\nuri = \"support\"",
            "5:7: accounts[0].mailboxes[0].uri: \"support\" is not a SIP URI",
        ),
        (
            "id = \"a\"\naor = \"sip:a@h\"\nlocal_port = 70000",
            "4:14: accounts[0].local_port: ",
        ),
    ];
    for (body, expected) in cases {
        let message = error(&format!("[[accounts]]\n{body}\n"));
        let expected = format!("{PATH}:{expected}");
        assert!(
            message.starts_with(&expected),
            "got {message:?}, expected {expected:?}"
        );
    }
}

#[test]
fn missing_required_fields_are_named() {
    let message = error("[[accounts]]\nid = \"a\"\n");
    assert!(
        message.contains("accounts[0]") && message.contains("missing field `aor`"),
        "{message}"
    );
}

#[test]
fn notifications_default_to_the_policy_and_are_checked_where_they_are() {
    assert_eq!(
        load("[notifications]\n")
            .expect("empty table")
            .notifications,
        NotificationSettings::default()
    );
    let cases = [
        (
            "quiet_hours = \"25:00-07:00\"",
            "2:15: notifications.quiet_hours: \"25:00\" is not a time of day",
        ),
        (
            "quiet_hours = \"22:00\"",
            "2:15: notifications.quiet_hours: \"22:00\" is not a time range",
        ),
        (
            "privacy = \"everything\"",
            "2:11: notifications.privacy: unknown variant `everything`",
        ),
        (
            "urgent_reminder_minutes = 5000",
            "2:27: notifications.urgent_reminder_minutes: 5000 minutes is out of range",
        ),
        (
            "coalesce_seconds = 601",
            "2:20: notifications.coalesce_seconds: 601 seconds is out of range",
        ),
        (
            "sound = true",
            "2:1: notifications.sound: unknown field `sound`",
        ),
    ];
    for (body, expected) in cases {
        let message = error(&format!("[notifications]\n{body}\n"));
        let expected = format!("{PATH}:{expected}");
        assert!(
            message.starts_with(&expected),
            "got {message:?}, expected {expected:?}"
        );
    }
}

#[test]
fn notifications_set_in_code_round_trip_without_turning_off() {
    let mut config = Config::default();
    config.notifications.urgent_reminder = Some(Duration::from_secs(90));
    config.notifications.quiet_hours = Some(QuietHours {
        start_minute: 60,
        end_minute: 60,
    });
    let again = load(&config.to_toml().expect("writes")).expect("reads its own output");
    assert_eq!(
        again.notifications.urgent_reminder,
        Some(Duration::from_secs(120))
    );
    assert_eq!(again.notifications.quiet_hours, None);
}

#[test]
fn voicemail_defaults_and_errors() {
    let base = "[[accounts]]\nid = \"a\"\naor = \"sip:a@h\"\n[accounts.voicemail]\n";
    let config = load(&format!("{base}imap = \"imaps://mail.h\"\n")).expect("valid");
    let vm = config.accounts[0].voicemail.as_ref().expect("voicemail");
    assert_eq!(
        (vm.port, vm.security, &vm.user, &vm.password, &vm.tls),
        (993, ImapSecurity::Tls, &None, &None, &None)
    );
    assert!(vm.folders.is_empty());
    assert_eq!(vm.lamp_feeds(true), [LampFeed::Sip]);
    let plain = load(&format!(
        "{base}imap = \"imap://127.0.0.1:31143\"\nallow_plaintext = true\npassword_keyring = true\n"
    ))
    .expect("valid");
    let vm = plain.accounts[0].voicemail.as_ref().expect("voicemail");
    assert_eq!(vm.security, ImapSecurity::Plain);
    assert_eq!(vm.password, Some(PasswordSource::Keyring));
    assert_eq!(
        load(&plain.to_toml().expect("writes")).expect("reads its own output"),
        plain
    );
    let rules = load(&format!(
        "{base}imap = \"imaps://h\"\nmatch_from = [\"vm@carrier.example\", \"@pbx.example\"]\n\
         match_subject = [\"New voicemail\"]\n"
    ))
    .expect("valid");
    let vm = rules.accounts[0].voicemail.as_ref().expect("voicemail");
    assert_eq!(vm.match_from, ["vm@carrier.example", "@pbx.example"]);
    assert_eq!(vm.match_subject, ["New voicemail"]);
    assert_eq!(
        load(&rules.to_toml().expect("writes")).expect("reads its own output"),
        rules
    );
    let cases = [
        (
            "imap = \"https://h\"",
            "5:8: accounts[0].voicemail.imap: the scheme \"https\" is not IMAP",
        ),
        (
            "imap = \"imaps://alice@h\"",
            "5:8: accounts[0].voicemail.imap: \"imaps://alice@h\" must name only the server",
        ),
        (
            "imap = \"imaps://h\"\nuser = \"\"",
            "6:8: accounts[0].voicemail.user: must not be empty",
        ),
        (
            "imap = \"imaps://h\"\npassword_env = \"X\"\npassword_keyring = true",
            "6:16: accounts[0].voicemail.password_keyring: password_keyring and password_env",
        ),
        (
            "imap = \"imaps://h\"\npassword_env = \"A B\"",
            "6:16: accounts[0].voicemail.password_env: \"A B\" is not an environment variable name",
        ),
        (
            "imap = \"imaps://h\"\nfolders = [\"INBOX\", \"INBOX\"]",
            "6:21: accounts[0].voicemail.folders[1]: the folder \"INBOX\" is listed twice",
        ),
        (
            "imap = \"imaps://h\"\nlamp_sources = []",
            "6:16: accounts[0].voicemail.lamp_sources: lists nothing",
        ),
        (
            "imap = \"imaps://h\"\nlamp_sources = [\"sip\", \"imap\", \"sip\"]",
            "6:16: accounts[0].voicemail.lamp_sources: names a source twice",
        ),
        (
            "imap = \"imaps://h\"\nlamp_sources = [\"mwi\"]",
            "6:17: accounts[0].voicemail.lamp_sources: unknown variant `mwi`",
        ),
        (
            "imap = \"imaps://h\"\npassword = \"hunter2\"",
            "6:1: accounts[0].voicemail.password: unknown field `password`",
        ),
        (
            "user = \"u\"",
            "4:1: accounts[0].voicemail: missing field `imap`",
        ),
        (
            "imap = \"imaps://h\"\nmatch_from = [\"@h\", \"voicemail\"]",
            "6:21: accounts[0].voicemail.match_from[1]: \"voicemail\" is neither an address",
        ),
        (
            "imap = \"imaps://h\"\nmatch_subject = [\" \"]",
            "6:18: accounts[0].voicemail.match_subject[0]: \" \" is empty",
        ),
    ];
    for (body, expected) in cases {
        let message = error(&format!("{base}{body}\n"));
        let expected = format!("{PATH}:{expected}");
        assert!(
            message.starts_with(&expected),
            "got {message:?}, expected {expected:?}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }
}

#[test]
fn syntax_errors_have_a_position() {
    let message = error("[[accounts]]\nid = \"a\n");
    assert!(message.starts_with("conf/config.toml:2:"), "{message}");
}

#[test]
fn own_aor_listed_as_mailbox_is_not_monitored_twice() {
    let mut account = AccountConfig::new("a", "sip:alice@h");
    account.mailboxes.push(MailboxConfig {
        uri: "sip:alice@H".into(),
        display_name: Some("Mine".into()),
    });
    let monitored = account.monitored_mailboxes();
    assert_eq!(monitored.len(), 1);
    assert_eq!(monitored[0].display_name, "Mine");
    assert!(monitored[0].own);
    account.monitor_own = false;
    account.mailboxes.clear();
    assert!(account.monitored_mailboxes().is_empty());
}

#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("../../../../docs/config.md");
    let example = doc
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/config.md has a toml example");
    let config = load(example).expect("the documented example loads");
    let ids: Vec<_> = config.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["office", "carrier", "sales"]);
    assert_eq!(config.accounts[0].password, PasswordSource::Keyring);
    assert!(matches!(
        config.accounts[1].password,
        PasswordSource::File(_)
    ));
    assert_eq!(
        config.accounts[2].password,
        PasswordSource::Env("VOICELAMP_SALES_PASSWORD".into())
    );
    assert_eq!(config.accounts[0].monitored_mailboxes().len(), 2);
    assert!(!config.accounts[2].register);
    let office = config.accounts[0]
        .voicemail
        .as_ref()
        .expect("office voicemail");
    assert_eq!((office.port, office.security), (993, ImapSecurity::Tls));
    assert_eq!(office.lamp_feeds(true), [LampFeed::Sip]);
    let sales = config.accounts[2]
        .voicemail
        .as_ref()
        .expect("sales voicemail");
    assert_eq!(sales.security, ImapSecurity::StartTls);
    assert_eq!(sales.lamp_feeds(false), [LampFeed::Sip, LampFeed::Imap]);
    assert_eq!(
        config.accounts[2].lamp_feeds(),
        [LampFeed::Sip, LampFeed::Imap]
    );
    assert_eq!(
        config.accounts[1].lamp_feeds(),
        [LampFeed::Sip],
        "no voicemail store"
    );
    assert_eq!(config.notifications.privacy, Privacy::Caller);
    assert_eq!(
        load(&config.to_toml().expect("writes")).expect("round trip"),
        config
    );
}

#[test]
fn missing_file_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("none.toml");
    assert!(matches!(
        Config::load(&path),
        Err(ConfigError::NotFound { .. })
    ));
    let config = load(FULL).expect("valid");
    let saved = dir.path().join("sub").join("config.toml");
    config.save(&saved).expect("save");
    assert_eq!(Config::load(&saved).expect("load"), config);
}

//! Tests of the call settings: `incoming_calls`, `voicemail_pin_delay`, `stutter_dial_tone` and
//! `[audio]`.

use super::*;

const PATH: &str = "conf/config.toml";

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, Path::new(PATH))
}

const BARE: &str = "[[accounts]]\nid = \"office\"\naor = \"sip:alice@pbx.example.com\"\n";

#[test]
fn calls_are_refused_and_nothing_plays_by_default() {
    let config = load(BARE).expect("valid");
    let account = &config.accounts[0];
    assert_eq!(account.incoming_calls, IncomingCalls::Off);
    assert_eq!(account.voicemail_pin_delay, None);
    assert!(!account.stutter_dial_tone);
    assert_eq!(config.audio, AudioConfig::default());
    // Defaults stay out of a written file.
    let text = config.to_toml().expect("toml");
    for key in [
        "incoming_calls",
        "voicemail_pin_delay",
        "stutter_dial_tone",
        "[audio]",
    ] {
        assert!(!text.contains(key), "{key} written: {text}");
    }
}

#[test]
fn call_settings_are_read_and_round_trip() {
    let text = format!(
        "{BARE}incoming_calls = \"ring\"\nvoicemail_pin_delay = 4\nstutter_dial_tone = true\n\
         \n[audio]\nmicrophone = \"USB Headset Mono\"\nspeaker = \"USB Headset Stereo\"\n\
         ringer = \"Built-in Audio\"\n"
    );
    let config = load(&text).expect("valid");
    let account = &config.accounts[0];
    assert_eq!(account.incoming_calls, IncomingCalls::Ring);
    assert_eq!(account.voicemail_pin_delay, Some(4));
    assert!(account.stutter_dial_tone);
    assert_eq!(config.audio.microphone.as_deref(), Some("USB Headset Mono"));
    assert_eq!(config.audio.speaker.as_deref(), Some("USB Headset Stereo"));
    assert_eq!(config.audio.ringer.as_deref(), Some("Built-in Audio"));
    let written = config.to_toml().expect("toml");
    assert_eq!(load(&written).expect("reads back"), config, "{written}");
}

#[test]
fn a_saved_call_setting_keeps_the_rest_of_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("config.toml");
    let text = format!("# my office\n{BARE}voicemail_access_code = \"*97\" # the PBX's\n");
    std::fs::write(&path, &text).expect("write");
    let mut config = Config::load(&path).expect("valid");
    config.accounts[0].incoming_calls = IncomingCalls::Ring;
    config.audio.speaker = Some("Headset".into());
    config.save(&path).expect("saved");
    let saved = std::fs::read_to_string(&path).expect("read");
    assert!(
        saved.contains("# my office") && saved.contains("# the PBX's"),
        "{saved}"
    );
    assert!(saved.contains("incoming_calls = \"ring\""), "{saved}");
    assert_eq!(Config::load(&path).expect("reads back"), config);
}

#[test]
fn wrong_call_settings_are_refused_where_they_are() {
    let cases = [
        (
            format!("{BARE}incoming_calls = \"always\""),
            "4:18: accounts[0].incoming_calls: unknown variant `always`, expected `ring` or `off`",
        ),
        (
            format!("{BARE}voicemail_pin_delay = 0"),
            "4:23: accounts[0].voicemail_pin_delay: 0 seconds is out of range; use 1 to 60",
        ),
        (
            format!("{BARE}voicemail_pin_delay = 61"),
            "4:23: accounts[0].voicemail_pin_delay: 61 seconds is out of range",
        ),
        (
            format!("{BARE}stutter_dial_tone = \"yes\""),
            "4:21: accounts[0].stutter_dial_tone: invalid type: string \"yes\", expected a boolean",
        ),
        (
            format!("{BARE}[audio]\nspeakers = \"x\""),
            "5:1: audio.speakers: unknown field `speakers`",
        ),
        (
            format!("{BARE}[audio]\nmicrophone = \" \""),
            "4:1: audio.microphone: must not be empty; leave it out to use the system's default device",
        ),
    ];
    for (text, expected) in cases {
        let message = load(&text).expect_err("refused").to_string();
        let expected = format!("{PATH}:{expected}");
        assert!(
            message.starts_with(&expected),
            "got {message:?}, expected {expected:?}"
        );
    }
}

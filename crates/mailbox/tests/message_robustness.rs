//! The message parsers never panic: arbitrary and mutated header blocks, message ids, and
//! BODYSTRUCTURE-bearing FETCH lines.

use async_imap::imap_proto::{AttributeValue, Response};
use proptest::prelude::*;
use voicelamp_mailbox::MessageId;
use voicelamp_mailbox::bodystructure::find_audio;
use voicelamp_mailbox::headers::metadata;

const ASTERISK: &str = "X-Asterisk-VM-Caller-ID-Num: 5551234\r\n\
X-Asterisk-VM-Caller-ID-Name: =?utf-8?q?Zo=C3=AB_M=C3=BCller?=\r\n\
X-Asterisk-VM-Duration: 7\r\nX-Asterisk-VM-Flag: Urgent\r\n\
X-Asterisk-VM-Orig-time: 1795737300\r\nDate: Thu, 26 Nov 2026 23:55:56 +0000\r\n\
From: =?utf-8?b?Wm/DqyBNw7xsbGVy?= <5559@pbx.voicelamp.test>\r\n\r\n";

const FETCH: &str = "* 1 FETCH (UID 1 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"8bit\" 275 7 NIL NIL NIL NIL)(\"audio\" \"x-wav\" (\"name\" \"msg0000.wav\") NIL NIL \"base64\" 16628 NIL (\"attachment\" (\"filename\" \"msg0000.wav\")) NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL))\r\n";

fn audio_in(line: &[u8]) {
    if let Ok((_, Response::Fetch(_, attrs))) = Response::parse(line) {
        for a in &attrs {
            if let AttributeValue::BodyStructure(b) = a {
                let _ = find_audio(b);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_header_blocks_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = metadata(&bytes);
    }

    #[test]
    fn mutated_asterisk_headers_never_panic(at in 0usize..ASTERISK.len(), byte in any::<u8>(), cut in 0usize..ASTERISK.len()) {
        let mut bytes = ASTERISK.as_bytes().to_vec();
        bytes[at] = byte;
        let _ = metadata(&bytes);
        let _ = metadata(&bytes[..cut]);
    }

    #[test]
    fn mutated_bodystructures_never_panic(at in 0usize..FETCH.len(), byte in any::<u8>(), cut in 0usize..FETCH.len()) {
        let mut bytes = FETCH.as_bytes().to_vec();
        bytes[at] = byte;
        audio_in(&bytes);
        audio_in(&FETCH.as_bytes()[..cut]);
    }

    #[test]
    fn message_ids_parse_or_fail_cleanly(s in ".{0,40}") {
        if let Ok(id) = s.parse::<MessageId>() {
            prop_assert_eq!(id.to_string().parse::<MessageId>().unwrap(), id);
        }
    }

    #[test]
    fn message_ids_round_trip(v in any::<u32>(), uid in any::<u32>()) {
        let id = MessageId { uid_validity: v, uid };
        prop_assert_eq!(id.to_string().parse::<MessageId>().unwrap(), id);
    }
}

//! Framing of SIP messages on stream transports (TCP, TLS): where one message ends, and
//! RFC 5626 §4.4.1 keepalives (CRLFCRLF ping, CRLF pong) between messages. The driver keeps
//! the stream buffer; this module only measures it.

use crate::message::MAX_MESSAGE_LEN;

/// What the front of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// Not enough bytes yet.
    Incomplete,
    /// This many bytes of CR/LF: a keepalive ping or pong; drop them.
    Keepalive(usize),
    /// One message of this many bytes; pass them to `Input::Datagram`.
    Message(usize),
    /// The stream cannot be framed (head or body beyond [`MAX_MESSAGE_LEN`], or a bad
    /// `Content-Length`): close the connection.
    Invalid,
}

/// Measures the first frame of `buf`.
pub fn next_frame(buf: &[u8]) -> Frame {
    let crlf = buf
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    if crlf > 0 {
        return Frame::Keepalive(crlf);
    }
    let window = &buf[..buf.len().min(MAX_MESSAGE_LEN)];
    let Some((head_len, sep)) = find_head_end(window) else {
        return if buf.len() >= MAX_MESSAGE_LEN {
            Frame::Invalid
        } else {
            Frame::Incomplete
        };
    };
    let head = &buf[..head_len];
    let body_len = match content_length(head) {
        Ok(len) => len,
        Err(()) => return Frame::Invalid,
    };
    let total = head_len + sep + body_len;
    if total > MAX_MESSAGE_LEN {
        Frame::Invalid
    } else if buf.len() < total {
        Frame::Incomplete
    } else {
        Frame::Message(total)
    }
}

/// The length of the head without its terminating empty line, and that line's length.
fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some((i + 1, 1));
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some((i + 1, 2));
            }
        }
        i += 1;
    }
    None
}

/// `Content-Length` (or compact `l`) from a head; absent means 0.
fn content_length(head: &[u8]) -> Result<usize, ()> {
    let text = std::str::from_utf8(head).map_err(|_| ())?;
    for line in text.split('\n') {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            let value = value.trim();
            if value.is_empty() || value.len() > 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            return value.parse().map_err(|_| ());
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MSG: &[u8] = b"NOTIFY sip:a@b SIP/2.0\r\nl: 5\r\nVia: x\r\n\r\nhello";

    #[test]
    fn frames_messages_and_keepalives() {
        assert_eq!(next_frame(b""), Frame::Incomplete);
        assert_eq!(next_frame(b"\r\n\r\nNOTIFY"), Frame::Keepalive(4));
        assert_eq!(next_frame(b"\r\n"), Frame::Keepalive(2));
        assert_eq!(next_frame(&MSG[..20]), Frame::Incomplete);
        assert_eq!(next_frame(&MSG[..MSG.len() - 1]), Frame::Incomplete);
        assert_eq!(next_frame(MSG), Frame::Message(MSG.len()));
        let mut two = MSG.to_vec();
        two.extend_from_slice(MSG);
        assert_eq!(next_frame(&two), Frame::Message(MSG.len()));
        assert_eq!(
            next_frame(b"OPTIONS sip:a@b SIP/2.0\nVia: x\n\n"),
            Frame::Message(32)
        );
        assert_eq!(
            next_frame(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n"),
            Frame::Invalid
        );
        assert_eq!(
            next_frame(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999\r\n\r\n"),
            Frame::Invalid
        );
        assert_eq!(next_frame(&vec![b'a'; MAX_MESSAGE_LEN]), Frame::Invalid);
    }

    proptest! {
        #[test]
        fn frames_never_exceed_the_buffer(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            match next_frame(&bytes) {
                Frame::Message(n) | Frame::Keepalive(n) => prop_assert!(n > 0 && n <= bytes.len()),
                Frame::Incomplete | Frame::Invalid => {}
            }
        }
    }
}

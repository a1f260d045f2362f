//! RTP packets (RFC 3550 §5.1): a bounds-checked reader and a writer.
//!
//! CSRC lists, the header extension and padding are understood and skipped; a packet that claims
//! more than it holds is an error. [`is_rtcp`] tells RTP and RTCP apart on one port (RFC 5761).

/// The fixed header fields we use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RtpHeader {
    /// The marker bit (first packet of a talkspurt, or of a DTMF event).
    pub marker: bool,
    /// The payload type.
    pub payload_type: u8,
    /// The sequence number.
    pub sequence: u16,
    /// The media timestamp.
    pub timestamp: u32,
    /// The sender's synchronisation source.
    pub ssrc: u32,
}

/// A parsed packet borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The header.
    pub header: RtpHeader,
    /// The payload, padding removed.
    pub payload: &'a [u8],
}

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Fewer bytes than the header says.
    #[error("the RTP packet is shorter than its header says")]
    Truncated,
    /// Not version 2.
    #[error("not RTP version 2")]
    Version,
    /// Padding larger than the packet.
    #[error("the RTP padding is longer than the packet")]
    Padding,
}

/// Size of the fixed header.
pub const HEADER_BYTES: usize = 12;

/// Reads an RTP packet.
pub fn parse(bytes: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    if bytes.len() < HEADER_BYTES {
        return Err(RtpError::Truncated);
    }
    if bytes[0] >> 6 != 2 {
        return Err(RtpError::Version);
    }
    let padding = bytes[0] & 0x20 != 0;
    let extension = bytes[0] & 0x10 != 0;
    let csrc = usize::from(bytes[0] & 0x0F);
    let header = RtpHeader {
        marker: bytes[1] & 0x80 != 0,
        payload_type: bytes[1] & 0x7F,
        sequence: u16::from_be_bytes([bytes[2], bytes[3]]),
        timestamp: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        ssrc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
    };
    let mut start = HEADER_BYTES + 4 * csrc;
    if extension {
        let ext = bytes.get(start..start + 4).ok_or(RtpError::Truncated)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
    }
    if start > bytes.len() {
        return Err(RtpError::Truncated);
    }
    let mut end = bytes.len();
    if padding {
        let pad = usize::from(bytes[end - 1]);
        if pad == 0 || pad > end - start {
            return Err(RtpError::Padding);
        }
        end -= pad;
    }
    Ok(RtpPacket {
        header,
        payload: &bytes[start..end],
    })
}

/// Writes a packet (no CSRC, extension or padding) to `out`, replacing its contents.
pub fn build(header: &RtpHeader, payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(HEADER_BYTES + payload.len());
    out.push(0x80);
    out.push(u8::from(header.marker) << 7 | (header.payload_type & 0x7F));
    out.extend_from_slice(&header.sequence.to_be_bytes());
    out.extend_from_slice(&header.timestamp.to_be_bytes());
    out.extend_from_slice(&header.ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Whether a datagram on a shared port is RTCP: version 2 and a second byte in 192..=223
/// (RFC 5761 §4; RTP payload types 64–95 are never used with rtcp-mux).
pub fn is_rtcp(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[0] >> 6 == 2 && (192..=223).contains(&bytes[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = RtpHeader {
            marker: true,
            payload_type: 101,
            sequence: 65535,
            timestamp: 0xDEAD_BEEF,
            ssrc: 0x1234_5678,
        };
        let mut out = Vec::new();
        build(&h, b"abc", &mut out);
        let p = parse(&out).expect("parses");
        assert_eq!(p.header, h);
        assert_eq!(p.payload, b"abc");
        assert!(!is_rtcp(&out));
    }

    #[test]
    fn csrc_extension_and_padding_are_skipped() {
        let mut b = vec![0x80 | 0x20 | 0x10 | 0x01, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        b.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        b.extend_from_slice(&[0xBE, 0xDE, 0, 1, 7, 7, 7, 7]); // extension of one word
        b.extend_from_slice(b"hi");
        b.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let p = parse(&b).expect("parses");
        assert_eq!(p.payload, b"hi");
    }

    #[test]
    fn lies_are_errors() {
        assert_eq!(parse(&[0x80; 11]), Err(RtpError::Truncated));
        assert_eq!(parse(&[0x40; 12]), Err(RtpError::Version));
        let mut b = vec![0x8F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(parse(&b), Err(RtpError::Truncated));
        b[0] = 0xA0;
        b.push(200);
        assert_eq!(parse(&b), Err(RtpError::Padding));
        let ext = [0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
        assert_eq!(parse(&ext), Err(RtpError::Truncated));
    }
}

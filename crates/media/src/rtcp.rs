//! RTCP packets (RFC 3550 §6): sender and receiver reports, SDES CNAME and BYE, read from a
//! compound packet with bounds and written as the compound packets a session sends.

/// A report about one source (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source reported on.
    pub ssrc: u32,
    /// Fraction lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Packets lost since the start (24-bit signed).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP time of the last SR received from that source, 0 if none.
    pub lsr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub dlsr: u32,
}

/// The sender-info part of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// NTP timestamp (64-bit fixed point).
    pub ntp: u64,
    /// The RTP timestamp of the same instant.
    pub rtp_timestamp: u32,
    /// Packets sent.
    pub packets: u32,
    /// Payload octets sent.
    pub octets: u32,
}

/// One packet of a compound RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket {
    /// SR.
    SenderReport {
        /// The sender.
        ssrc: u32,
        /// Its sending figures.
        info: SenderInfo,
        /// Its reports on what it receives.
        blocks: Vec<ReportBlock>,
    },
    /// RR.
    ReceiverReport {
        /// The reporter.
        ssrc: u32,
        /// Its reports.
        blocks: Vec<ReportBlock>,
    },
    /// BYE.
    Bye {
        /// The sources leaving.
        ssrcs: Vec<u32>,
    },
    /// SDES, APP, feedback, …: skipped.
    Other(u8),
}

/// Why bytes are not RTCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// Shorter than a header or than a length field says.
    #[error("the RTCP packet is shorter than it says")]
    Truncated,
    /// Not version 2.
    #[error("not RTCP version 2")]
    Version,
    /// More packets than we read in one datagram.
    #[error("too many RTCP packets in one datagram")]
    TooMany,
}

/// Most packets read from one compound datagram.
pub const MAX_PACKETS: usize = 16;

const SR: u8 = 200;
const RR: u8 = 201;
const SDES: u8 = 202;
const BYE: u8 = 203;

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn read_blocks(body: &[u8], count: usize) -> Result<Vec<ReportBlock>, RtcpError> {
    if body.len() < count * 24 {
        return Err(RtcpError::Truncated);
    }
    Ok(body
        .chunks_exact(24)
        .take(count)
        .map(|b| {
            let lost = be32(b, 4) & 0x00FF_FFFF;
            // Sign-extend the 24-bit count.
            let cumulative_lost = ((lost << 8) as i32) >> 8;
            ReportBlock {
                ssrc: be32(b, 0),
                fraction_lost: b[4],
                cumulative_lost,
                highest_seq: be32(b, 8),
                jitter: be32(b, 12),
                lsr: be32(b, 16),
                dlsr: be32(b, 20),
            }
        })
        .collect())
}

/// Reads a compound RTCP datagram.
pub fn parse_compound(bytes: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if out.len() >= MAX_PACKETS {
            return Err(RtcpError::TooMany);
        }
        if rest.len() < 4 {
            return Err(RtcpError::Truncated);
        }
        if rest[0] >> 6 != 2 {
            return Err(RtcpError::Version);
        }
        let count = usize::from(rest[0] & 0x1F);
        let pt = rest[1];
        let len = 4 * (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1);
        let packet = rest.get(..len).ok_or(RtcpError::Truncated)?;
        rest = &rest[len..];
        let body = &packet[4..];
        out.push(match pt {
            SR => {
                if body.len() < 24 {
                    return Err(RtcpError::Truncated);
                }
                RtcpPacket::SenderReport {
                    ssrc: be32(body, 0),
                    info: SenderInfo {
                        ntp: u64::from(be32(body, 4)) << 32 | u64::from(be32(body, 8)),
                        rtp_timestamp: be32(body, 12),
                        packets: be32(body, 16),
                        octets: be32(body, 20),
                    },
                    blocks: read_blocks(&body[24..], count)?,
                }
            }
            RR => {
                if body.len() < 4 {
                    return Err(RtcpError::Truncated);
                }
                RtcpPacket::ReceiverReport {
                    ssrc: be32(body, 0),
                    blocks: read_blocks(&body[4..], count)?,
                }
            }
            BYE => {
                if body.len() < 4 * count {
                    return Err(RtcpError::Truncated);
                }
                RtcpPacket::Bye {
                    ssrcs: (0..count).map(|i| be32(body, 4 * i)).collect(),
                }
            }
            other => RtcpPacket::Other(other),
        });
    }
    Ok(out)
}

fn header(out: &mut Vec<u8>, count: u8, pt: u8, words_after_header: usize) {
    out.push(0x80 | (count & 0x1F));
    out.push(pt);
    out.extend_from_slice(&(words_after_header as u16).to_be_bytes());
}

fn write_block(out: &mut Vec<u8>, b: &ReportBlock) {
    out.extend_from_slice(&b.ssrc.to_be_bytes());
    let lost = (b.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32) & 0x00FF_FFFF;
    out.extend_from_slice(&(u32::from(b.fraction_lost) << 24 | lost).to_be_bytes());
    for v in [b.highest_seq, b.jitter, b.lsr, b.dlsr] {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn write_sdes(out: &mut Vec<u8>, ssrc: u32, cname: &str) {
    let cname = &cname.as_bytes()[..cname.len().min(255)];
    // SSRC, CNAME item (type, length, text), then a zero item end, padded to a word.
    let item = 4 + 2 + cname.len() + 1;
    let words = item.div_ceil(4);
    header(out, 1, SDES, words);
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.push(1);
    out.push(cname.len() as u8);
    out.extend_from_slice(cname);
    out.resize(out.len() + words * 4 - item + 1, 0);
}

/// Writes an SR (when `sender` is given) or RR with at most one report block, then SDES CNAME,
/// replacing the contents of `out`.
pub fn build_report(
    ssrc: u32,
    sender: Option<&SenderInfo>,
    block: Option<&ReportBlock>,
    cname: &str,
    out: &mut Vec<u8>,
) {
    out.clear();
    let blocks = u8::from(block.is_some());
    let block_words = 6 * usize::from(blocks);
    match sender {
        Some(s) => {
            header(out, blocks, SR, 6 + block_words);
            out.extend_from_slice(&ssrc.to_be_bytes());
            out.extend_from_slice(&s.ntp.to_be_bytes());
            for v in [s.rtp_timestamp, s.packets, s.octets] {
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
        None => {
            header(out, blocks, RR, 1 + block_words);
            out.extend_from_slice(&ssrc.to_be_bytes());
        }
    }
    if let Some(b) = block {
        write_block(out, b);
    }
    write_sdes(out, ssrc, cname);
}

/// Appends a BYE for `ssrc` to `out`.
pub fn append_bye(ssrc: u32, out: &mut Vec<u8>) {
    header(out, 1, BYE, 1);
    out.extend_from_slice(&ssrc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sr_with_a_block_round_trips() {
        let info = SenderInfo {
            ntp: 0x0102_0304_0506_0708,
            rtp_timestamp: 160,
            packets: 7,
            octets: 1120,
        };
        let block = ReportBlock {
            ssrc: 9,
            fraction_lost: 25,
            cumulative_lost: -3,
            highest_seq: 70_000,
            jitter: 40,
            lsr: 0x0304_0506,
            dlsr: 65536,
        };
        let mut out = Vec::new();
        build_report(5, Some(&info), Some(&block), "voicelamp@host", &mut out);
        append_bye(5, &mut out);
        assert_eq!(out.len() % 4, 0);
        assert!(crate::rtp::is_rtcp(&out));
        let packets = parse_compound(&out).expect("parses");
        assert_eq!(
            packets,
            [
                RtcpPacket::SenderReport {
                    ssrc: 5,
                    info,
                    blocks: vec![block]
                },
                RtcpPacket::Other(SDES),
                RtcpPacket::Bye { ssrcs: vec![5] },
            ]
        );
    }

    #[test]
    fn rr_without_blocks_round_trips() {
        let mut out = Vec::new();
        build_report(1, None, None, "", &mut out);
        let packets = parse_compound(&out).expect("parses");
        assert_eq!(
            packets[0],
            RtcpPacket::ReceiverReport {
                ssrc: 1,
                blocks: vec![]
            }
        );
    }

    #[test]
    fn lies_are_errors() {
        // RR claiming two blocks with none present.
        let rr = [0x82, RR, 0, 1, 0, 0, 0, 1];
        assert_eq!(parse_compound(&rr), Err(RtcpError::Truncated));
        // Length past the end.
        assert_eq!(
            parse_compound(&[0x80, RR, 0, 9, 0, 0, 0, 1]),
            Err(RtcpError::Truncated)
        );
        assert_eq!(parse_compound(&[0x40, RR, 0, 0]), Err(RtcpError::Version));
        let many = [0x80, 204, 0, 0].repeat(MAX_PACKETS + 1);
        assert_eq!(parse_compound(&many), Err(RtcpError::TooMany));
    }
}

//! SDES-SRTP: RTP and RTCP protected with `AES_CM_128_HMAC_SHA1_80` (and `_32`, accepted when a
//! peer offers it), keyed by `a=crypto` lines (RFC 4568) in the SDP.
//!
//! # API
//! ```text
//! SrtpSuite::{AesCm128HmacSha1_80, AesCm128HmacSha1_32}   name(), from_name(), rtp_tag_len()
//! MasterKey::from_bytes([u8; 30])                          key || salt; Debug shows no key
//! CryptoAttribute { tag, suite, lifetime, mki }            the `a=crypto` value
//!     new(tag, suite, key_salt: [u8; 30])                   (30 bytes from the session's RNG)
//!     parse(value) -> Result<CryptoAttribute, CryptoError> ("a=crypto:", "crypto:" or the value)
//!     to_sdp_value() -> String                              "1 AES_CM_128_HMAC_SHA1_80 inline:…"
//!     answer(&offer, key_salt) -> CryptoAttribute           same tag and suite, our key
//!     choose(values) -> Option<CryptoAttribute>              the first offered line we support
//!     srtp() -> Srtp                                        a context for this key
//! Srtp::new(suite, &MasterKey) / with_mki(bytes)
//!     protect_rtp(&[u8]) / unprotect_rtp(&[u8]) -> Result<Vec<u8>, SrtpError>
//!     protect_rtcp(&[u8]) / unprotect_rtcp(&[u8]) -> Result<Vec<u8>, SrtpError>
//! ```
//! A call has two contexts: one from our `a=crypto` key for what we send (`protect_*`), one from
//! the peer's for what we receive (`unprotect_*`).
//!
//! # Policy (the media `Session` enforces it)
//! SDES puts the SRTP master key in the SDP in clear, so it is only as secret as the signaling.
//! **Never offer or answer `a=crypto` unless the SIP signaling path is TLS (`sips:`/`transport=tls`);**
//! over UDP or TCP, offer RTP/AVP without keys, and refuse (488) an offer that requires SRTP.
//! Keys never reach logs, traces or `Debug` output: `MasterKey`, `CryptoAttribute` and `Srtp`
//! print no key, and errors name no key.
//!
//! # What it does
//! - Session keys from the master key with the AES-CM PRF (key derivation rate 0), RFC 3711 §4.3.
//! - SRTP: the payload (after header, CSRCs and header extension) is encrypted; header, payload
//!   and ROC are authenticated. The rollover counter (ROC) is kept per SSRC; the receiver estimates
//!   the packet index as RFC 3711 §3.3.1 does, so a sequence wrap (65535 → 0) and reordering
//!   around it decrypt correctly.
//! - SRTCP: encrypted after the first 8 bytes, the E flag and a 31-bit index appended, tag of 80
//!   bits for both suites. The first SRTCP index sent is 1 (as libsrtp).
//! - Replay protection: a 64-packet window per SSRC for SRTP and for SRTCP; packets that repeat
//!   or fall behind the window are refused. State changes only after authentication succeeded.
//! - At most [`MAX_STREAMS`] SSRCs per context; past that the least recently used one is forgotten.
//! - MKI: a key with an MKI (`|1:4`) is accepted; the MKI is sent and checked on every packet.

#[path = "srtp_keys.rs"]
mod keys;
#[path = "srtp_sdes.rs"]
mod sdes;
#[cfg(test)]
#[path = "srtp_tests.rs"]
mod tests;

use hmac::Mac;

use keys::{HmacSha1, SessionKeys};
pub use keys::{KEY_SALT_LEN, MASTER_KEY_LEN, MASTER_SALT_LEN, MasterKey, RTCP_TAG_LEN, SrtpSuite};
pub use sdes::{CryptoAttribute, CryptoError, MAX_MKI_LEN};

/// The most SSRCs one context keeps state for.
pub const MAX_STREAMS: usize = 16;
/// The replay window, in packets.
pub const REPLAY_WINDOW: u64 = 64;
/// The highest SRTCP index (31 bits); past it the key must be replaced.
const MAX_SRTCP_INDEX: u32 = 0x7FFF_FFFF;

/// Why a packet could not be protected or unprotected. The words say what happened; none
/// carries key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SrtpError {
    /// Not an RTP/RTCP packet of a length and layout that can be read.
    #[error("not a readable RTP or RTCP packet (too short or a bad header): dropped")]
    Malformed,
    /// The tag did not match: a wrong key, an altered packet, or plain RTP on an SRTP call.
    #[error("the packet failed SRTP authentication (a wrong key or an altered packet): dropped")]
    AuthenticationFailed,
    /// Seen before, or older than the replay window.
    #[error("the packet was already received or is too old (replay protection): dropped")]
    Replayed,
    /// The MKI in the packet is not the one of this key.
    #[error("the packet names another master key (MKI) than the one agreed: dropped")]
    UnknownMki,
    /// The key has protected as many packets as it may; a new key must be negotiated.
    #[error("the SRTP key is used up; the call needs new keys (a re-INVITE)")]
    KeyExhausted,
}

/// The replay window of one stream: the highest index accepted and a bit per index below it.
#[derive(Debug, Clone, Copy, Default)]
struct ReplayWindow {
    highest: Option<u64>,
    bits: u64,
}

impl ReplayWindow {
    fn check(&self, index: u64) -> Result<(), SrtpError> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if index > highest {
            return Ok(());
        }
        let back = highest - index;
        if back >= REPLAY_WINDOW || self.bits & (1 << back) != 0 {
            return Err(SrtpError::Replayed);
        }
        Ok(())
    }

    fn accept(&mut self, index: u64) {
        match self.highest {
            Some(highest) if index <= highest => self.bits |= 1 << (highest - index),
            Some(highest) => {
                let shift = index - highest;
                self.bits = if shift >= REPLAY_WINDOW {
                    1
                } else {
                    (self.bits << shift) | 1
                };
                self.highest = Some(index);
            }
            None => {
                self.highest = Some(index);
                self.bits = 1;
            }
        }
    }
}

/// Per-SSRC state.
#[derive(Debug, Clone, Copy, Default)]
struct Stream {
    ssrc: u32,
    /// SRTP: the rollover counter and the highest sequence number (s_l), once a packet was seen.
    roc: u32,
    s_l: Option<u16>,
    rtp_replay: ReplayWindow,
    /// SRTCP: the last index sent, and the receiver's window.
    rtcp_sent: u32,
    rtcp_replay: ReplayWindow,
    /// For forgetting the least recently used stream.
    used: u64,
}

impl Stream {
    /// RFC 3711 §3.3.1: the ROC a packet with `seq` most likely belongs to, and its index.
    fn estimate(&self, seq: u16) -> Option<(u32, u64)> {
        let Some(s_l) = self.s_l else {
            return Some((self.roc, u64::from(seq)));
        };
        let (roc, seq32, s_l) = (i64::from(self.roc), i64::from(seq), i64::from(s_l));
        let v = if s_l < 32768 {
            if seq32 - s_l > 32768 { roc - 1 } else { roc }
        } else if s_l - 32768 > seq32 {
            roc + 1
        } else {
            roc
        };
        let v = u32::try_from(v).ok()?;
        Some((v, (u64::from(v) << 16) | u64::from(seq)))
    }

    /// Takes in the index of a packet accepted (sent or authenticated).
    fn advance(&mut self, roc: u32, seq: u16) {
        let index = (u64::from(roc) << 16) | u64::from(seq);
        let current = self.s_l.map(|s| (u64::from(self.roc) << 16) | u64::from(s));
        if current.is_none_or(|c| index > c) {
            self.roc = roc;
            self.s_l = Some(seq);
        }
    }
}

/// One SRTP/SRTCP crypto context: a master key, its derived session keys, per-SSRC state.
pub struct Srtp {
    suite: SrtpSuite,
    rtp: SessionKeys,
    rtcp: SessionKeys,
    mki: Option<Vec<u8>>,
    streams: Vec<Stream>,
    clock: u64,
}

impl std::fmt::Debug for Srtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Srtp")
            .field("suite", &self.suite)
            .field("mki_len", &self.mki.as_ref().map(Vec::len))
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

impl Srtp {
    /// A context for `key` with the suite's tag length.
    pub fn new(suite: SrtpSuite, key: &MasterKey) -> Self {
        Srtp {
            suite,
            rtp: SessionKeys::derive(key, false),
            rtcp: SessionKeys::derive(key, true),
            mki: None,
            streams: Vec::new(),
            clock: 0,
        }
    }

    /// The key's MKI, sent with and expected in every packet (at most [`MAX_MKI_LEN`] bytes).
    pub fn with_mki(mut self, mki: Vec<u8>) -> Self {
        self.mki = (!mki.is_empty()).then_some(mki);
        self
    }

    /// The suite in use.
    pub fn suite(&self) -> SrtpSuite {
        self.suite
    }

    fn mki_len(&self) -> usize {
        self.mki.as_ref().map_or(0, Vec::len)
    }

    /// The state for `ssrc` (a copy; stored back by `store`).
    fn stream(&self, ssrc: u32) -> Stream {
        self.streams
            .iter()
            .find(|s| s.ssrc == ssrc)
            .copied()
            .unwrap_or(Stream {
                ssrc,
                ..Stream::default()
            })
    }

    fn store(&mut self, mut stream: Stream) {
        self.clock += 1;
        stream.used = self.clock;
        if let Some(slot) = self.streams.iter_mut().find(|s| s.ssrc == stream.ssrc) {
            *slot = stream;
            return;
        }
        if self.streams.len() >= MAX_STREAMS
            && let Some(oldest) = self
                .streams
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.used)
                .map(|(i, _)| i)
        {
            self.streams.swap_remove(oldest);
        }
        self.streams.push(stream);
    }

    /// Encrypts and authenticates an RTP packet we send.
    pub fn protect_rtp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        let header = rtp_header_len(packet)?;
        let (seq, ssrc) = rtp_seq_ssrc(packet);
        let mut stream = self.stream(ssrc);
        // The sender's ROC goes up when its sequence number wraps, as the receiver estimates.
        let (roc, index) = stream.estimate(seq).ok_or(SrtpError::KeyExhausted)?;
        let mut out = Vec::with_capacity(packet.len() + self.mki_len() + self.suite.rtp_tag_len());
        out.extend_from_slice(packet);
        self.rtp.apply_keystream(ssrc, index, &mut out[header..]);
        let tag = rtp_tag(self.rtp.mac(), &out, roc);
        if let Some(mki) = &self.mki {
            out.extend_from_slice(mki);
        }
        out.extend_from_slice(&tag[..self.suite.rtp_tag_len()]);
        stream.advance(roc, seq);
        self.store(stream);
        Ok(out)
    }

    /// Authenticates, checks for replay and decrypts an SRTP packet we received.
    pub fn unprotect_rtp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        let trailer = self.mki_len() + self.suite.rtp_tag_len();
        let body_len = packet
            .len()
            .checked_sub(trailer)
            .ok_or(SrtpError::Malformed)?;
        let (body, rest) = packet.split_at(body_len);
        let header = rtp_header_len(body)?;
        let (mki, tag) = rest.split_at(self.mki_len());
        if self.mki.as_deref().is_some_and(|ours| ours != mki) {
            return Err(SrtpError::UnknownMki);
        }
        let (seq, ssrc) = rtp_seq_ssrc(body);
        let mut stream = self.stream(ssrc);
        let (roc, index) = stream.estimate(seq).ok_or(SrtpError::Replayed)?;
        stream.rtp_replay.check(index)?;
        let mut mac = self.rtp.mac();
        mac.update(body);
        mac.update(&roc.to_be_bytes());
        mac.verify_truncated_left(tag)
            .map_err(|_| SrtpError::AuthenticationFailed)?;
        let mut out = body.to_vec();
        self.rtp.apply_keystream(ssrc, index, &mut out[header..]);
        stream.rtp_replay.accept(index);
        stream.advance(roc, seq);
        self.store(stream);
        Ok(out)
    }

    /// Encrypts and authenticates an RTCP (compound) packet we send.
    pub fn protect_rtcp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        let ssrc = rtcp_ssrc(packet)?;
        let mut stream = self.stream(ssrc);
        if stream.rtcp_sent >= MAX_SRTCP_INDEX {
            return Err(SrtpError::KeyExhausted);
        }
        stream.rtcp_sent += 1;
        let index = stream.rtcp_sent;
        let mut out = Vec::with_capacity(packet.len() + 4 + self.mki_len() + RTCP_TAG_LEN);
        out.extend_from_slice(packet);
        self.rtcp
            .apply_keystream(ssrc, u64::from(index), &mut out[8..]);
        out.extend_from_slice(&(index | 0x8000_0000).to_be_bytes());
        let mut mac = self.rtcp.mac();
        mac.update(&out);
        let tag = mac.finalize().into_bytes();
        if let Some(mki) = &self.mki {
            out.extend_from_slice(mki);
        }
        out.extend_from_slice(&tag[..RTCP_TAG_LEN]);
        self.store(stream);
        Ok(out)
    }

    /// Authenticates, checks for replay and decrypts an SRTCP packet we received.
    pub fn unprotect_rtcp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        let trailer = self.mki_len() + RTCP_TAG_LEN;
        let auth_len = packet
            .len()
            .checked_sub(trailer)
            .ok_or(SrtpError::Malformed)?;
        let (authenticated, rest) = packet.split_at(auth_len);
        let body_len = auth_len.checked_sub(4).ok_or(SrtpError::Malformed)?;
        let body = &authenticated[..body_len];
        let ssrc = rtcp_ssrc(body)?;
        let (mki, tag) = rest.split_at(self.mki_len());
        if self.mki.as_deref().is_some_and(|ours| ours != mki) {
            return Err(SrtpError::UnknownMki);
        }
        let e_index = u32::from_be_bytes(
            authenticated[body_len..]
                .try_into()
                .map_err(|_| SrtpError::Malformed)?,
        );
        let encrypted = e_index & 0x8000_0000 != 0;
        let index = u64::from(e_index & MAX_SRTCP_INDEX);
        let mut stream = self.stream(ssrc);
        stream.rtcp_replay.check(index)?;
        let mut mac = self.rtcp.mac();
        mac.update(authenticated);
        mac.verify_truncated_left(tag)
            .map_err(|_| SrtpError::AuthenticationFailed)?;
        let mut out = body.to_vec();
        if encrypted {
            self.rtcp.apply_keystream(ssrc, index, &mut out[8..]);
        }
        stream.rtcp_replay.accept(index);
        self.store(stream);
        Ok(out)
    }
}

fn rtp_tag(mut mac: HmacSha1, authenticated: &[u8], roc: u32) -> [u8; 20] {
    mac.update(authenticated);
    mac.update(&roc.to_be_bytes());
    mac.finalize().into_bytes().into()
}

/// The length of an RTP header with its CSRCs and extension, checked against the packet.
fn rtp_header_len(packet: &[u8]) -> Result<usize, SrtpError> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return Err(SrtpError::Malformed);
    }
    let mut len = 12 + 4 * usize::from(packet[0] & 0x0F);
    if packet[0] & 0x10 != 0 {
        let words = packet.get(len + 2..len + 4).ok_or(SrtpError::Malformed)?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    if len > packet.len() {
        return Err(SrtpError::Malformed);
    }
    Ok(len)
}

fn rtp_seq_ssrc(packet: &[u8]) -> (u16, u32) {
    (
        u16::from_be_bytes([packet[2], packet[3]]),
        u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
    )
}

/// The sender SSRC of an RTCP packet (version 2, at least 8 bytes).
fn rtcp_ssrc(packet: &[u8]) -> Result<u32, SrtpError> {
    if packet.len() < 8 || packet[0] >> 6 != 2 {
        return Err(SrtpError::Malformed);
    }
    Ok(u32::from_be_bytes([
        packet[4], packet[5], packet[6], packet[7],
    ]))
}

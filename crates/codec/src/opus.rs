//! Opus (RFC 6716, RTP per RFC 7587) through the system's libopus: 48 kHz mono, 20 ms frames,
//! tuned for voice, with in-band FEC and libopus's own packet loss concealment.
//!
//! ```text
//! OpusEncoder::new() -> Result<OpusEncoder, OpusError>      // 48 kHz mono VoIP, 24 kbit/s, FEC on
//!     encode(&mut self, pcm: &[i16] /* FRAME_SAMPLES */) -> Result<Vec<u8>, OpusError>
//!     set_bitrate(bits_per_second), set_expected_loss(percent)
//! OpusDecoder::new() -> Result<OpusDecoder, OpusError>
//!     decode(&mut self, packet, &mut Vec<i16>) -> Result<usize, OpusError>   // samples appended
//!     conceal(&mut self, &mut Vec<i16>) -> Result<usize, OpusError>          // one frame of PLC
//!     recover(&mut self, next_packet, &mut Vec<i16>) -> Result<usize, …>     // the lost frame from the next packet's FEC
//! SAMPLE_RATE = RTP_CLOCK_RATE = 48000, FRAME_SAMPLES = 960, FMTP = "minptime=10;useinbandfec=1"
//! ```
//! When a packet is missing and the next one is already in the jitter buffer, `recover` from it
//! (FEC); otherwise `conceal`. Then decode the next packet as usual. The decoder accepts any
//! Opus frame length up to 120 ms; output is bounded by that.
//!
//! Built only with the `opus` feature (on by default) on Linux.

use std::fmt;

/// The sample rate of encoder input and decoder output (Opus always runs its RTP clock at 48 kHz).
pub const SAMPLE_RATE: u32 = 48_000;
/// The RTP timestamp rate (RFC 7587 §4.1).
pub const RTP_CLOCK_RATE: u32 = 48_000;
/// Samples in one 20 ms frame.
pub const FRAME_SAMPLES: usize = 960;
/// The most samples one packet decodes to (120 ms).
pub const MAX_PACKET_SAMPLES: usize = 5760;
/// The `a=fmtp` parameters to offer: 10 ms frames are fine, in-band FEC is used.
pub const FMTP: &str = "minptime=10;useinbandfec=1";
/// The largest packet the encoder makes.
const MAX_PACKET_BYTES: usize = 1275;
/// The bit rate used unless told otherwise: wideband speech with room for FEC.
const DEFAULT_BITRATE: i32 = 24_000;

/// libopus refused: its reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusError(String);

impl fmt::Display for OpusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the Opus codec failed: {}", self.0)
    }
}

impl std::error::Error for OpusError {}

impl From<::opus::Error> for OpusError {
    fn from(error: ::opus::Error) -> Self {
        OpusError(error.to_string())
    }
}

/// An Opus encoder for one sending direction.
pub struct OpusEncoder {
    inner: ::opus::Encoder,
}

impl fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpusEncoder")
    }
}

impl OpusEncoder {
    /// A 48 kHz mono encoder for voice at 24 kbit/s with in-band FEC for 5 % loss.
    pub fn new() -> Result<Self, OpusError> {
        let mut inner = ::opus::Encoder::new(
            SAMPLE_RATE,
            ::opus::Channels::Mono,
            ::opus::Application::Voip,
        )?;
        inner.set_bitrate(::opus::Bitrate::Bits(DEFAULT_BITRATE))?;
        inner.set_inband_fec(true)?;
        inner.set_packet_loss_perc(5)?;
        Ok(OpusEncoder { inner })
    }

    /// Sets the bit rate (6–128 kbit/s; values outside are clamped).
    pub fn set_bitrate(&mut self, bits_per_second: i32) -> Result<(), OpusError> {
        Ok(self
            .inner
            .set_bitrate(::opus::Bitrate::Bits(bits_per_second.clamp(6_000, 128_000)))?)
    }

    /// Tells the encoder how much loss to expect (0–100 %), e.g. from RTCP, so FEC matches it.
    pub fn set_expected_loss(&mut self, percent: u8) -> Result<(), OpusError> {
        Ok(self
            .inner
            .set_packet_loss_perc(i32::from(percent.min(100)))?)
    }

    /// Encodes one frame of 2.5–60 ms at 48 kHz (normally [`FRAME_SAMPLES`]) into one packet.
    pub fn encode(&mut self, pcm: &[i16]) -> Result<Vec<u8>, OpusError> {
        Ok(self.inner.encode_vec(pcm, MAX_PACKET_BYTES)?)
    }
}

/// An Opus decoder for one receiving direction.
pub struct OpusDecoder {
    inner: ::opus::Decoder,
    /// The length of the last frame decoded, for concealing one frame of that length.
    last_frame: usize,
    scratch: Vec<i16>,
}

impl fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("last_frame", &self.last_frame)
            .finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A 48 kHz mono decoder.
    pub fn new() -> Result<Self, OpusError> {
        Ok(OpusDecoder {
            inner: ::opus::Decoder::new(SAMPLE_RATE, ::opus::Channels::Mono)?,
            last_frame: FRAME_SAMPLES,
            scratch: vec![0; MAX_PACKET_SAMPLES],
        })
    }

    /// Decodes a packet, appending its samples (at most [`MAX_PACKET_SAMPLES`]) to `out`.
    pub fn decode(&mut self, packet: &[u8], out: &mut Vec<i16>) -> Result<usize, OpusError> {
        if packet.is_empty() {
            return Err(OpusError("an empty packet".into()));
        }
        let n = self.inner.decode(packet, &mut self.scratch, false)?;
        self.last_frame = n.clamp(120, MAX_PACKET_SAMPLES);
        out.extend_from_slice(&self.scratch[..n]);
        Ok(n)
    }

    /// One frame of concealment for a lost packet (libopus's PLC), appended to `out`.
    pub fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, OpusError> {
        let frame = self.last_frame;
        let n = self.inner.decode(&[], &mut self.scratch[..frame], false)?;
        out.extend_from_slice(&self.scratch[..n]);
        Ok(n)
    }

    /// The lost frame rebuilt from the FEC data in `next_packet` (the packet after the gap,
    /// which is then decoded as usual). Falls back to concealment when it carries none.
    pub fn recover(&mut self, next_packet: &[u8], out: &mut Vec<i16>) -> Result<usize, OpusError> {
        if next_packet.is_empty() {
            return self.conceal(out);
        }
        let frame = self.last_frame;
        let n = self
            .inner
            .decode(next_packet, &mut self.scratch[..frame], true)?;
        out.extend_from_slice(&self.scratch[..n]);
        Ok(n)
    }
}

#[cfg(test)]
#[path = "opus_tests.rs"]
mod tests;

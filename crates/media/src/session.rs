//! The media session of one call: offer/answer, the 20 ms tick, RTP in and out, RTCP figures.
//!
//! # Methods by kind
//! - Made by [`Session::offer`] (we call) or [`Session::answer`] (we are called).
//! - SDP: [`Session::set_answer`] (the far end's answer, also early media),
//!   [`Session::reoffer`] (the far end's re-INVITE/UPDATE), [`Session::set_hold`] (our new offer).
//! - Input: [`Session::handle_input`] with a packet, captured samples or `Timeout`.
//! - Mutators: [`Session::send_dtmf`], [`Session::set_muted`].
//! - Output, drained after every input: [`Session::poll_transmit`], [`Session::poll_playback`],
//!   [`Session::poll_event`]; then wait until [`Session::poll_timeout`] or the next packet.
//! - Getters: [`Session::sample_rate`], [`Session::codec`], [`Session::quality`].
//!
//! Every queue is bounded: packets to send (64), frames to play (8, oldest dropped), captured
//! samples (three packet times, oldest dropped), events (64), keys to send (64).

mod flow;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::RngCore;
use zeroize::Zeroize;

use crate::cn::ComfortNoise;
use crate::dtmf::{DtmfReceiver, DtmfSender};
use crate::jitter::{JitterBuffer, JitterConfig};
use crate::negotiate::{self, Negotiated, Origin};
use crate::plc::Concealer;
use crate::sdp::{Direction, SessionDescription};
use crate::srtp::{CryptoAttribute, KEY_SALT_LEN, Srtp, SrtpSuite};
use crate::stats::{NtpClock, ReceiveStats};
use crate::voice::Voice;
use crate::{
    CallQuality, CodecKind, DtmfRoute, MediaConfig, MediaError, MediaEvent, MediaInput,
    MediaTransmit, SrtpPolicy,
};

/// Most datagrams waiting in `poll_transmit`.
const MAX_TRANSMITS: usize = 64;
/// Most frames waiting in `poll_playback`.
const MAX_PLAYBACK: usize = 8;
/// Most events waiting in `poll_event`.
const MAX_EVENTS: usize = 64;

/// A received packet waiting in the jitter buffer.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    payload_type: u8,
    data: Vec<u8>,
}

/// The media of one call. See the module documentation for the order of calls.
#[derive(Debug)]
pub struct Session {
    config: MediaConfig,
    origin: Origin,
    /// The SDP we last sent (offer or answer), to keep the version when nothing changed.
    last_local: Vec<u8>,
    /// The direction of our last offer.
    offered: Direction,
    local_hold: bool,
    muted: bool,
    negotiated: Option<Negotiated>,
    voice: Option<Voice>,
    jitter: JitterBuffer<Received>,
    plc: Concealer,
    noise: ComfortNoise,
    cn_active: bool,
    dtmf_tx: DtmfSender,
    dtmf_rx: DtmfReceiver,
    /// Our SRTP key (when the policy allows SRTP); its `Debug` shows no key.
    key: Option<CryptoAttribute>,
    srtp_tx: Option<Srtp>,
    srtp_rx: Option<Srtp>,

    ssrc: u32,
    cname: String,
    seq: u16,
    timestamp: u32,
    first_packet: bool,
    sent_packets: u32,
    sent_octets: u32,
    sent_since_report: bool,

    remote_ssrc: Option<u32>,
    rx: ReceiveStats,
    latched_rtp: Option<(SocketAddr, Instant)>,
    latched_rtcp: Option<SocketAddr>,
    /// The far end's last SR: its NTP middle bits and when it arrived.
    last_sr: Option<(u32, Instant)>,
    rtt: Option<Duration>,
    ntp: NtpClock,
    start: Instant,
    /// When media was last heard, or when we started expecting it.
    heard_at: Instant,
    no_media_reported: u32,
    silent_since: Option<Instant>,
    silence_reported: bool,
    rtcp_jitter: u64,

    next_tick: Instant,
    next_rtcp: Instant,
    capture: VecDeque<i16>,
    playback: VecDeque<Vec<i16>>,
    transmits: VecDeque<MediaTransmit>,
    events: VecDeque<MediaEvent>,
}

impl Session {
    fn new(now: Instant, config: MediaConfig, rng: &mut impl RngCore) -> Self {
        let kind = config.codecs.first().copied().unwrap_or(CodecKind::Pcmu);
        let jitter = JitterBuffer::new(jitter_config(&config, kind, config.ptime()));
        let key = (config.srtp != SrtpPolicy::Off).then(|| {
            let mut key_salt = [0u8; KEY_SALT_LEN];
            rng.fill_bytes(&mut key_salt);
            let key = CryptoAttribute::new(1, SrtpSuite::AesCm128HmacSha1_80, key_salt);
            key_salt.zeroize();
            key
        });
        Self {
            key,
            srtp_tx: None,
            srtp_rx: None,
            origin: Origin {
                session_id: rng.next_u64() >> 2,
                version: 1,
            },
            last_local: Vec::new(),
            offered: Direction::SendRecv,
            local_hold: false,
            muted: false,
            negotiated: None,
            voice: None,
            jitter,
            plc: Concealer::new(kind.sample_rate()),
            noise: ComfortNoise::new(rng.next_u64()),
            cn_active: false,
            dtmf_tx: DtmfSender::default(),
            dtmf_rx: DtmfReceiver::default(),
            ssrc: rng.next_u32(),
            cname: format!("{:016x}@voicelamp", rng.next_u64()),
            seq: rng.next_u32() as u16,
            timestamp: rng.next_u32(),
            first_packet: true,
            sent_packets: 0,
            sent_octets: 0,
            sent_since_report: false,
            remote_ssrc: None,
            rx: ReceiveStats::default(),
            latched_rtp: None,
            latched_rtcp: None,
            last_sr: None,
            rtt: None,
            ntp: NtpClock::new(now),
            start: now,
            heard_at: now,
            no_media_reported: 0,
            silent_since: None,
            silence_reported: false,
            rtcp_jitter: rng.next_u64(),
            next_tick: now + Duration::from_millis(u64::from(config.ptime())),
            next_rtcp: now + Duration::from_millis(2500),
            capture: VecDeque::new(),
            playback: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            config,
        }
    }

    /// A session that calls: returns it and our SDP offer.
    pub fn offer(now: Instant, config: MediaConfig, rng: &mut impl RngCore) -> (Session, Vec<u8>) {
        let mut s = Session::new(now, config, rng);
        let sdp = s.make_offer();
        (s, sdp)
    }

    /// A session that answers the far end's offer: returns it and our SDP answer, or why the
    /// offer cannot be answered ([`MediaError::NoCommonCodec`] is SIP 488).
    pub fn answer(
        now: Instant,
        config: MediaConfig,
        offer: &[u8],
        rng: &mut impl RngCore,
    ) -> Result<(Session, Vec<u8>), MediaError> {
        let mut s = Session::new(now, config, rng);
        let sdp = s.answer_offer(now, offer)?;
        Ok((s, sdp))
    }

    /// Takes the far end's answer to our last offer (in a 18x for early media, or the 2xx).
    pub fn set_answer(&mut self, now: Instant, answer: &[u8]) -> Result<(), MediaError> {
        let sdp = SessionDescription::parse(answer).map_err(MediaError::BadSdp)?;
        let n = negotiate::settle(&self.config, &sdp, self.offered, self.key.as_ref())?;
        self.apply(now, n);
        Ok(())
    }

    /// Answers a new offer from the far end in the call (hold, unhold, codec change).
    pub fn reoffer(&mut self, now: Instant, offer: &[u8]) -> Result<Vec<u8>, MediaError> {
        self.answer_offer(now, offer)
    }

    /// Puts the call on hold or takes it off; returns our new offer for a re-INVITE. Audio stops
    /// both ways at once; the answer comes back through [`Session::set_answer`].
    pub fn set_hold(&mut self, _now: Instant, hold: bool) -> Vec<u8> {
        self.local_hold = hold;
        self.make_offer()
    }

    /// Whether we hold the call.
    pub fn on_hold(&self) -> bool {
        self.local_hold
    }

    /// Mutes the microphone: silence is sent instead.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    /// Sends a key press (`0`–`9`, `*`, `#`, `A`–`D`) as RFC 4733 events when the far end takes
    /// them; otherwise says to use SIP INFO.
    pub fn send_dtmf(&mut self, _now: Instant, digit: char) -> DtmfRoute {
        match &self.negotiated {
            Some(n) if n.dtmf_payload_type.is_some() => {
                if !self.dtmf_tx.push(digit) {
                    tracing::debug!("key not sent: not a DTMF key or too many waiting");
                }
                DtmfRoute::Rfc4733
            }
            _ => DtmfRoute::NeedsInfo,
        }
    }

    /// Sample rate of captured and played samples.
    pub fn sample_rate(&self) -> u32 {
        self.codec().sample_rate()
    }

    /// The codec in use (before an answer, the first we offer).
    pub fn codec(&self) -> CodecKind {
        self.negotiated.as_ref().map_or_else(
            || {
                self.config
                    .codecs
                    .first()
                    .copied()
                    .unwrap_or(CodecKind::Pcmu)
            },
            |n| n.codec,
        )
    }

    /// Receive figures so far.
    pub fn quality(&self) -> CallQuality {
        let clock = self.codec().rtp_clock_rate();
        CallQuality {
            jitter_ms: self.rx.jitter() as f32 * 1000.0 / clock as f32,
            loss_percent: self.rx.loss_percent(),
            rtt_ms: self
                .rtt
                .map(|d| d.as_millis().min(u128::from(u32::MAX)) as u32),
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<MediaTransmit> {
        self.transmits.pop_front()
    }

    /// The next frame to play (one packet time at [`Session::sample_rate`]).
    pub fn poll_playback(&mut self) -> Option<Vec<i16>> {
        self.playback.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// When to call `handle_input(Timeout)`: the next tick or RTCP report, whichever is first.
    pub fn poll_timeout(&self) -> Option<Instant> {
        Some(self.next_tick.min(self.next_rtcp))
    }

    /// Takes one input; then drain the `poll_*` outputs.
    pub fn handle_input(&mut self, now: Instant, input: MediaInput<'_>) {
        match input {
            MediaInput::Packet { from, bytes } => self.on_packet(now, from, bytes),
            MediaInput::Captured(samples) => self.on_captured(samples),
            MediaInput::Timeout => self.on_timeout(now),
        }
    }

    fn want(&self) -> Direction {
        if self.local_hold {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        }
    }

    fn make_offer(&mut self) -> Vec<u8> {
        self.offered = self.want();
        let sdp =
            negotiate::offer(&self.config, self.origin, self.offered, self.key.as_ref()).to_bytes();
        self.remember_local(sdp, |s| {
            negotiate::offer(&s.config, s.origin, s.offered, s.key.as_ref()).to_bytes()
        })
    }

    fn answer_offer(&mut self, now: Instant, offer: &[u8]) -> Result<Vec<u8>, MediaError> {
        let sdp = SessionDescription::parse(offer).map_err(MediaError::BadSdp)?;
        let want = self.want();
        let (n, answer) =
            negotiate::answer(&self.config, &sdp, self.origin, want, self.key.as_ref())?;
        self.apply(now, n);
        let bytes = answer.to_bytes();
        Ok(self.remember_local(bytes, |s| {
            negotiate::answer(&s.config, &sdp, s.origin, want, s.key.as_ref())
                .map(|(_, a)| a.to_bytes())
                .unwrap_or_default()
        }))
    }

    /// Keeps the `o=` version when the SDP is what we sent last, else increments it
    /// (RFC 3264 §8) and rebuilds with `make`.
    fn remember_local(&mut self, sdp: Vec<u8>, make: impl Fn(&Self) -> Vec<u8>) -> Vec<u8> {
        let sdp = if self.last_local.is_empty() || self.last_local == sdp {
            sdp
        } else {
            self.origin.version += 1;
            make(self)
        };
        self.last_local.clone_from(&sdp);
        sdp
    }

    /// Puts a negotiation into effect, keeping our stream (SSRC, sequence, timestamps).
    fn apply(&mut self, now: Instant, mut n: Negotiated) {
        if n.codec == CodecKind::Opus {
            // The Opus encoder makes 20 ms frames.
            n.ptime = 20;
        }
        let changed = self
            .negotiated
            .as_ref()
            .is_none_or(|old| old.codec != n.codec || old.ptime != n.ptime);
        if changed {
            self.voice = Voice::new(n.codec);
            self.jitter = JitterBuffer::new(jitter_config(&self.config, n.codec, n.ptime));
            self.plc = Concealer::new(n.codec.sample_rate());
            self.capture.clear();
        }
        if self.negotiated.as_ref().map(|o| o.remote_rtp) != Some(n.remote_rtp) {
            // A new address from signaling: send there until packets show otherwise.
            self.latched_rtp = None;
            self.latched_rtcp = None;
        }
        if !self
            .negotiated
            .as_ref()
            .is_some_and(|o| o.direction.receives())
        {
            self.heard_at = now;
            self.no_media_reported = 0;
        }
        if self.negotiated.as_ref().map(|o| &o.crypto) != Some(&n.crypto) {
            // New keys (or none): fresh contexts; the same keys keep their rollover counters.
            self.srtp_tx = n.crypto.as_ref().map(|(ours, _)| ours.srtp());
            self.srtp_rx = n.crypto.as_ref().map(|(_, theirs)| theirs.srtp());
        }
        self.negotiated = Some(n);
    }

    /// Whether media is encrypted (SRTP).
    pub fn encrypted(&self) -> bool {
        self.srtp_tx.is_some()
    }

    fn push_transmit(&mut self, t: MediaTransmit) {
        if self.transmits.len() >= MAX_TRANSMITS {
            self.transmits.pop_front();
        }
        self.transmits.push_back(t);
    }

    fn push_event(&mut self, e: MediaEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push_back(e);
        }
    }

    fn push_playback(&mut self, frame: Vec<i16>) {
        if self.playback.len() >= MAX_PLAYBACK {
            self.playback.pop_front();
        }
        self.playback.push_back(frame);
    }
}

fn jitter_config(config: &MediaConfig, kind: CodecKind, ptime: u32) -> JitterConfig {
    JitterConfig::new(
        kind.rtp_clock_rate(),
        ptime,
        config.jitter_min_ms,
        config.jitter_max_ms,
    )
}

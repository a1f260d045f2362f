//! What happens on each input: packets received, samples captured, the packet-time tick and
//! the RTCP report.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{Received, Session};
use crate::jitter::Playout;
use crate::rtcp::{self, RtcpPacket, SenderInfo};
use crate::rtp::{self, RtpHeader};
use crate::stats::{self, ReceiveStats};
use crate::{MediaEvent, MediaTransmit, cn};

/// Ticks run at most this many at once after a late wake-up; beyond, the clock resyncs.
const MAX_CATCH_UP: u32 = 10;
/// RTCP report interval (randomised by ±1 s, RFC 3550 §6.2).
const RTCP_INTERVAL: Duration = Duration::from_secs(5);
/// Silence (RMS below this) for [`SILENT_AFTER`] is reported as [`MediaEvent::FarEndSilent`].
const SILENT_RMS: f64 = 30.0;
const SILENT_AFTER: Duration = Duration::from_secs(10);
/// No packet for this long (and each multiple) is reported as [`MediaEvent::NoMedia`].
const NO_MEDIA_STEP: Duration = Duration::from_secs(5);
/// A latched source is given up for another after this long without a packet from it.
const RELATCH_AFTER: Duration = Duration::from_secs(1);
/// Largest payload taken into the jitter buffer (60 ms of 48 kHz 16-bit audio is less).
const MAX_PAYLOAD: usize = 1500;

impl Session {
    pub(super) fn frame_samples(&self) -> usize {
        let ptime = self
            .negotiated
            .as_ref()
            .map_or(self.config.ptime(), |n| n.ptime);
        (self.sample_rate() * ptime / 1000) as usize
    }

    fn frame_rtp_units(&self) -> u32 {
        let ptime = self
            .negotiated
            .as_ref()
            .map_or(self.config.ptime(), |n| n.ptime);
        self.codec().rtp_clock_rate() * ptime / 1000
    }

    fn tick_period(&self) -> Duration {
        let ptime = self
            .negotiated
            .as_ref()
            .map_or(self.config.ptime(), |n| n.ptime);
        Duration::from_millis(u64::from(ptime))
    }

    pub(super) fn on_captured(&mut self, samples: &[i16]) {
        let bound = 3 * self.frame_samples();
        let samples = &samples[samples.len().saturating_sub(bound)..];
        self.capture.extend(samples);
        while self.capture.len() > bound {
            self.capture.pop_front();
        }
    }

    pub(super) fn on_timeout(&mut self, now: Instant) {
        let mut ticks = 0;
        while self.next_tick <= now {
            if ticks == MAX_CATCH_UP {
                self.next_tick = now + self.tick_period();
                break;
            }
            let at = self.next_tick;
            self.tick(at);
            self.next_tick = at + self.tick_period();
            ticks += 1;
        }
        if self.next_rtcp <= now {
            self.send_rtcp(now);
            self.rtcp_jitter ^= self.rtcp_jitter << 13;
            self.rtcp_jitter ^= self.rtcp_jitter >> 7;
            self.rtcp_jitter ^= self.rtcp_jitter << 17;
            let spread = Duration::from_millis(self.rtcp_jitter % 2000);
            self.next_rtcp = now + RTCP_INTERVAL - Duration::from_secs(1) + spread;
        }
    }

    fn rtp_destination(&self) -> Option<SocketAddr> {
        let n = self.negotiated.as_ref()?;
        n.remote_rtp?;
        self.latched_rtp.map(|(a, _)| a).or(n.remote_rtp)
    }

    fn tick(&mut self, now: Instant) {
        let frame = self.frame_samples();
        let units = self.frame_rtp_units();
        let mut pcm: Vec<i16> = (0..frame)
            .map(|_| self.capture.pop_front().unwrap_or(0))
            .collect();
        let sending = !self.local_hold
            && self
                .negotiated
                .as_ref()
                .is_some_and(|n| n.direction.sends());
        if let Some(dest) = self.rtp_destination().filter(|_| sending) {
            self.send_audio_or_event(dest, &mut pcm, units);
        }
        self.timestamp = self.timestamp.wrapping_add(units);
        self.play_tick(now, frame);
        let clock = self.codec().rtp_clock_rate();
        if let Some((digit, duration_ms)) = self.dtmf_rx.on_tick(now, clock) {
            self.push_event(MediaEvent::Dtmf { digit, duration_ms });
        }
    }

    fn send_audio_or_event(&mut self, dest: SocketAddr, pcm: &mut [i16], units: u32) {
        let Some(n) = self.negotiated.as_ref() else {
            return;
        };
        let clock = n.codec.rtp_clock_rate();
        let (marker, pt, timestamp, payload) = match n.dtmf_payload_type.and_then(|pt| {
            self.dtmf_tx
                .on_tick(self.timestamp, units, clock)
                .map(|p| (pt, p))
        }) {
            Some((pt, p)) => (p.marker, pt, p.timestamp, p.payload.to_vec()),
            None => {
                if self.muted {
                    pcm.fill(0);
                }
                let mut out = Vec::with_capacity(pcm.len());
                let Some(voice) = self.voice.as_mut() else {
                    return;
                };
                voice.encode(pcm, &mut out);
                (self.first_packet, n.payload_type, self.timestamp, out)
            }
        };
        self.first_packet = false;
        let header = RtpHeader {
            marker,
            payload_type: pt,
            sequence: self.seq,
            timestamp,
            ssrc: self.ssrc,
        };
        self.seq = self.seq.wrapping_add(1);
        self.sent_packets = self.sent_packets.wrapping_add(1);
        self.sent_octets = self.sent_octets.wrapping_add(payload.len() as u32);
        self.sent_since_report = true;
        let mut bytes = Vec::new();
        rtp::build(&header, &payload, &mut bytes);
        if let Some(tx) = self.srtp_tx.as_mut() {
            match tx.protect_rtp(&bytes) {
                Ok(b) => bytes = b,
                Err(_) => return,
            }
        }
        self.push_transmit(MediaTransmit {
            destination: dest,
            payload: bytes,
            rtcp: false,
        });
    }

    fn play_tick(&mut self, now: Instant, frame: usize) {
        let receiving = !self.local_hold
            && self
                .negotiated
                .as_ref()
                .is_some_and(|n| n.direction.receives());
        let mut out = vec![0i16; frame];
        if !receiving {
            self.heard_at = now;
            self.push_playback(out);
            return;
        }
        let cn_pt = self.negotiated.as_ref().and_then(|n| n.cn_payload_type);
        match self.jitter.pop(now) {
            Playout::Frame { payload, .. } if Some(payload.payload_type) == cn_pt => {
                if let Some(level) = cn::level_of(&payload.data) {
                    self.noise.set_level(level);
                    self.cn_active = true;
                }
                self.noise.fill(&mut out);
            }
            Playout::Frame { payload, .. } => {
                let mut decoded = Vec::with_capacity(frame);
                if let Some(v) = self.voice.as_mut() {
                    v.decode(&payload.data, frame, &mut decoded);
                }
                let n = decoded.len().min(frame);
                out[..n].copy_from_slice(&decoded[..n]);
                self.cn_active = false;
                self.plc.good(&mut out);
                self.watch_silence(now, &out);
            }
            Playout::Missing { .. } if !self.cn_active => {
                let next = self.jitter.fec_source().map(|r| r.data.as_slice());
                let mut own = Vec::with_capacity(frame);
                let by_codec = self
                    .voice
                    .as_mut()
                    .is_some_and(|v| v.conceal(next, frame, &mut own));
                if by_codec {
                    let n = own.len().min(frame);
                    out[..n].copy_from_slice(&own[..n]);
                } else {
                    self.plc.conceal(&mut out);
                }
            }
            Playout::Missing { .. } | Playout::Empty if self.cn_active => self.noise.fill(&mut out),
            Playout::Missing { .. } | Playout::Empty => {}
        }
        self.push_playback(out);
        self.watch_no_media(now);
    }

    fn watch_silence(&mut self, now: Instant, frame: &[i16]) {
        let energy: f64 = frame.iter().map(|&s| f64::from(s).powi(2)).sum();
        let rms = (energy / frame.len().max(1) as f64).sqrt();
        if rms >= SILENT_RMS {
            self.silent_since = None;
            self.silence_reported = false;
            return;
        }
        let since = *self.silent_since.get_or_insert(now);
        if !self.silence_reported && now.saturating_duration_since(since) >= SILENT_AFTER {
            self.silence_reported = true;
            self.push_event(MediaEvent::FarEndSilent);
        }
    }

    fn watch_no_media(&mut self, now: Instant) {
        let quiet = now.saturating_duration_since(self.heard_at);
        let steps = (quiet.as_secs() / NO_MEDIA_STEP.as_secs()) as u32;
        if steps > self.no_media_reported {
            self.no_media_reported = steps;
            self.push_event(MediaEvent::NoMedia {
                for_secs: steps * NO_MEDIA_STEP.as_secs() as u32,
            });
        }
    }

    pub(super) fn on_packet(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        let clear;
        let bytes = match self.srtp_rx.as_mut() {
            Some(rx) => {
                let opened = if rtp::is_rtcp(bytes) {
                    rx.unprotect_rtcp(bytes)
                } else {
                    rx.unprotect_rtp(bytes)
                };
                // Forged, replayed or plain packets on an encrypted stream are dropped.
                let Ok(b) = opened else {
                    return;
                };
                clear = b;
                &clear[..]
            }
            None => bytes,
        };
        if rtp::is_rtcp(bytes) {
            self.on_rtcp(now, from, bytes);
            return;
        }
        let Ok(packet) = rtp::parse(bytes) else {
            return;
        };
        let Some(n) = self.negotiated.as_ref() else {
            return;
        };
        let h = packet.header;
        let is_dtmf = Some(h.payload_type) == n.dtmf_payload_type;
        let is_voice =
            h.payload_type == n.payload_type || Some(h.payload_type) == n.cn_payload_type;
        if !is_dtmf && !is_voice {
            return;
        }
        let clock = n.codec.rtp_clock_rate();
        if self.remote_ssrc != Some(h.ssrc) {
            // A new stream from the far end (first packet, or it restarted).
            self.remote_ssrc = Some(h.ssrc);
            self.rx = ReceiveStats::default();
            self.jitter.reset();
        }
        self.latch(now, from);
        self.heard_at = now;
        self.no_media_reported = 0;
        let arrival = (now.saturating_duration_since(self.start).as_micros() * u128::from(clock)
            / 1_000_000) as u32;
        self.rx.on_packet(h.sequence, h.timestamp, arrival);
        if is_dtmf {
            if let Some((digit, duration_ms)) =
                self.dtmf_rx
                    .on_packet(now, h.timestamp, packet.payload, clock)
            {
                self.push_event(MediaEvent::Dtmf { digit, duration_ms });
            }
            return;
        }
        if packet.payload.len() > MAX_PAYLOAD {
            return;
        }
        let received = Received {
            payload_type: h.payload_type,
            data: packet.payload.to_vec(),
        };
        self.jitter
            .push(now, h.sequence, h.timestamp, received, h.marker);
    }

    /// Symmetric RTP: send to where the far end's packets come from, once they arrive.
    fn latch(&mut self, now: Instant, from: SocketAddr) {
        match self.latched_rtp {
            Some((addr, _)) if addr == from => self.latched_rtp = Some((from, now)),
            Some((_, last)) if now.saturating_duration_since(last) < RELATCH_AFTER => {}
            _ => {
                if self.latched_rtp.is_some() {
                    tracing::debug!("the far end's media now comes from another address");
                }
                self.latched_rtp = Some((from, now));
            }
        }
    }

    fn on_rtcp(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        let Some(n) = self.negotiated.as_ref() else {
            return;
        };
        let Ok(packets) = rtcp::parse_compound(bytes) else {
            return;
        };
        // Reports go back where the far end's come from, if that is the host its media (or its
        // SDP) is at: a stranger's packet does not redirect them.
        let host = self
            .latched_rtp
            .map(|(a, _)| a.ip())
            .or(n.remote_rtcp.map(|a| a.ip()));
        if host.is_none_or(|ip| ip == from.ip()) {
            self.latched_rtcp = Some(from);
        }
        for p in packets {
            let blocks = match p {
                RtcpPacket::SenderReport { info, blocks, .. } => {
                    self.last_sr = Some(((info.ntp >> 16) as u32, now));
                    blocks
                }
                RtcpPacket::ReceiverReport { blocks, .. } => blocks,
                _ => continue,
            };
            for b in blocks.iter().filter(|b| b.ssrc == self.ssrc) {
                if let Some(rtt) = stats::round_trip(&self.ntp, now, b) {
                    self.rtt = Some(rtt);
                }
            }
        }
    }

    fn send_rtcp(&mut self, now: Instant) {
        let Some(n) = self.negotiated.as_ref() else {
            return;
        };
        let Some(dest) = self.latched_rtcp.or(n.remote_rtcp) else {
            return;
        };
        let sender = self.sent_since_report.then(|| SenderInfo {
            ntp: self.ntp.ntp(now),
            rtp_timestamp: self.timestamp,
            packets: self.sent_packets,
            octets: self.sent_octets,
        });
        self.sent_since_report = false;
        let block = match self.remote_ssrc {
            Some(ssrc) if self.rx.started() => {
                let (lsr, dlsr) = self
                    .last_sr
                    .map_or((0, 0), |(lsr, at)| (lsr, stats::delay_since(at, now)));
                Some(self.rx.report_block(ssrc, lsr, dlsr))
            }
            _ => None,
        };
        let mut bytes = Vec::new();
        rtcp::build_report(
            self.ssrc,
            sender.as_ref(),
            block.as_ref(),
            &self.cname,
            &mut bytes,
        );
        if let Some(tx) = self.srtp_tx.as_mut() {
            match tx.protect_rtcp(&bytes) {
                Ok(b) => bytes = b,
                Err(_) => return,
            }
        }
        self.push_transmit(MediaTransmit {
            destination: dest,
            payload: bytes,
            rtcp: true,
        });
        if self.rx.started() {
            let q = self.quality();
            self.push_event(MediaEvent::Quality(q));
        }
    }
}

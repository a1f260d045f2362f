//! SDP offer/answer (RFC 3264) for one audio stream: what we offer, how we answer an offer,
//! and what an answer to our offer settles.
//!
//! The offer lists our codecs in order of preference with telephone-event (RFC 4733) and CN
//! (RFC 3389), `a=ptime`, `a=rtcp-mux` and the direction (sendonly while we hold the call). An
//! answer keeps the offerer's order and payload type numbers, takes the first codec we both have,
//! rejects every other media section with port 0, and reverses the offerer's direction. An offer
//! with no codec in common is [`MediaError::NoCommonCodec`] (SIP 488). SDES-SRTP `a=crypto`
//! lines are left to the SRTP module; until it is part of the build, encrypted streams are refused.

use std::net::SocketAddr;

use crate::sdp::{Direction, MediaDescription, RtpMap, SessionDescription};
use crate::{CodecKind, MediaConfig, MediaError, SrtpPolicy, cn, voice};

/// Payload type we offer for telephone-event on an 8 kHz clock.
const DTMF_PT_8K: u8 = 101;
/// Payload type we offer for telephone-event on a 48 kHz clock (with Opus).
const DTMF_PT_48K: u8 = 102;

/// What offer/answer settled for the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Negotiated {
    pub(crate) codec: CodecKind,
    pub(crate) payload_type: u8,
    pub(crate) dtmf_payload_type: Option<u8>,
    pub(crate) cn_payload_type: Option<u8>,
    /// Where the far end said to send RTP; `None` while it is on hold (0.0.0.0) or rejected.
    pub(crate) remote_rtp: Option<SocketAddr>,
    /// Where to send RTCP (the RTP address with rtcp-mux, else its `a=rtcp` or port + 1).
    pub(crate) remote_rtcp: Option<SocketAddr>,
    pub(crate) ptime: u32,
    /// What we do: send, receive, both or neither.
    pub(crate) direction: Direction,
}

/// Our own session's identity for `o=` lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub(crate) session_id: u64,
    pub(crate) version: u64,
}

fn codecs(config: &MediaConfig) -> impl Iterator<Item = CodecKind> + '_ {
    let mut seen = Vec::with_capacity(4);
    config.codecs.iter().copied().filter(move |c| {
        voice::available(*c) && !seen.contains(c) && {
            seen.push(*c);
            true
        }
    })
}

fn proto(config: &MediaConfig) -> &'static str {
    // Until the SRTP module is in, only plain RTP is offered.
    let _ = config.srtp;
    "RTP/AVP"
}

fn session(
    config: &MediaConfig,
    origin: Origin,
    media: Vec<MediaDescription>,
) -> SessionDescription {
    let ip = config.local_rtp.ip();
    SessionDescription {
        origin_user: "voicelamp".to_owned(),
        session_id: origin.session_id,
        session_version: origin.version,
        origin_addr: ip,
        connection: Some(ip),
        direction: None,
        media,
    }
}

fn rtpmap(pt: u8, name: &str, clock: u32, channels: Option<u8>) -> RtpMap {
    RtpMap {
        payload_type: pt,
        name: name.to_owned(),
        clock_rate: clock,
        channels,
    }
}

/// Our offer.
pub(crate) fn offer(
    config: &MediaConfig,
    origin: Origin,
    direction: Direction,
) -> SessionDescription {
    let mut m = MediaDescription {
        media: "audio".to_owned(),
        port: config.local_rtp.port(),
        proto: proto(config).to_owned(),
        ptime: Some(config.ptime()),
        direction: Some(direction),
        rtcp_mux: true,
        ..MediaDescription::default()
    };
    let mut clocks = Vec::new();
    for c in codecs(config) {
        let pt = c.default_payload_type();
        m.formats.push(pt);
        m.rtpmaps.push(rtpmap(
            pt,
            c.encoding_name(),
            c.rtp_clock_rate(),
            c.sdp_channels(),
        ));
        if c == CodecKind::Opus {
            m.fmtps.push((pt, "useinbandfec=1".to_owned()));
        }
        if !clocks.contains(&c.rtp_clock_rate()) {
            clocks.push(c.rtp_clock_rate());
        }
    }
    for clock in clocks {
        let pt = if clock == 48_000 {
            DTMF_PT_48K
        } else {
            DTMF_PT_8K
        };
        m.formats.push(pt);
        m.rtpmaps.push(rtpmap(pt, "telephone-event", clock, None));
        m.fmtps.push((pt, "0-16".to_owned()));
    }
    m.formats.push(cn::CN_PAYLOAD_TYPE);
    m.rtpmaps
        .push(rtpmap(cn::CN_PAYLOAD_TYPE, "CN", 8000, None));
    session(config, origin, vec![m])
}

/// The codec a payload type names in a media section.
fn codec_of(m: &MediaDescription, pt: u8) -> Option<CodecKind> {
    match m.rtpmap(pt) {
        Some(r) => CodecKind::from_rtpmap(&r.name, r.clock_rate),
        None => CodecKind::from_static(pt),
    }
}

fn event_pt(m: &MediaDescription, clock: u32) -> Option<u8> {
    m.formats.iter().copied().find(|&pt| {
        m.rtpmap(pt).is_some_and(|r| {
            r.name.eq_ignore_ascii_case("telephone-event") && r.clock_rate == clock
        })
    })
}

fn cn_pt(m: &MediaDescription, clock: u32) -> Option<u8> {
    m.formats.iter().copied().find(|&pt| match m.rtpmap(pt) {
        Some(r) => r.name.eq_ignore_ascii_case("CN") && r.clock_rate == clock,
        None => pt == cn::CN_PAYLOAD_TYPE && clock == 8000,
    })
}

fn remote(
    sdp: &SessionDescription,
    m: &MediaDescription,
    mux: bool,
) -> (Option<SocketAddr>, Option<SocketAddr>) {
    let addr = sdp.connection_of(m);
    match addr {
        Some(ip) if !ip.is_unspecified() && m.port != 0 => {
            let rtcp_port = if mux {
                m.port
            } else {
                m.rtcp_port.unwrap_or(m.port.wrapping_add(1))
            };
            (
                Some(SocketAddr::new(ip, m.port)),
                Some(SocketAddr::new(ip, rtcp_port)),
            )
        }
        _ => (None, None),
    }
}

fn is_rtp(proto: &str) -> bool {
    matches!(proto, "RTP/AVP" | "RTP/AVPF" | "RTP/SAVP" | "RTP/SAVPF")
}

/// Answers an offer: what is settled and our answer.
pub(crate) fn answer(
    config: &MediaConfig,
    offer: &SessionDescription,
    origin: Origin,
    want: Direction,
) -> Result<(Negotiated, SessionDescription), MediaError> {
    let audio: Vec<usize> = (0..offer.media.len())
        .filter(|&i| offer.media[i].media == "audio" && offer.media[i].port != 0)
        .collect();
    if audio.is_empty() {
        return Err(MediaError::NoAudio);
    }
    let plain: Vec<usize> = audio
        .iter()
        .copied()
        .filter(|&i| matches!(offer.media[i].proto.as_str(), "RTP/AVP" | "RTP/AVPF"))
        .collect();
    if plain.is_empty() {
        return Err(if audio.iter().any(|&i| is_rtp(&offer.media[i].proto)) {
            MediaError::SrtpRequired
        } else {
            MediaError::NoCommonCodec
        });
    }
    if config.srtp == SrtpPolicy::Require {
        return Err(MediaError::SrtpRefused);
    }
    let ours: Vec<CodecKind> = codecs(config).collect();
    let chosen = plain.iter().find_map(|&i| {
        let m = &offer.media[i];
        m.formats.iter().find_map(|&pt| {
            codec_of(m, pt)
                .filter(|c| ours.contains(c))
                .map(|c| (i, pt, c))
        })
    });
    let Some((index, pt, codec)) = chosen else {
        return Err(MediaError::NoCommonCodec);
    };
    let m = &offer.media[index];
    let clock = codec.rtp_clock_rate();
    let dtmf = event_pt(m, clock);
    let cn = cn_pt(m, clock);
    let (remote_rtp, remote_rtcp) = remote(offer, m, m.rtcp_mux);
    let direction = offer.direction_of(m).reversed().intersect(want);
    let ptime = m.ptime.map_or(config.ptime(), |p| p.clamp(10, 60));
    let mut media = Vec::with_capacity(offer.media.len());
    for (i, om) in offer.media.iter().enumerate() {
        if i != index {
            media.push(MediaDescription {
                media: om.media.clone(),
                port: 0,
                proto: om.proto.clone(),
                formats: om.formats.first().copied().into_iter().collect(),
                ..MediaDescription::default()
            });
            continue;
        }
        let mut a = MediaDescription {
            media: "audio".to_owned(),
            port: config.local_rtp.port(),
            proto: om.proto.clone(),
            formats: vec![pt],
            ptime: Some(ptime),
            direction: Some(direction),
            rtcp_mux: om.rtcp_mux,
            ..MediaDescription::default()
        };
        a.rtpmaps.push(rtpmap(
            pt,
            codec.encoding_name(),
            clock,
            codec.sdp_channels(),
        ));
        if let Some(f) = om.fmtp(pt).filter(|_| codec == CodecKind::Opus) {
            a.fmtps.push((pt, f.to_owned()));
        }
        if let Some(d) = dtmf {
            a.formats.push(d);
            a.rtpmaps.push(rtpmap(d, "telephone-event", clock, None));
            a.fmtps.push((d, "0-16".to_owned()));
        }
        if let Some(c) = cn {
            a.formats.push(c);
            a.rtpmaps.push(rtpmap(c, "CN", clock, None));
        }
        media.push(a);
    }
    let negotiated = Negotiated {
        codec,
        payload_type: pt,
        dtmf_payload_type: dtmf,
        cn_payload_type: cn,
        remote_rtp,
        remote_rtcp,
        ptime,
        direction,
    };
    Ok((negotiated, session(config, origin, media)))
}

/// What an answer to our offer settles; `offered` is the direction we offered.
pub(crate) fn settle(
    config: &MediaConfig,
    answer: &SessionDescription,
    offered: Direction,
) -> Result<Negotiated, MediaError> {
    let m = answer.media.first().ok_or(MediaError::NoAudio)?;
    if m.media != "audio" {
        return Err(MediaError::NoAudio);
    }
    if m.port == 0 {
        return Err(MediaError::NoCommonCodec);
    }
    if !matches!(m.proto.as_str(), "RTP/AVP" | "RTP/AVPF") {
        return Err(MediaError::SrtpRequired);
    }
    let ours: Vec<CodecKind> = codecs(config).collect();
    let (pt, codec) = m
        .formats
        .iter()
        .find_map(|&pt| {
            codec_of(m, pt)
                .filter(|c| ours.contains(c))
                .map(|c| (pt, c))
        })
        .ok_or(MediaError::NoCommonCodec)?;
    let clock = codec.rtp_clock_rate();
    let (remote_rtp, remote_rtcp) = remote(answer, m, m.rtcp_mux);
    Ok(Negotiated {
        codec,
        payload_type: pt,
        dtmf_payload_type: event_pt(m, clock),
        cn_payload_type: cn_pt(m, clock),
        remote_rtp,
        remote_rtcp,
        ptime: m.ptime.map_or(config.ptime(), |p| p.clamp(10, 60)),
        direction: answer.direction_of(m).reversed().intersect(offered),
    })
}

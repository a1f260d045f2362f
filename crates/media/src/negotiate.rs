//! SDP offer/answer (RFC 3264) for one audio stream: what we offer, how we answer an offer,
//! and what an answer to our offer settles.
//!
//! The offer lists our codecs in order of preference with telephone-event (RFC 4733) and CN
//! (RFC 3389), `a=ptime`, `a=rtcp-mux` and the direction (sendonly while we hold the call). An
//! answer keeps the offerer's order and payload type numbers, takes the first codec we both have,
//! rejects every other media section with port 0, and reverses the offerer's direction. An offer
//! with no codec in common is [`MediaError::NoCommonCodec`] (SIP 488).
//!
//! SDES-SRTP (RFC 4568) follows [`SrtpPolicy`]: `Off` never writes `a=crypto` and refuses
//! `RTP/SAVP`; `Offer` offers `RTP/AVP` with a key (best effort: plain RTP if the far end answers
//! without one); `Require` offers `RTP/SAVP` and refuses a peer without keys. The caller chooses
//! `Offer` or `Require` only when the signaling is TLS, since the keys travel in the SDP.

use std::net::SocketAddr;

use crate::sdp::{Direction, MediaDescription, RtpMap, SessionDescription};
use crate::srtp::CryptoAttribute;
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
    /// SRTP keys when the stream is encrypted: ours (what we send), the far end's.
    pub(crate) crypto: Option<(CryptoAttribute, CryptoAttribute)>,
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
    match config.srtp {
        SrtpPolicy::Require => "RTP/SAVP",
        SrtpPolicy::Off | SrtpPolicy::Offer => "RTP/AVP",
    }
}

/// Our key for a stream the far end keys with `theirs`: the same tag and suite.
fn our_key(ours: &CryptoAttribute, theirs: &CryptoAttribute) -> CryptoAttribute {
    let mut key = ours.clone();
    key.tag = theirs.tag;
    key.suite = theirs.suite;
    key.mki = None;
    key.lifetime = None;
    key
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

/// Our offer; `key` is written as `a=crypto` when the policy allows SRTP.
pub(crate) fn offer(
    config: &MediaConfig,
    origin: Origin,
    direction: Direction,
    key: Option<&CryptoAttribute>,
) -> SessionDescription {
    let mut m = MediaDescription {
        media: "audio".to_owned(),
        port: config.local_rtp.port(),
        proto: proto(config).to_owned(),
        ptime: Some(config.ptime()),
        direction: Some(direction),
        rtcp_mux: true,
        crypto: key
            .filter(|_| config.srtp != SrtpPolicy::Off)
            .map(CryptoAttribute::to_sdp_value)
            .into_iter()
            .collect(),
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

/// Answers an offer: what is settled and our answer; `key` is our SRTP key (when allowed).
pub(crate) fn answer(
    config: &MediaConfig,
    offer: &SessionDescription,
    origin: Origin,
    want: Direction,
    key: Option<&CryptoAttribute>,
) -> Result<(Negotiated, SessionDescription), MediaError> {
    let audio: Vec<usize> = (0..offer.media.len())
        .filter(|&i| offer.media[i].media == "audio" && offer.media[i].port != 0)
        .collect();
    if audio.is_empty() {
        return Err(MediaError::NoAudio);
    }
    // Streams we may take, each with the far end's key when it is encrypted.
    let srtp_on = config.srtp != SrtpPolicy::Off && key.is_some();
    let usable: Vec<(usize, Option<CryptoAttribute>)> = audio
        .iter()
        .filter_map(|&i| {
            let m = &offer.media[i];
            let theirs = srtp_on
                .then(|| CryptoAttribute::choose(m.crypto.iter().map(String::as_str)))
                .flatten();
            let plain = matches!(m.proto.as_str(), "RTP/AVP" | "RTP/AVPF");
            match theirs {
                Some(k) if is_rtp(&m.proto) => Some((i, Some(k))),
                None if plain && config.srtp != SrtpPolicy::Require => Some((i, None)),
                _ => None,
            }
        })
        .collect();
    if usable.is_empty() {
        return Err(if config.srtp == SrtpPolicy::Require {
            MediaError::SrtpRefused
        } else if audio.iter().any(|&i| is_rtp(&offer.media[i].proto)) {
            MediaError::SrtpRequired
        } else {
            MediaError::NoCommonCodec
        });
    }
    let ours: Vec<CodecKind> = codecs(config).collect();
    let chosen = usable.iter().find_map(|(i, k)| {
        let m = &offer.media[*i];
        m.formats.iter().find_map(|&pt| {
            codec_of(m, pt)
                .filter(|c| ours.contains(c))
                .map(|c| (*i, pt, c, k.clone()))
        })
    });
    let Some((index, pt, codec, theirs)) = chosen else {
        return Err(MediaError::NoCommonCodec);
    };
    let crypto = theirs.and_then(|t| key.map(|k| (our_key(k, &t), t)));
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
            crypto: crypto.iter().map(|(k, _)| k.to_sdp_value()).collect(),
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
        crypto,
    };
    Ok((negotiated, session(config, origin, media)))
}

/// What an answer to our offer settles; `offered` is the direction we offered.
pub(crate) fn settle(
    config: &MediaConfig,
    answer: &SessionDescription,
    offered: Direction,
    key: Option<&CryptoAttribute>,
) -> Result<Negotiated, MediaError> {
    let m = answer.media.first().ok_or(MediaError::NoAudio)?;
    if m.media != "audio" {
        return Err(MediaError::NoAudio);
    }
    if m.port == 0 {
        return Err(MediaError::NoCommonCodec);
    }
    // The far end's key, for the line we offered (same tag and suite).
    let key = key.filter(|_| config.srtp != SrtpPolicy::Off);
    let theirs = key
        .and_then(|_| CryptoAttribute::choose(m.crypto.iter().map(String::as_str)))
        .filter(|t| key.is_some_and(|k| k.tag == t.tag && k.suite == t.suite));
    let plain = matches!(m.proto.as_str(), "RTP/AVP" | "RTP/AVPF");
    match &theirs {
        None if !plain && is_rtp(&m.proto) => return Err(MediaError::SrtpRequired),
        None if !plain => return Err(MediaError::NoAudio),
        None if config.srtp == SrtpPolicy::Require => return Err(MediaError::SrtpRefused),
        _ => {}
    }
    let crypto = theirs.and_then(|t| key.map(|k| (k.clone(), t)));
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
        crypto,
    })
}

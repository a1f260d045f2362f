//! A small, bounded SDP (RFC 8866) reader and writer for one call's audio.
//!
//! Only what offer/answer needs is kept: the origin, connection addresses, and per media section
//! its port, protocol, formats, `rtpmap`, `fmtp`, `ptime`, direction, `rtcp`, `rtcp-mux` and
//! `crypto`. Other lines are skipped. Input is bounded ([`MAX_SDP_BYTES`], [`MAX_MEDIA`],
//! [`MAX_FORMATS`], [`MAX_ATTRIBUTES`]) and any bytes give a value or an error, never a panic.

use std::fmt::Write as _;
use std::net::IpAddr;

/// Largest SDP accepted.
pub const MAX_SDP_BYTES: usize = 16 * 1024;
/// Most media sections accepted.
pub const MAX_MEDIA: usize = 8;
/// Most formats kept per media section.
pub const MAX_FORMATS: usize = 32;
/// Most attributes kept per media section (rtpmap, fmtp and crypto lines together).
pub const MAX_ATTRIBUTES: usize = 64;

/// The direction attribute of a stream (RFC 3264 §5.1), from its sender's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Both ways.
    #[default]
    SendRecv,
    /// The writer only sends (it puts the other side on hold).
    SendOnly,
    /// The writer only receives.
    RecvOnly,
    /// Neither way.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sendrecv" => Self::SendRecv,
            "sendonly" => Self::SendOnly,
            "recvonly" => Self::RecvOnly,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }

    /// The same stream seen from the other side.
    pub fn reversed(self) -> Self {
        match self {
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            d => d,
        }
    }

    /// Whether the writer sends.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether the writer receives.
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// Both directions allowed by `self` and by `other`.
    pub fn intersect(self, other: Self) -> Self {
        match (
            self.sends() && other.sends(),
            self.receives() && other.receives(),
        ) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }
}

/// An `a=rtpmap` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// The payload type.
    pub payload_type: u8,
    /// The encoding name as written.
    pub name: String,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// Channels, when given.
    pub channels: Option<u8>,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaDescription {
    /// `audio`, `video`, …
    pub media: String,
    /// The port (0 = the stream is rejected or disabled).
    pub port: u16,
    /// `RTP/AVP`, `RTP/SAVP`, …
    pub proto: String,
    /// Formats (payload types) in order of preference.
    pub formats: Vec<u8>,
    /// Its own `c=` address, if any.
    pub connection: Option<IpAddr>,
    /// `a=rtpmap` entries.
    pub rtpmaps: Vec<RtpMap>,
    /// `a=fmtp` entries: payload type and parameters.
    pub fmtps: Vec<(u8, String)>,
    /// `a=ptime` in milliseconds.
    pub ptime: Option<u32>,
    /// The direction attribute, if given here.
    pub direction: Option<Direction>,
    /// `a=rtcp-mux` present.
    pub rtcp_mux: bool,
    /// `a=rtcp:PORT [IN IP4 ADDR]`.
    pub rtcp_port: Option<u16>,
    /// `a=crypto` values (RFC 4568), as written after the colon.
    pub crypto: Vec<String>,
}

impl MediaDescription {
    /// The `a=rtpmap` entry of a payload type.
    pub fn rtpmap(&self, pt: u8) -> Option<&RtpMap> {
        self.rtpmaps.iter().find(|m| m.payload_type == pt)
    }

    /// The `a=fmtp` parameters of a payload type.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.fmtps
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, s)| s.as_str())
    }
}

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=` user name.
    pub origin_user: String,
    /// `o=` session id.
    pub session_id: u64,
    /// `o=` session version (incremented on each new offer, RFC 3264 §8).
    pub session_version: u64,
    /// `o=` address.
    pub origin_addr: IpAddr,
    /// Session-level `c=` address.
    pub connection: Option<IpAddr>,
    /// Session-level direction attribute.
    pub direction: Option<Direction>,
    /// Media sections.
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// A media section's direction, falling back to the session level, then sendrecv.
    pub fn direction_of(&self, m: &MediaDescription) -> Direction {
        m.direction.or(self.direction).unwrap_or_default()
    }

    /// A media section's connection address, falling back to the session level.
    pub fn connection_of(&self, m: &MediaDescription) -> Option<IpAddr> {
        m.connection.or(self.connection)
    }

    /// Reads an SDP body.
    pub fn parse(bytes: &[u8]) -> Result<Self, &'static str> {
        if bytes.len() > MAX_SDP_BYTES {
            return Err("longer than 16 KiB");
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8")?;
        let mut sdp = SessionDescription {
            origin_user: String::new(),
            session_id: 0,
            session_version: 0,
            origin_addr: IpAddr::from([0, 0, 0, 0]),
            connection: None,
            direction: None,
            media: Vec::new(),
        };
        let (mut saw_version, mut saw_origin) = (false, false);
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let (kind, value) = match line.as_bytes() {
                [k, b'=', ..] => (*k, &line[2..]),
                _ => return Err("a line is not of the form x=value"),
            };
            match kind {
                b'v' => {
                    if value != "0" {
                        return Err("version is not 0");
                    }
                    saw_version = true;
                }
                b'o' => {
                    parse_origin(value, &mut sdp)?;
                    saw_origin = true;
                }
                b'c' => {
                    let addr = parse_connection(value)?;
                    match sdp.media.last_mut() {
                        Some(m) => m.connection = Some(addr),
                        None => sdp.connection = Some(addr),
                    }
                }
                b'm' => {
                    if sdp.media.len() >= MAX_MEDIA {
                        return Err("more than 8 media sections");
                    }
                    sdp.media.push(parse_media(value)?);
                }
                b'a' => parse_attribute(value, &mut sdp)?,
                _ => {}
            }
        }
        if !saw_version || !saw_origin {
            return Err("no v= or o= line");
        }
        Ok(sdp)
    }

    /// Writes the description (CRLF line ends).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::with_capacity(512);
        let ip = |a: &IpAddr| if a.is_ipv4() { "IP4" } else { "IP6" };
        let _ = write!(
            s,
            "v=0\r\no={} {} {} IN {} {}\r\ns=-\r\n",
            self.origin_user,
            self.session_id,
            self.session_version,
            ip(&self.origin_addr),
            self.origin_addr
        );
        if let Some(c) = &self.connection {
            let _ = write!(s, "c=IN {} {c}\r\n", ip(c));
        }
        s.push_str("t=0 0\r\n");
        if let Some(d) = self.direction {
            let _ = write!(s, "a={}\r\n", d.as_str());
        }
        for m in &self.media {
            let _ = write!(s, "m={} {} {}", m.media, m.port, m.proto);
            for f in &m.formats {
                let _ = write!(s, " {f}");
            }
            s.push_str("\r\n");
            if let Some(c) = &m.connection {
                let _ = write!(s, "c=IN {} {c}\r\n", ip(c));
            }
            for r in &m.rtpmaps {
                let _ = write!(s, "a=rtpmap:{} {}/{}", r.payload_type, r.name, r.clock_rate);
                if let Some(ch) = r.channels {
                    let _ = write!(s, "/{ch}");
                }
                s.push_str("\r\n");
            }
            for (pt, f) in &m.fmtps {
                let _ = write!(s, "a=fmtp:{pt} {f}\r\n");
            }
            if let Some(p) = m.ptime {
                let _ = write!(s, "a=ptime:{p}\r\n");
            }
            if let Some(p) = m.rtcp_port {
                let _ = write!(s, "a=rtcp:{p}\r\n");
            }
            if m.rtcp_mux {
                s.push_str("a=rtcp-mux\r\n");
            }
            for c in &m.crypto {
                let _ = write!(s, "a=crypto:{c}\r\n");
            }
            if let Some(d) = m.direction {
                let _ = write!(s, "a={}\r\n", d.as_str());
            }
        }
        s.into_bytes()
    }
}

fn parse_origin(value: &str, sdp: &mut SessionDescription) -> Result<(), &'static str> {
    let f: Vec<&str> = value.split(' ').filter(|s| !s.is_empty()).take(7).collect();
    let [user, id, version, _net, _addr_type, addr] = f[..] else {
        return Err("the o= line does not have six fields");
    };
    sdp.origin_user = user.chars().take(64).collect();
    // Session ids are often larger than 64 bits in the wild; keep what fits.
    sdp.session_id = id.parse().unwrap_or(0);
    sdp.session_version = version
        .parse()
        .map_err(|_| "the o= version is not a number")?;
    sdp.origin_addr = addr.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
    Ok(())
}

fn parse_connection(value: &str) -> Result<IpAddr, &'static str> {
    let f: Vec<&str> = value.split(' ').filter(|s| !s.is_empty()).take(4).collect();
    let [_net, _kind, addr] = f[..] else {
        return Err("the c= line does not have three fields");
    };
    // Multicast "/ttl" suffixes are not for calls; the address before them still reads.
    let addr = addr.split('/').next().unwrap_or(addr);
    addr.parse()
        .map_err(|_| "the c= address is not an IP address")
}

fn parse_media(value: &str) -> Result<MediaDescription, &'static str> {
    let mut f = value.split(' ').filter(|s| !s.is_empty());
    let media = f.next().ok_or("empty m= line")?;
    let port = f.next().ok_or("m= line without a port")?;
    let port = port.split('/').next().unwrap_or(port);
    let port: u16 = port.parse().map_err(|_| "the m= port is not a number")?;
    let proto = f.next().ok_or("m= line without a protocol")?;
    let mut m = MediaDescription {
        media: media.chars().take(16).collect(),
        port,
        proto: proto.chars().take(32).collect(),
        ..MediaDescription::default()
    };
    for fmt in f.take(MAX_FORMATS) {
        // Non-RTP formats (e.g. "webrtc-datachannel") are not ours; skip them.
        if let Ok(pt) = fmt.parse::<u8>()
            && pt < 128
        {
            m.formats.push(pt);
        }
    }
    Ok(m)
}

fn parse_attribute(value: &str, sdp: &mut SessionDescription) -> Result<(), &'static str> {
    let (name, arg) = match value.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (value, None),
    };
    if let Some(d) = Direction::parse(name) {
        match sdp.media.last_mut() {
            Some(m) => m.direction = Some(d),
            None => sdp.direction = Some(d),
        }
        return Ok(());
    }
    let Some(m) = sdp.media.last_mut() else {
        return Ok(());
    };
    let count = m.rtpmaps.len() + m.fmtps.len() + m.crypto.len();
    match (name, arg) {
        ("rtcp-mux", _) => m.rtcp_mux = true,
        ("ptime", Some(a)) => m.ptime = a.trim().parse().ok().filter(|p| (1..=1000).contains(p)),
        ("rtcp", Some(a)) => {
            m.rtcp_port = a.split(' ').next().and_then(|p| p.parse().ok());
        }
        _ if count >= MAX_ATTRIBUTES => {}
        ("rtpmap", Some(a)) => {
            if let Some(r) = parse_rtpmap(a) {
                m.rtpmaps.push(r);
            }
        }
        ("fmtp", Some(a)) => {
            if let Some((pt, params)) = a.split_once(' ')
                && let Ok(pt) = pt.parse::<u8>()
            {
                m.fmtps
                    .push((pt, params.trim().chars().take(256).collect()));
            }
        }
        ("crypto", Some(a)) if a.len() <= 512 => m.crypto.push(a.trim().to_owned()),
        _ => {}
    }
    Ok(())
}

fn parse_rtpmap(a: &str) -> Option<RtpMap> {
    let (pt, rest) = a.split_once(' ')?;
    let payload_type: u8 = pt.parse().ok().filter(|p| *p < 128)?;
    let mut parts = rest.trim().split('/');
    let name: String = parts.next()?.chars().take(32).collect();
    let clock_rate = parts.next()?.parse().ok()?;
    let channels = parts.next().and_then(|c| c.parse().ok());
    Some(RtpMap {
        payload_type,
        name,
        clock_rate,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASTERISK: &str = "v=0\r\no=- 1842 1842 IN IP4 192.0.2.10\r\ns=Asterisk\r\n\
        c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 14006 RTP/AVP 8 0 3 101\r\n\
        a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:3 GSM/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n\
        a=maxptime:150\r\na=sendrecv\r\n";

    #[test]
    fn reads_an_asterisk_offer() {
        let sdp = SessionDescription::parse(ASTERISK.as_bytes()).expect("parses");
        assert_eq!(sdp.session_version, 1842);
        assert_eq!(sdp.connection, Some(IpAddr::from([192, 0, 2, 10])));
        let m = &sdp.media[0];
        assert_eq!((m.port, m.proto.as_str()), (14006, "RTP/AVP"));
        assert_eq!(m.formats, [8, 0, 3, 101]);
        assert_eq!(
            m.rtpmap(101).map(|r| r.name.as_str()),
            Some("telephone-event")
        );
        assert_eq!(m.fmtp(101), Some("0-16"));
        assert_eq!(m.ptime, Some(20));
        assert_eq!(sdp.direction_of(m), Direction::SendRecv);
    }

    #[test]
    fn writes_what_it_reads() {
        let sdp = SessionDescription::parse(ASTERISK.as_bytes()).expect("parses");
        let again = SessionDescription::parse(&sdp.to_bytes()).expect("parses again");
        assert_eq!(sdp, again);
    }

    #[test]
    fn session_level_direction_and_bare_lf_lines() {
        let text = "v=0\no=x 1 2 IN IP6 ::1\ns=-\nc=IN IP6 ::1\nt=0 0\na=inactive\n\
            m=audio 5004 RTP/AVP 0\nm=video 0 RTP/AVP 96\n";
        let sdp = SessionDescription::parse(text.as_bytes()).expect("parses");
        assert_eq!(sdp.media.len(), 2);
        assert_eq!(sdp.direction_of(&sdp.media[0]), Direction::Inactive);
        assert_eq!(sdp.media[1].port, 0);
    }

    #[test]
    fn refuses_what_is_not_sdp() {
        for bad in [
            &b"hello"[..],
            b"v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n",
            b"v=0\r\n",
            b"v=0\r\no=- 1 x IN IP4 1.2.3.4\r\n",
            b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio port RTP/AVP 0\r\n",
            b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 nowhere\r\n",
            &[0xFF, 0xFE][..],
        ] {
            assert!(SessionDescription::parse(bad).is_err(), "{bad:?}");
        }
        let big = vec![b'a'; MAX_SDP_BYTES + 1];
        assert!(SessionDescription::parse(&big).is_err());
    }

    #[test]
    fn bounds_hold_on_hostile_input() {
        let mut text = String::from("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP");
        for pt in 0..100 {
            let _ = write!(text, " {pt}");
        }
        text.push_str("\r\n");
        for pt in 0..200 {
            let _ = write!(text, "a=rtpmap:{} X/8000\r\n", pt % 128);
        }
        let sdp = SessionDescription::parse(text.as_bytes()).expect("parses");
        assert_eq!(sdp.media[0].formats.len(), MAX_FORMATS);
        assert_eq!(sdp.media[0].rtpmaps.len(), MAX_ATTRIBUTES);
        let many =
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n".to_owned() + &"m=audio 1 RTP/AVP 0\r\n".repeat(9);
        assert!(SessionDescription::parse(many.as_bytes()).is_err());
    }

    #[test]
    fn direction_algebra() {
        assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
        assert_eq!(
            Direction::SendRecv.intersect(Direction::RecvOnly),
            Direction::RecvOnly
        );
        assert_eq!(
            Direction::SendOnly.intersect(Direction::RecvOnly),
            Direction::Inactive
        );
    }
}

//! The SDP `a=crypto` attribute (RFC 4568 §9.1):
//! `a=crypto:<tag> <crypto-suite> inline:<base64 key||salt>[|<lifetime>][|<MKI>:<length>] [<session-params>]`.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

use super::Srtp;
use super::keys::{KEY_SALT_LEN, MasterKey, SrtpSuite};

/// The longest `a=crypto` value read; longer ones are refused unread.
const MAX_VALUE_LEN: usize = 512;
/// The most MKI bytes accepted (RFC 4568 allows 128; real offers use 1–4).
pub const MAX_MKI_LEN: usize = 4;
/// The longest lifetime a key may claim: 2^48 packets (RFC 3711's SRTP limit).
const MAX_LIFETIME: u64 = 1 << 48;

/// One `a=crypto` line: what an offer proposes or an answer accepts. Its `Debug` shows no key.
#[derive(Clone, PartialEq, Eq)]
pub struct CryptoAttribute {
    /// The tag that the answer repeats (1–999999999).
    pub tag: u32,
    /// The crypto suite.
    pub suite: SrtpSuite,
    /// The key's lifetime in packets, when given.
    pub lifetime: Option<u64>,
    /// The master key identifier sent in every packet, when given (at most [`MAX_MKI_LEN`] bytes).
    pub mki: Option<Vec<u8>>,
    key: MasterKey,
}

impl std::fmt::Debug for CryptoAttribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CryptoAttribute")
            .field("tag", &self.tag)
            .field("suite", &self.suite)
            .field("lifetime", &self.lifetime)
            .field("mki", &self.mki)
            .field("key", &"hidden")
            .finish()
    }
}

/// Why an `a=crypto` value was not used. Never carries the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The line does not follow RFC 4568's grammar.
    #[error("the a=crypto attribute is malformed ({0})")]
    Malformed(&'static str),
    /// A suite we do not implement (the offer may carry others: try the next line).
    #[error("the a=crypto suite {0} is not supported (only AES_CM_128_HMAC_SHA1_80 and _32)")]
    UnsupportedSuite(String),
    /// A key method, key count, MKI length or session parameter we do not implement.
    #[error("the a=crypto attribute asks for {0}, which is not supported")]
    Unsupported(String),
}

impl CryptoAttribute {
    /// Our offer or answer: `key_salt` must be 30 fresh random bytes.
    pub fn new(tag: u32, suite: SrtpSuite, key_salt: [u8; KEY_SALT_LEN]) -> Self {
        CryptoAttribute {
            tag: tag.clamp(1, 999_999_999),
            suite,
            lifetime: None,
            mki: None,
            key: MasterKey::from_bytes(key_salt),
        }
    }

    /// The answer to an offered line: the same tag and suite, with our own key.
    pub fn answer(offer: &CryptoAttribute, key_salt: [u8; KEY_SALT_LEN]) -> Self {
        CryptoAttribute::new(offer.tag, offer.suite, key_salt)
    }

    /// The first of the offered values (each an `a=crypto` value) that parses with a supported
    /// suite and parameters — the line to answer.
    pub fn choose<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<CryptoAttribute> {
        values
            .into_iter()
            .find_map(|v| CryptoAttribute::parse(v).ok())
    }

    /// The master key (for [`Srtp::new`]).
    pub fn master_key(&self) -> &MasterKey {
        &self.key
    }

    /// A crypto context for this line's key, suite and MKI.
    pub fn srtp(&self) -> Srtp {
        let srtp = Srtp::new(self.suite, &self.key);
        match &self.mki {
            Some(mki) => srtp.with_mki(mki.clone()),
            None => srtp,
        }
    }

    /// The attribute's value for SDP (after `a=crypto:`). It holds the key: it goes into the SDP
    /// body only, never into a log.
    pub fn to_sdp_value(&self) -> String {
        let mut value = format!(
            "{} {} inline:{}",
            self.tag,
            self.suite.name(),
            STANDARD.encode(self.key.key_salt())
        );
        if let Some(mki) = &self.mki {
            let number = mki.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
            value.push_str(&format!("|{number}:{}", mki.len()));
        }
        value
    }

    /// Parses an `a=crypto` value; `a=crypto:` or `crypto:` in front is skipped.
    pub fn parse(value: &str) -> Result<CryptoAttribute, CryptoError> {
        if value.len() > MAX_VALUE_LEN {
            return Err(CryptoError::Malformed("longer than 512 characters"));
        }
        let value = value.trim();
        let value = value.strip_prefix("a=").unwrap_or(value);
        let value = value.strip_prefix("crypto:").unwrap_or(value);
        let mut fields = value.split_ascii_whitespace();
        let tag = fields.next().ok_or(CryptoError::Malformed("no tag"))?;
        if tag.is_empty() || tag.len() > 9 || !tag.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CryptoError::Malformed(
                "the tag is not a number of 1–9 digits",
            ));
        }
        let tag: u32 = tag
            .parse()
            .map_err(|_| CryptoError::Malformed("the tag is not a number"))?;
        let suite_name = fields
            .next()
            .ok_or(CryptoError::Malformed("no crypto suite"))?;
        let suite = SrtpSuite::from_name(suite_name)
            .ok_or_else(|| CryptoError::UnsupportedSuite(bounded(suite_name)))?;
        let key_params = fields
            .next()
            .ok_or(CryptoError::Malformed("no key parameters"))?;
        for param in fields {
            session_param(param)?;
        }
        if key_params.contains(';') {
            return Err(CryptoError::Unsupported("several master keys".into()));
        }
        let (method, info) = key_params
            .split_once(':')
            .ok_or(CryptoError::Malformed("no key method"))?;
        if !method.eq_ignore_ascii_case("inline") {
            return Err(CryptoError::Unsupported(format!(
                "the key method {}",
                bounded(method)
            )));
        }
        let mut parts = info.split('|');
        let key = parts.next().unwrap_or_default();
        let key = decode_key(key)?;
        let (mut lifetime, mut mki) = (None, None);
        for part in parts {
            if part.contains(':') {
                if mki.is_some() {
                    return Err(CryptoError::Malformed("two MKIs"));
                }
                mki = Some(parse_mki(part)?);
            } else {
                if lifetime.is_some() || mki.is_some() {
                    return Err(CryptoError::Malformed("the lifetime is misplaced"));
                }
                lifetime = Some(parse_lifetime(part)?);
            }
        }
        Ok(CryptoAttribute {
            tag,
            suite,
            lifetime,
            mki: mki.flatten(),
            key,
        })
    }
}

fn decode_key(text: &str) -> Result<MasterKey, CryptoError> {
    // 30 bytes are 40 base64 characters; allow padding or none, nothing else.
    if text.len() > 44 {
        return Err(CryptoError::Malformed("the key is not 30 bytes of base64"));
    }
    let mut bytes = if text.ends_with('=') {
        STANDARD.decode(text)
    } else {
        STANDARD_NO_PAD.decode(text)
    }
    .map_err(|_| CryptoError::Malformed("the key is not base64"))?;
    let key = MasterKey::from_slice(&bytes).ok_or(CryptoError::Malformed(
        "the key is not 30 bytes (key and salt)",
    ));
    zeroize::Zeroize::zeroize(&mut bytes);
    key
}

/// `2^N` or a decimal number of packets, at most 2^48.
fn parse_lifetime(text: &str) -> Result<u64, CryptoError> {
    let bad = CryptoError::Malformed("the key lifetime is not 2^N or a number up to 2^48");
    let lifetime = match text.strip_prefix("2^") {
        Some(exp) if exp.len() <= 2 => {
            let exp: u32 = exp.parse().map_err(|_| bad.clone())?;
            1u64.checked_shl(exp).ok_or(bad.clone())?
        }
        Some(_) => return Err(bad),
        None if text.len() <= 15
            && !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit()) =>
        {
            text.parse().map_err(|_| bad.clone())?
        }
        None => return Err(bad),
    };
    if lifetime == 0 || lifetime > MAX_LIFETIME {
        return Err(bad);
    }
    Ok(lifetime)
}

/// `value:length` (length in bytes, 1–[`MAX_MKI_LEN`]); `0:0`-style empty MKIs mean none.
fn parse_mki(text: &str) -> Result<Option<Vec<u8>>, CryptoError> {
    let (value, len) = text
        .split_once(':')
        .ok_or(CryptoError::Malformed("the MKI has no length"))?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(value) || !digits(len) {
        return Err(CryptoError::Malformed("the MKI is not value:length"));
    }
    let len: usize = len
        .parse()
        .map_err(|_| CryptoError::Malformed("the MKI length is not a number"))?;
    if len == 0 {
        return Ok(None);
    }
    if len > MAX_MKI_LEN {
        return Err(CryptoError::Unsupported(format!(
            "an MKI of {len} bytes (at most {MAX_MKI_LEN})"
        )));
    }
    let value: u64 = value
        .parse()
        .map_err(|_| CryptoError::Malformed("the MKI value is too large"))?;
    if len < 8 && value >> (8 * len) != 0 {
        return Err(CryptoError::Malformed(
            "the MKI value does not fit its length",
        ));
    }
    Ok(Some(value.to_be_bytes()[8 - len..].to_vec()))
}

/// Session parameters (RFC 4568 §6.3): those that weaken or change SRTP are refused, like any
/// we do not know; a window size hint or FEC order changes nothing here.
fn session_param(param: &str) -> Result<(), CryptoError> {
    let name = param.split_once('=').map_or(param, |(n, _)| n);
    match name {
        "WSH" | "FEC_ORDER" => Ok(()),
        "KDR" if param == "KDR=0" => Ok(()),
        _ => Err(CryptoError::Unsupported(format!(
            "the session parameter {}",
            bounded(name)
        ))),
    }
}

/// A peer-supplied word, cut short for an error message.
fn bounded(text: &str) -> String {
    text.chars().take(40).filter(|c| !c.is_control()).collect()
}

//! SRTP crypto suites, the master key, and the session keys derived from it (RFC 3711 §4.3,
//! the AES-CM PRF with a key derivation rate of zero), and the AES-CM keystream (§4.1.1).

use aes::Aes128;
use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use zeroize::{Zeroize, ZeroizeOnDrop};

type Aes128Ctr = ctr::Ctr128BE<Aes128>;
pub(crate) type HmacSha1 = Hmac<Sha1>;

/// Master key length (AES-128).
pub const MASTER_KEY_LEN: usize = 16;
/// Master salt length.
pub const MASTER_SALT_LEN: usize = 14;
/// Master key and salt as they travel in `a=crypto` (`inline:` base64 of key || salt).
pub const KEY_SALT_LEN: usize = MASTER_KEY_LEN + MASTER_SALT_LEN;
/// SRTCP's authentication tag length, for both suites (RFC 4568 §6.2).
pub const RTCP_TAG_LEN: usize = 10;

/// The SDES crypto suites supported (RFC 4568 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpSuite {
    /// AES-128 counter mode, HMAC-SHA1 with an 80-bit tag: the one offered.
    AesCm128HmacSha1_80,
    /// The same with a 32-bit SRTP tag (SRTCP keeps 80 bits): accepted when the peer offers it.
    AesCm128HmacSha1_32,
}

impl SrtpSuite {
    /// In the order of preference.
    pub const ALL: [SrtpSuite; 2] = [
        SrtpSuite::AesCm128HmacSha1_80,
        SrtpSuite::AesCm128HmacSha1_32,
    ];

    /// The suite's name in SDP.
    pub fn name(self) -> &'static str {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            SrtpSuite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    /// The suite with this SDP name, if supported.
    pub fn from_name(name: &str) -> Option<Self> {
        SrtpSuite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The SRTP authentication tag length in bytes.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 => 10,
            SrtpSuite::AesCm128HmacSha1_32 => 4,
        }
    }
}

/// A master key and salt. Never printed: its `Debug` says only that it is there, and it is
/// wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey {
    bytes: [u8; KEY_SALT_LEN],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(hidden)")
    }
}

impl MasterKey {
    /// Key || salt, as generated (30 random bytes) or as sent in `a=crypto`.
    pub fn from_bytes(bytes: [u8; KEY_SALT_LEN]) -> Self {
        MasterKey { bytes }
    }

    /// Key || salt from a slice of exactly [`KEY_SALT_LEN`] bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Some(MasterKey {
            bytes: bytes.try_into().ok()?,
        })
    }

    pub(crate) fn key_salt(&self) -> &[u8; KEY_SALT_LEN] {
        &self.bytes
    }

    fn key(&self) -> [u8; MASTER_KEY_LEN] {
        let mut key = [0; MASTER_KEY_LEN];
        key.copy_from_slice(&self.bytes[..MASTER_KEY_LEN]);
        key
    }

    fn salt(&self) -> [u8; MASTER_SALT_LEN] {
        let mut salt = [0; MASTER_SALT_LEN];
        salt.copy_from_slice(&self.bytes[MASTER_KEY_LEN..]);
        salt
    }

    /// The PRF of RFC 3711 §4.3.3 for `label` with key derivation rate 0 (r = 0).
    pub(crate) fn derive(&self, label: u8, out: &mut [u8]) {
        let mut key = self.key();
        let mut iv = [0u8; 16];
        iv[..MASTER_SALT_LEN].copy_from_slice(&self.salt());
        // key_id = label || r (56 bits), right-aligned against the 112-bit salt.
        iv[7] ^= label;
        out.fill(0);
        Aes128Ctr::new(&key.into(), &iv.into()).apply_keystream(out);
        key.zeroize();
        iv.zeroize();
    }
}

/// The keys one direction of RTP or RTCP uses, derived from a master key.
pub(crate) struct SessionKeys {
    cipher_key: [u8; MASTER_KEY_LEN],
    salt: [u8; MASTER_SALT_LEN],
    /// The HMAC keyed with the session auth key; cloned per packet.
    auth: HmacSha1,
}

impl Drop for SessionKeys {
    fn drop(&mut self) {
        self.cipher_key.zeroize();
        self.salt.zeroize();
    }
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(hidden)")
    }
}

/// RFC 3711 §4.3.1 labels.
const LABEL_RTP_CIPHER: u8 = 0x00;
const LABEL_RTP_AUTH: u8 = 0x01;
const LABEL_RTP_SALT: u8 = 0x02;
const LABEL_RTCP_CIPHER: u8 = 0x03;
const LABEL_RTCP_AUTH: u8 = 0x04;
const LABEL_RTCP_SALT: u8 = 0x05;

impl SessionKeys {
    /// The SRTP keys (`rtcp = false`) or the SRTCP keys.
    pub(crate) fn derive(master: &MasterKey, rtcp: bool) -> Self {
        let (c, a, s) = if rtcp {
            (LABEL_RTCP_CIPHER, LABEL_RTCP_AUTH, LABEL_RTCP_SALT)
        } else {
            (LABEL_RTP_CIPHER, LABEL_RTP_AUTH, LABEL_RTP_SALT)
        };
        let mut cipher_key = [0; MASTER_KEY_LEN];
        master.derive(c, &mut cipher_key);
        let mut salt = [0; MASTER_SALT_LEN];
        master.derive(s, &mut salt);
        let mut auth_key = [0u8; 20];
        master.derive(a, &mut auth_key);
        let auth = HmacSha1::new_from_slice(&auth_key).expect("HMAC takes any key length");
        auth_key.zeroize();
        SessionKeys {
            cipher_key,
            salt,
            auth,
        }
    }

    #[cfg(test)]
    pub(crate) fn parts(&self) -> (&[u8], &[u8]) {
        (&self.cipher_key, &self.salt)
    }

    /// XORs `data` with the AES-CM keystream for a packet of `ssrc` at `index`.
    pub(crate) fn apply_keystream(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        apply_keystream(&self.cipher_key, &self.salt, ssrc, index, data);
    }

    /// A fresh HMAC over the session auth key.
    pub(crate) fn mac(&self) -> HmacSha1 {
        self.auth.clone()
    }
}

/// AES-CM (RFC 3711 §4.1.1): IV = (salt · 2^16) ⊕ (SSRC · 2^64) ⊕ (index · 2^16).
pub(crate) fn apply_keystream(
    key: &[u8; MASTER_KEY_LEN],
    salt: &[u8; MASTER_SALT_LEN],
    ssrc: u32,
    index: u64,
    data: &mut [u8],
) {
    let mut iv = [0u8; 16];
    iv[..MASTER_SALT_LEN].copy_from_slice(salt);
    for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, i) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *b ^= i;
    }
    Aes128Ctr::new(key.into(), &iv.into()).apply_keystream(data);
    iv.zeroize();
}

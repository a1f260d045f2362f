//! Digest authentication (RFC 3261 §22, RFC 7616, RFC 8760) for one client: one [`DigestAuth`]
//! per registration or subscription, so its requests are sequential and nonce counts are exact.
//!
//! Challenges are read with `ezk-sip-types`; the answer is computed here rather than by
//! `ezk-sip-auth` 0.5.0, which (read and measured) draws its cnonce from `uuid` (not from a seeded
//! RNG), takes the first supported challenge rather than the strongest, recomputes `auth-int`
//! answers as `auth` when reusing them, hashes `-sess` HA1 wrongly, and retries for as long as
//! the server sends new nonces. Tests cross-check the hashes against `ezk-sip-auth`.
//!
//! Policy: the strongest offered algorithm wins (SHA-512-256 > SHA-256 > MD5, `-sess` variants
//! allowed); qop `auth` is preferred, `auth-int` used when it is the only one offered; a
//! `stale=true` challenge is answered silently (a few times in a row at most); a rejection of a
//! fresh answer without `stale=true` is [`AuthError::WrongCredentials`] and nothing is retried.
//! Whatever their kind (401, 407, stale or fresh nonces), at most [`MAX_CHALLENGES_IN_A_ROW`]
//! challenges are answered for one request; the next one is [`AuthError::TooManyChallenges`],
//! which the caller takes as a failure with its backoff.

use crate::ids;
use crate::message::{Method, Response};
use ezk_sip_types::Name;
use ezk_sip_types::header::typed::{Algorithm, AlgorithmValue, AuthChallenge, QopOption};
use md5::Md5;
use rand_core::RngCore;
use sha2::{Digest, Sha256, Sha512_256};

/// How many `stale=true` challenges in a row are answered before giving up.
pub const MAX_STALE_IN_A_ROW: u32 = 2;
/// How many challenges in a row (401 and 407 alike, until a final response that is not a
/// challenge) are answered: a server that needs both (a proxy and a registrar) and one stale
/// nonce fits; one that alternates them with fresh nonces forever does not.
pub const MAX_CHALLENGES_IN_A_ROW: u32 = 3;
/// Longest nonce, realm or opaque value accepted from a challenge.
pub const MAX_CHALLENGE_FIELD: usize = 512;

/// User name and password for one account.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Authentication user name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Digest hash algorithms, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DigestAlgorithm {
    /// `MD5`.
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256`.
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

impl DigestAlgorithm {
    fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Md5Sess => "MD5-sess",
            Self::Sha256 => "SHA-256",
            Self::Sha256Sess => "SHA-256-sess",
            Self::Sha512_256 => "SHA-512-256",
            Self::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    fn is_sess(self) -> bool {
        matches!(
            self,
            Self::Md5Sess | Self::Sha256Sess | Self::Sha512_256Sess
        )
    }

    fn hash(self, input: &[u8]) -> String {
        fn hex(bytes: &[u8]) -> String {
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
        match self {
            Self::Md5 | Self::Md5Sess => hex(&Md5::digest(input)),
            Self::Sha256 | Self::Sha256Sess => hex(&Sha256::digest(input)),
            Self::Sha512_256 | Self::Sha512_256Sess => hex(&Sha512_256::digest(input)),
        }
    }

    fn from_ezk(algorithm: &Algorithm) -> Option<Self> {
        match algorithm {
            // AKA needs a SIM; not supported.
            Algorithm::AkaNamespace(_) => None,
            Algorithm::AlgorithmValue(value) => match value {
                AlgorithmValue::MD5 => Some(Self::Md5),
                AlgorithmValue::MD5Sess => Some(Self::Md5Sess),
                AlgorithmValue::SHA256 => Some(Self::Sha256),
                AlgorithmValue::SHA256Sess => Some(Self::Sha256Sess),
                AlgorithmValue::SHA512256 => Some(Self::Sha512_256),
                AlgorithmValue::SHA512256Sess => Some(Self::Sha512_256Sess),
                AlgorithmValue::Other(_) => None,
            },
        }
    }
}

/// Quality of protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`.
    Auth,
    /// `auth-int` (the body is part of the hash).
    AuthInt,
}

/// Why authentication cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The 401/407 carried no readable Digest challenge.
    #[error("the server's challenge cannot be read")]
    NoChallenge,
    /// No offered algorithm or qop is supported.
    #[error("the server offers no supported digest algorithm or qop")]
    Unsupported,
    /// The server rejected a fresh answer: the user name or password is wrong.
    #[error("wrong credentials")]
    WrongCredentials,
    /// The server said `stale=true` too many times in a row.
    #[error(
        "the server keeps saying the nonce is stale; check the server's clock and nonce settings"
    )]
    TooManyStale,
    /// The server challenged more than [`MAX_CHALLENGES_IN_A_ROW`] times for one request.
    #[error(
        "the server keeps asking for authentication although every challenge was answered; \
         check the user name and password (and the realm the server expects)"
    )]
    TooManyChallenges,
}

#[derive(Debug, Clone)]
struct Challenge {
    proxy: bool,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: DigestAlgorithm,
    /// Whether the challenge named the algorithm (echoed only then).
    algorithm_named: bool,
    qop: Option<Qop>,
    userhash: bool,
    /// Nonce count of the last answer sent (0: not answered yet).
    nc: u32,
    /// The last request carried an answer with `nc == 1`.
    sent_fresh: bool,
}

/// Digest state of one client.
#[derive(Debug, Clone)]
pub struct DigestAuth {
    credentials: Credentials,
    challenges: Vec<Challenge>,
    stale_in_a_row: u32,
    challenges_in_a_row: u32,
}

impl DigestAuth {
    /// A client with no challenge yet.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            challenges: Vec::new(),
            stale_in_a_row: 0,
            challenges_in_a_row: 0,
        }
    }

    /// The credentials in use.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Whether requests will carry an answer.
    pub fn has_challenge(&self) -> bool {
        !self.challenges.is_empty()
    }

    /// The algorithm in use for the server (`false`) or proxy (`true`) challenge.
    pub fn algorithm(&self, proxy: bool) -> Option<DigestAlgorithm> {
        self.challenges
            .iter()
            .find(|c| c.proxy == proxy)
            .map(|c| c.algorithm)
    }

    /// Call when a request got a final response other than 401/407.
    pub fn on_accepted(&mut self) {
        self.stale_in_a_row = 0;
        self.challenges_in_a_row = 0;
    }

    /// Reads a 401 or 407 response and decides whether to retry with an answer.
    pub fn handle_challenge(&mut self, response: &Response) -> Result<(), AuthError> {
        self.challenges_in_a_row = self.challenges_in_a_row.saturating_add(1);
        if self.challenges_in_a_row > MAX_CHALLENGES_IN_A_ROW {
            // Start the next attempt (after the caller's backoff) from scratch.
            self.challenges.clear();
            self.on_accepted();
            return Err(AuthError::TooManyChallenges);
        }
        let proxy = response.status == 407;
        let name = if proxy {
            Name::PROXY_AUTHENTICATE
        } else {
            Name::WWW_AUTHENTICATE
        };
        let offered = response
            .head
            .headers
            .get::<Vec<AuthChallenge>>(name)
            .map_err(|_| AuthError::NoChallenge)?;
        let mut any_digest = false;
        let mut best: Option<(Challenge, bool)> = None;
        for challenge in offered.into_iter().take(16) {
            let AuthChallenge::Digest(d) = challenge else {
                continue;
            };
            any_digest = true;
            if d.realm.len() > MAX_CHALLENGE_FIELD
                || d.nonce.len() > MAX_CHALLENGE_FIELD
                || d.opaque
                    .as_ref()
                    .is_some_and(|o| o.len() > MAX_CHALLENGE_FIELD)
            {
                continue;
            }
            let Some(algorithm) = DigestAlgorithm::from_ezk(&d.algorithm) else {
                continue;
            };
            let qop = if d.qop.is_empty() {
                None
            } else if d.qop.contains(&QopOption::Auth) {
                Some(Qop::Auth)
            } else if d.qop.contains(&QopOption::AuthInt) {
                Some(Qop::AuthInt)
            } else {
                continue;
            };
            let candidate = Challenge {
                proxy,
                realm: d.realm.to_string(),
                nonce: d.nonce.to_string(),
                opaque: d.opaque.as_ref().map(|o| o.to_string()),
                algorithm,
                algorithm_named: true,
                qop,
                userhash: d.userhash,
                nc: 0,
                sent_fresh: false,
            };
            if best
                .as_ref()
                .is_none_or(|(b, _)| candidate.algorithm > b.algorithm)
            {
                best = Some((candidate, d.stale));
            }
        }
        let (mut chosen, stale) = match best {
            Some(best) => best,
            None if any_digest => return Err(AuthError::Unsupported),
            None => return Err(AuthError::NoChallenge),
        };
        // An absent algorithm parameter means MD5; ezk reports it as MD5 too, so echo only
        // what the server named.
        chosen.algorithm_named = response
            .head
            .header_values(if proxy {
                "Proxy-Authenticate"
            } else {
                "WWW-Authenticate"
            })
            .iter()
            .any(|v| v.to_ascii_lowercase().contains("algorithm"));

        let previous = self.challenges.iter().position(|c| c.proxy == proxy);
        if stale {
            self.stale_in_a_row += 1;
            if self.stale_in_a_row > MAX_STALE_IN_A_ROW {
                return Err(AuthError::TooManyStale);
            }
        } else if let Some(i) = previous {
            let old = &self.challenges[i];
            if old.sent_fresh || old.nonce == chosen.nonce {
                self.challenges.remove(i);
                return Err(AuthError::WrongCredentials);
            }
        }
        if let Some(i) = previous {
            self.challenges.remove(i);
        }
        self.challenges.push(chosen);
        Ok(())
    }

    /// The `Authorization` / `Proxy-Authorization` headers for a request (empty before the
    /// first challenge). Increments the nonce count of each challenge answered.
    pub fn authorize(
        &mut self,
        method: &Method,
        uri: &str,
        body: &[u8],
        rng: &mut dyn RngCore,
    ) -> Vec<(&'static str, String)> {
        let credentials = &self.credentials;
        let mut out = Vec::with_capacity(self.challenges.len());
        for challenge in &mut self.challenges {
            challenge.nc = challenge.nc.saturating_add(1);
            challenge.sent_fresh = challenge.nc == 1;
            let cnonce = ids::hex(rng, 16);
            let value = answer(credentials, challenge, method.as_str(), uri, body, &cnonce);
            let name = if challenge.proxy {
                "Proxy-Authorization"
            } else {
                "Authorization"
            };
            out.push((name, value));
        }
        out
    }
}

/// The `response` value (RFC 7616 §3.4.1).
#[allow(clippy::too_many_arguments)]
pub fn digest_response(
    algorithm: DigestAlgorithm,
    username: &str,
    realm: &str,
    password: &str,
    nonce: &str,
    cnonce: &str,
    nc: u32,
    qop: Option<Qop>,
    method: &str,
    uri: &str,
    body: &[u8],
) -> String {
    let h = |s: &[u8]| algorithm.hash(s);
    let mut ha1 = h(format!("{username}:{realm}:{password}").as_bytes());
    if algorithm.is_sess() {
        ha1 = h(format!("{ha1}:{nonce}:{cnonce}").as_bytes());
    }
    let ha2 = match qop {
        Some(Qop::AuthInt) => h(format!("{method}:{uri}:{}", h(body)).as_bytes()),
        _ => h(format!("{method}:{uri}").as_bytes()),
    };
    match qop {
        Some(q) => {
            let q = if q == Qop::Auth { "auth" } else { "auth-int" };
            h(format!("{ha1}:{nonce}:{nc:08x}:{cnonce}:{q}:{ha2}").as_bytes())
        }
        None => h(format!("{ha1}:{nonce}:{ha2}").as_bytes()),
    }
}

fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        if !matches!(c, '\r' | '\n') {
            out.push(c);
        }
    }
    out.push('"');
    out
}

fn answer(
    credentials: &Credentials,
    c: &Challenge,
    method: &str,
    uri: &str,
    body: &[u8],
    cnonce: &str,
) -> String {
    let response = digest_response(
        c.algorithm,
        &credentials.username,
        &c.realm,
        &credentials.password,
        &c.nonce,
        cnonce,
        c.nc,
        c.qop,
        method,
        uri,
        body,
    );
    let username = if c.userhash {
        c.algorithm
            .hash(format!("{}:{}", credentials.username, c.realm).as_bytes())
    } else {
        credentials.username.clone()
    };
    let mut v = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response={}",
        quote(&username),
        quote(&c.realm),
        quote(&c.nonce),
        quote(uri),
        quote(&response)
    );
    if c.algorithm_named {
        v.push_str(", algorithm=");
        v.push_str(c.algorithm.name());
    }
    if let Some(opaque) = &c.opaque {
        v.push_str(", opaque=");
        v.push_str(&quote(opaque));
    }
    if let Some(qop) = c.qop {
        let q = if qop == Qop::Auth { "auth" } else { "auth-int" };
        v.push_str(&format!(
            ", qop={q}, nc={:08x}, cnonce={}",
            c.nc,
            quote(cnonce)
        ));
    }
    if c.userhash {
        v.push_str(", userhash=true");
    }
    v
}

#[cfg(test)]
mod tests;

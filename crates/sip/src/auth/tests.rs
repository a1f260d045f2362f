//! Tests of digest authentication: challenges, algorithms, qop, stale nonces, refusals.

use super::*;
use crate::message::Message;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

fn creds() -> Credentials {
    Credentials {
        username: "alice".into(),
        password: "secret".into(),
    }
}

fn challenge_response(status: u16, challenges: &[&str]) -> Response {
    let name = if status == 407 {
        "Proxy-Authenticate"
    } else {
        "WWW-Authenticate"
    };
    let mut text = format!(
        "SIP/2.0 {status} Unauthorized\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
         From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>;tag=2\r\n\
         Call-ID: c\r\nCSeq: 1 REGISTER\r\n"
    );
    for c in challenges {
        text.push_str(&format!("{name}: {c}\r\n"));
    }
    text.push_str("\r\n");
    match Message::parse(text.as_bytes()) {
        Ok(Message::Response(r)) => r,
        other => panic!("{other:?}"),
    }
}

fn param(header: &str, name: &str) -> Option<String> {
    let start = header.find(&format!("{name}="))? + name.len() + 1;
    let rest = &header[start..];
    let value = rest.split(',').next()?.trim();
    Some(value.trim_matches('"').to_owned())
}

#[test]
fn rfc7616_vectors() {
    // RFC 7616 §3.9.1.
    let args = (
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
        "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    );
    let md5 = digest_response(
        DigestAlgorithm::Md5,
        args.0,
        args.1,
        args.2,
        args.3,
        args.4,
        1,
        Some(Qop::Auth),
        "GET",
        "/dir/index.html",
        b"",
    );
    assert_eq!(md5, "8ca523f5e9506fed4657c9700eebdbec");
    let sha = digest_response(
        DigestAlgorithm::Sha256,
        args.0,
        args.1,
        args.2,
        args.3,
        args.4,
        1,
        Some(Qop::Auth),
        "GET",
        "/dir/index.html",
        b"",
    );
    assert_eq!(
        sha,
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
}

#[test]
fn rfc2069_style_md5_without_qop_matches_ezk_sip_auth() {
    // The vector of ezk-sip-auth's own test.
    let r = digest_response(
        DigestAlgorithm::Md5,
        "user123",
        "example.org",
        "password123",
        "YWmh5GFpoLjiTDCA1hTSSygkgdj99aHE",
        "",
        0,
        None,
        "REGISTER",
        "sip:example.org",
        b"",
    );
    assert_eq!(r, "bc185e4893f17f12dc53153d2a62e6a6");
}

/// Cross-check against `ezk-sip-auth` for qop=auth: its cnonce is random, so read it back.
#[test]
fn cross_check_with_ezk_sip_auth() {
    use ezk_sip_auth::{
        ClientAuthenticator, DigestAuthenticator, DigestCredentials, DigestUser, RequestParts,
        ResponseParts,
    };
    use ezk_sip_types::msg::{RequestLine, StatusLine};
    use ezk_sip_types::uri::SipUri;
    use ezk_sip_types::{Headers, StatusCode};

    for alg in ["MD5", "SHA-256", "SHA-512-256"] {
        let resp = challenge_response(
            401,
            &[&format!(
                "Digest realm=\"example.org\", nonce=\"n1\", algorithm={alg}, qop=\"auth\""
            )],
        );
        let mut creds = DigestCredentials::new();
        creds.set_default(DigestUser::new("alice", "secret"));
        let mut ezk = DigestAuthenticator::new(creds);
        let line = RequestLine {
            method: ezk_sip_types::Method::REGISTER,
            uri: "sip:example.org".parse::<SipUri>().expect("uri"),
        };
        ezk.handle_rejection(
            RequestParts {
                line: &line,
                headers: &Headers::new(),
                body: &[],
            },
            ResponseParts {
                line: &StatusLine {
                    code: StatusCode::UNAUTHORIZED,
                    reason: None,
                },
                headers: &resp.head.headers,
                body: &[],
            },
        )
        .expect("ezk accepts");
        let mut h = Headers::new();
        ezk.authorize_request(&mut h);
        let theirs = h
            .get_raw(&Name::AUTHORIZATION)
            .next()
            .expect("authorization")
            .to_string();
        let cnonce = param(&theirs, "cnonce").expect("cnonce");
        let ours = digest_response(
            match alg {
                "MD5" => DigestAlgorithm::Md5,
                "SHA-256" => DigestAlgorithm::Sha256,
                _ => DigestAlgorithm::Sha512_256,
            },
            "alice",
            "example.org",
            "secret",
            "n1",
            &cnonce,
            1,
            Some(Qop::Auth),
            "REGISTER",
            "sip:example.org",
            b"",
        );
        assert_eq!(param(&theirs, "response"), Some(ours), "{alg}");
    }
}

#[test]
fn picks_the_strongest_challenge_and_qop_auth() {
    let resp = challenge_response(
        401,
        &[
            "Digest realm=\"r\", nonce=\"a\", algorithm=MD5, qop=\"auth\"",
            "Digest realm=\"r\", nonce=\"b\", algorithm=SHA-512-256, qop=\"auth,auth-int\"",
            "Digest realm=\"r\", nonce=\"c\", algorithm=SHA-256, qop=\"auth\"",
        ],
    );
    let mut auth = DigestAuth::new(creds());
    auth.handle_challenge(&resp).expect("challenge");
    assert_eq!(auth.algorithm(false), Some(DigestAlgorithm::Sha512_256));
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let headers = auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
    assert_eq!(headers.len(), 1);
    assert_eq!(headers[0].0, "Authorization");
    let v = &headers[0].1;
    assert_eq!(param(v, "nonce").as_deref(), Some("b"));
    assert_eq!(param(v, "qop").as_deref(), Some("auth"));
    assert_eq!(param(v, "nc").as_deref(), Some("00000001"));
    assert_eq!(param(v, "algorithm").as_deref(), Some("SHA-512-256"));
    let expected = digest_response(
        DigestAlgorithm::Sha512_256,
        "alice",
        "r",
        "secret",
        "b",
        &param(v, "cnonce").expect("cnonce"),
        1,
        Some(Qop::Auth),
        "REGISTER",
        "sip:r",
        b"",
    );
    assert_eq!(param(v, "response"), Some(expected));
    // Reuse increments the nonce count.
    let again = auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
    assert_eq!(param(&again[0].1, "nc").as_deref(), Some("00000002"));
}

#[test]
fn several_challenges_in_one_header_line() {
    let resp = challenge_response(
        401,
        &[
            "Digest realm=\"r\", nonce=\"a\", algorithm=MD5, Digest realm=\"r\", nonce=\"b\", algorithm=SHA-256",
        ],
    );
    let mut auth = DigestAuth::new(creds());
    auth.handle_challenge(&resp).expect("challenge");
    assert_eq!(auth.algorithm(false), Some(DigestAlgorithm::Sha256));
}

#[test]
fn auth_int_only_hashes_the_body() {
    let resp = challenge_response(
        407,
        &["Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\", opaque=\"o\""],
    );
    let mut auth = DigestAuth::new(creds());
    auth.handle_challenge(&resp).expect("challenge");
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let h = auth.authorize(&Method::Subscribe, "sip:vm@r", b"body", &mut rng);
    assert_eq!(h[0].0, "Proxy-Authorization");
    let v = &h[0].1;
    assert_eq!(param(v, "qop").as_deref(), Some("auth-int"));
    assert_eq!(param(v, "opaque").as_deref(), Some("o"));
    // No algorithm named by the server: none echoed, MD5 used.
    assert_eq!(param(v, "algorithm"), None);
    let expected = digest_response(
        DigestAlgorithm::Md5,
        "alice",
        "r",
        "secret",
        "n",
        &param(v, "cnonce").expect("cnonce"),
        1,
        Some(Qop::AuthInt),
        "SUBSCRIBE",
        "sip:vm@r",
        b"body",
    );
    assert_eq!(param(v, "response"), Some(expected));
}

#[test]
fn second_rejection_of_a_fresh_answer_is_wrong_credentials() {
    let mut auth = DigestAuth::new(creds());
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    auth.handle_challenge(&challenge_response(
        401,
        &["Digest realm=\"r\", nonce=\"1\""],
    ))
    .expect("first");
    auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
    // A new nonce, no stale flag: the password is wrong.
    assert_eq!(
        auth.handle_challenge(&challenge_response(
            401,
            &["Digest realm=\"r\", nonce=\"2\""]
        )),
        Err(AuthError::WrongCredentials)
    );
}

#[test]
fn stale_is_retried_silently_but_not_forever() {
    let mut auth = DigestAuth::new(creds());
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    // A cached answer (an hour-old nonce) meets stale nonces only.
    for i in 1..=MAX_STALE_IN_A_ROW {
        auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
        auth.handle_challenge(&challenge_response(
            401,
            &[&format!("Digest realm=\"r\", nonce=\"{i}\", stale=true")],
        ))
        .expect("stale is retried");
    }
    auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
    assert_eq!(
        auth.handle_challenge(&challenge_response(
            401,
            &["Digest realm=\"r\", nonce=\"x\", stale=TRUE"]
        )),
        Err(AuthError::TooManyStale)
    );
}

#[test]
fn challenges_of_both_kinds_are_capped_per_request() {
    let mut auth = DigestAuth::new(creds());
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    // 401 and 407 alternating, each with a fresh nonce: no single challenge looks like a
    // refused answer, so only the count per request ends it.
    let mut results = Vec::new();
    for i in 0..10 {
        auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
        let (status, header) = if i % 2 == 0 { (401, "r") } else { (407, "p") };
        results.push(auth.handle_challenge(&challenge_response(
            status,
            &[&format!("Digest realm=\"{header}\", nonce=\"n{i}\"")],
        )));
        if results.last().is_some_and(|r| r.is_err()) {
            break;
        }
    }
    assert_eq!(results.len() as u32, MAX_CHALLENGES_IN_A_ROW + 1);
    assert_eq!(results.last(), Some(&Err(AuthError::TooManyChallenges)));
    let words = AuthError::TooManyChallenges.to_string();
    assert!(
        words.contains("check the user name and password"),
        "{words}"
    );
    // The next attempt (after the caller's backoff) starts afresh.
    assert!(!auth.has_challenge());
    auth.handle_challenge(&challenge_response(
        401,
        &["Digest realm=\"r\", nonce=\"again\""],
    ))
    .expect("a new attempt may be challenged again");
    // A final answer that is not a challenge resets the count.
    auth.on_accepted();
    for i in 0..MAX_CHALLENGES_IN_A_ROW {
        auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
        auth.handle_challenge(&challenge_response(
            if i % 2 == 0 { 407 } else { 401 },
            &[&format!("Digest realm=\"r\", nonce=\"m{i}\"")],
        ))
        .expect("within the cap");
    }
}

#[test]
fn a_reused_answer_rejected_with_a_new_nonce_is_retried() {
    let mut auth = DigestAuth::new(creds());
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    auth.handle_challenge(&challenge_response(
        401,
        &["Digest realm=\"r\", nonce=\"1\""],
    ))
    .expect("first");
    auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
    auth.on_accepted();
    // An hour later the cached answer (nc=2) is refused without stale=true.
    auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
    auth.handle_challenge(&challenge_response(
        401,
        &["Digest realm=\"r\", nonce=\"2\""],
    ))
    .expect("a fresh nonce is tried once");
    auth.authorize(&Method::Register, "sip:r", b"", &mut rng);
    assert_eq!(
        auth.handle_challenge(&challenge_response(
            401,
            &["Digest realm=\"r\", nonce=\"3\""]
        )),
        Err(AuthError::WrongCredentials)
    );
}

#[test]
fn unusable_challenges() {
    let mut auth = DigestAuth::new(creds());
    assert_eq!(
        auth.handle_challenge(&challenge_response(401, &[])),
        Err(AuthError::NoChallenge)
    );
    assert_eq!(
        auth.handle_challenge(&challenge_response(
            401,
            &["Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5"]
        )),
        Err(AuthError::Unsupported)
    );
    assert_eq!(
        auth.handle_challenge(&challenge_response(
            401,
            &["Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\""]
        )),
        Err(AuthError::Unsupported)
    );
    assert!(!auth.has_challenge());
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    assert!(
        auth.authorize(&Method::Register, "sip:r", b"", &mut rng)
            .is_empty()
    );
    assert!(!format!("{:?}", creds()).contains("secret"));
}

//! What a person dials, as a Request-URI: a SIP URI as is, a bare user or number
//! (`*97`, `+4930123`, `alice`) at the account's domain, a `tel:` URI as a number at the
//! account's domain. And who calls, read from a `From` header.

use super::Party;

/// Longest target accepted.
pub const MAX_TARGET_LEN: usize = 256;

/// The Request-URI for `target` dialled on the account with address of record `aor`; `None`
/// when it cannot be a SIP address.
pub fn resolve(target: &str, aor: &str) -> Option<String> {
    let target = target.trim();
    if target.is_empty()
        || target.len() > MAX_TARGET_LEN
        || target
            .chars()
            .any(|c| c.is_control() || c == '<' || c == '>' || c == '"')
    {
        return None;
    }
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("sip:") || lower.starts_with("sips:") {
        let rest = &target[target.find(':')? + 1..];
        let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        if host.is_empty() || rest.contains(' ') {
            return None;
        }
        return Some(target.to_owned());
    }
    let user = match lower.strip_prefix("tel:") {
        Some(_) => {
            let number = &target[4..];
            // A tel: URI's parameters (`;phone-context=`) do not belong in a SIP user part.
            let number = number.split(';').next().unwrap_or("");
            let number: String = number.chars().filter(|c| !"-.() ".contains(*c)).collect();
            if number.is_empty() {
                return None;
            }
            number
        }
        None => {
            let dial: String = target.chars().filter(|c| !"-.() ".contains(*c)).collect();
            let is_number = dial
                .chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || c == '*' || c == '#' || (i == 0 && c == '+'));
            if is_number { dial } else { target.to_owned() }
        }
    };
    if !user
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,;?/#%".contains(c))
    {
        return None;
    }
    let user = user.replace('#', "%23");
    let domain = domain_of(aor)?;
    Some(format!("sip:{user}@{domain}"))
}

/// The host part (with port) of an address of record.
fn domain_of(aor: &str) -> Option<String> {
    let aor = aor.trim().trim_start_matches('<');
    let rest = aor.split_once(':')?.1;
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = host.split([';', '>', '?']).next()?.trim();
    (!host.is_empty()).then(|| host.to_owned())
}

/// The caller in a `From` value such as `"Bob" <sip:+4930123@pbx>;tag=x`.
pub fn party(raw: &str) -> Party {
    let raw = raw.trim();
    let (display, uri) = match raw.find('<') {
        Some(open) => {
            let name = raw[..open].trim().trim_matches('"').trim();
            let rest = &raw[open + 1..];
            let uri = rest.split('>').next().unwrap_or("");
            ((!name.is_empty()).then(|| name.replace("\\\"", "\"")), uri)
        }
        None => (None, raw.split(';').next().unwrap_or("")),
    };
    let uri: String = uri.trim().chars().take(MAX_TARGET_LEN).collect();
    let display = display.map(|d| d.chars().take(128).collect());
    let user = uri
        .split_once(':')
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split(['@', ';']).next())
        .unwrap_or("");
    let number = (!user.is_empty()
        && user
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '+')))
    .then(|| user.to_owned());
    Party {
        display,
        uri,
        number,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AOR: &str = "sip:alice@pbx.example.com:5070";

    #[test]
    fn targets_become_request_uris() {
        assert_eq!(
            resolve("*97", AOR).as_deref(),
            Some("sip:*97@pbx.example.com:5070")
        );
        assert_eq!(
            resolve("+49 30 123-45", AOR).as_deref(),
            Some("sip:+493012345@pbx.example.com:5070")
        );
        assert_eq!(
            resolve("tel:+1-201-555-0123;phone-context=x", AOR).as_deref(),
            Some("sip:+12015550123@pbx.example.com:5070")
        );
        assert_eq!(
            resolve("sip:bob@b.example", AOR).as_deref(),
            Some("sip:bob@b.example")
        );
        assert_eq!(
            resolve("bob", AOR).as_deref(),
            Some("sip:bob@pbx.example.com:5070")
        );
        assert_eq!(
            resolve("8#", AOR).as_deref(),
            Some("sip:8%23@pbx.example.com:5070")
        );
        for bad in [
            "",
            "a b",
            "<sip:x>",
            "sip:",
            "tel:",
            "x\r\nVia: y",
            "a@b@c d",
        ] {
            assert_eq!(resolve(bad, AOR), None, "{bad:?}");
        }
        assert_eq!(resolve(&"1".repeat(300), AOR), None);
    }

    #[test]
    fn callers_are_read_from_from() {
        let p = party("\"Bob B\" <sip:+4930123@pbx>;tag=x");
        assert_eq!(p.display.as_deref(), Some("Bob B"));
        assert_eq!(p.uri, "sip:+4930123@pbx");
        assert_eq!(p.number.as_deref(), Some("+4930123"));
        let p = party("sip:bob@pbx;tag=y");
        assert_eq!(
            (p.display, p.uri.as_str(), p.number),
            (None, "sip:bob@pbx", None)
        );
    }
}

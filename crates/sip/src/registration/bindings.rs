//! The other devices of an address of record, read from the registrar's 2xx: it lists every
//! contact bound to the AOR now (RFC 3261 §10.2.4), ours and those of other devices such as a
//! desk phone on the same extension. A contact that the registrar listed just before our
//! REGISTER (a query: a REGISTER without Contact, §10.2.3) and that is gone from the 2xx was
//! replaced by ours: the registrar keeps one registration per extension (Asterisk's
//! `max_contacts=1` with `remove_existing=yes`), and that device no longer rings.

use crate::config::same_contact;
use crate::message::ContactEntry;

/// The bindings of the AOR besides ours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bindings {
    /// The address of record they are bound to.
    pub aor: String,
    /// Other contacts bound now, as the registrar listed them (at most
    /// [`MAX_CONTACTS`](crate::message::MAX_CONTACTS)).
    pub others: Vec<String>,
    /// Contacts bound just before our first REGISTER and gone after it: our registration
    /// replaced them.
    pub replaced: Vec<String>,
}

impl Bindings {
    /// Nothing but our own binding.
    pub fn is_empty(&self) -> bool {
        self.others.is_empty() && self.replaced.is_empty()
    }
}

/// The contacts of a 2xx other than `ours` and `removed` (the old binding our REGISTER
/// removes), and other than those the registrar lists as expiring now.
pub(crate) fn others(contacts: &[ContactEntry], ours: &str, removed: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in contacts {
        let ours_or_removed =
            same_contact(&c.uri, ours) || removed.is_some_and(|r| same_contact(&c.uri, r));
        if ours_or_removed || c.expires == Some(0) || out.iter().any(|o| same_contact(o, &c.uri)) {
            continue;
        }
        out.push(c.uri.clone());
    }
    out
}

/// The contacts of `before` that are not in `after`.
pub(crate) fn gone(before: &[String], after: &[String]) -> Vec<String> {
    before
        .iter()
        .filter(|b| !after.iter().any(|a| same_contact(a, b)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(uri: &str, expires: Option<u32>) -> ContactEntry {
        ContactEntry {
            uri: uri.into(),
            expires,
        }
    }

    #[test]
    fn others_leave_out_ours_the_removed_one_expired_and_repeated_ones() {
        let contacts = [
            entry("sip:1001@192.0.2.10:5060", Some(3600)),
            entry("sip:1001@192.0.2.77:5062;transport=tcp", Some(120)),
            entry("sip:1001@198.51.100.1:4000", Some(600)),
            entry("sip:1001@192.0.2.99:5060", Some(0)),
            entry("sip:1001@192.0.2.77:5062", None),
        ];
        assert_eq!(
            others(
                &contacts,
                "sip:1001@192.0.2.10:5060",
                Some("sip:1001@198.51.100.1:4000")
            ),
            vec!["sip:1001@192.0.2.77:5062;transport=tcp".to_owned()]
        );
        assert!(others(&contacts[..1], "sip:1001@192.0.2.10:5060", None).is_empty());
    }

    #[test]
    fn gone_is_what_before_had_and_after_has_not() {
        let before = vec![
            "sip:1001@192.0.2.77:5062".to_owned(),
            "sip:1001@192.0.2.78:5060".to_owned(),
        ];
        let after = vec!["<sip:1001@192.0.2.78:5060;transport=udp>".to_owned()];
        assert_eq!(gone(&before, &after), vec![before[0].clone()]);
        assert!(gone(&before, &before).is_empty());
        assert!(gone(&[], &after).is_empty());
    }
}

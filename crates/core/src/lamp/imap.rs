//! What a mailbox's voicemail store (IMAP) tells the lamps it drives: counts, a refused
//! password, a lost connection.

use super::{ClassCounts, Lamp, LampModel, LampSource, MailboxCounts, VOICE_CLASS};
use crate::event::EngineEvent;
use std::collections::BTreeMap;
use std::time::SystemTime;

impl LampModel {
    /// Counts of a mailbox whose lamp is driven by its voicemail store (IMAP): unseen messages
    /// as new voice messages, and the urgent ones among them when known.
    pub fn apply_imap_counts(
        &mut self,
        account: &str,
        mailbox: &str,
        unseen: u32,
        urgent_unseen: Option<u32>,
        at: SystemTime,
    ) -> Vec<EngineEvent> {
        let Some(index) = self.accounts.iter().position(|a| a.id == account) else {
            return Vec::new();
        };
        let mut classes = BTreeMap::new();
        classes.insert(
            VOICE_CLASS.to_owned(),
            ClassCounts {
                new: unseen,
                old: None,
                urgent_new: urgent_unseen,
                urgent_old: None,
            },
        );
        let lamp = Lamp::Active {
            counts: MailboxCounts {
                waiting: Some(unseen > 0),
                classes,
            },
            source: LampSource::Imap,
            at,
        };
        self.set(index, mailbox, |_| lamp)
    }

    /// The voicemail store of a mailbox whose lamp it drives refused the account's password and
    /// is not tried again until the settings change: a lamp with nothing else to go by (unknown,
    /// or its counts from IMAP) fails with `why`, which says what to do; counts from SIP are left
    /// alone.
    pub fn apply_imap_refused(
        &mut self,
        account: &str,
        mailbox: &str,
        why: &str,
        now: SystemTime,
    ) -> Vec<EngineEvent> {
        let Some(index) = self.accounts.iter().position(|a| a.id == account) else {
            return Vec::new();
        };
        self.set(index, mailbox, |lamp| match lamp {
            Lamp::Unknown
            | Lamp::Active {
                source: LampSource::Imap,
                ..
            }
            | Lamp::Stale {
                last: None | Some((_, LampSource::Imap)),
                ..
            } => Lamp::Failed {
                why: why.to_owned(),
                at: now,
            },
            other => other.clone(),
        })
    }

    /// The voicemail store of a mailbox whose lamp it drives cannot be reached: a lamp whose
    /// counts came from IMAP becomes stale with `why` (counts from SIP are left alone).
    pub fn apply_imap_lost(
        &mut self,
        account: &str,
        mailbox: &str,
        why: &str,
        now: SystemTime,
    ) -> Vec<EngineEvent> {
        let Some(index) = self.accounts.iter().position(|a| a.id == account) else {
            return Vec::new();
        };
        let why = format!("the voicemail store cannot be reached: {why}");
        self.set(index, mailbox, |lamp| match lamp {
            Lamp::Active {
                source: LampSource::Imap,
                ..
            } => lamp.staled(&why, now),
            other => other.clone(),
        })
    }
}

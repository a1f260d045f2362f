//! The IMAP commands behind each store operation, on one open session. Each function SELECTs the
//! folder it needs and checks that the message's UIDVALIDITY still holds.

use async_imap::imap_proto::{NameAttribute, SectionPath};
use async_imap::types::{Fetch, Flag, Name};
use base64::Engine;
use futures::TryStreamExt;

use super::connect::{Caps, Ctx, Session};
use std::collections::{BTreeMap, HashMap};

use crate::audio::codec_of_prefix;
use crate::bodystructure::find_audio;
use crate::error::Error;
use crate::filter::{ASTERISK_SEARCH, VoicemailFilter};
use crate::headers::FIELDS;
use crate::listing::{Flags, ListingParts, voicemail};
use crate::message::{MessageId, TransferEncoding, Voicemail};
use crate::store::UnseenCounts;

/// An open session and what it knows.
#[derive(Debug)]
pub struct Conn {
    /// The session.
    pub session: Session,
    /// Server capabilities.
    pub caps: Caps,
    /// Host and deadline.
    pub ctx: Ctx,
}

/// The state of a folder after SELECT.
#[derive(Debug, Clone, Copy)]
pub struct Selected {
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// Number of messages.
    pub exists: u32,
}

/// SELECTs `folder`.
pub async fn select(c: &mut Conn, folder: &str) -> Result<Selected, Error> {
    // Drop notifications queued by earlier commands; each operation reads fresh state.
    while c.session.unsolicited_responses.try_recv().is_ok() {}
    let mailbox = c
        .ctx
        .step("SELECT", c.session.select(folder))
        .await
        .map_err(|e| match e {
            Error::Protocol { detail, .. } if detail.to_ascii_lowercase().contains("exist") => {
                Error::NoSuchFolder {
                    folder: folder.to_owned(),
                }
            }
            other => other,
        })?;
    Ok(Selected {
        uid_validity: mailbox.uid_validity.unwrap_or(0),
        exists: mailbox.exists,
    })
}

/// SELECTs `folder` and checks that message `id` is still there.
pub async fn select_message(c: &mut Conn, folder: &str, id: MessageId) -> Result<(), Error> {
    let sel = select(c, folder).await?;
    check_validity(folder, id, sel)?;
    let found = c
        .ctx
        .step(
            "UID SEARCH",
            c.session.uid_search(format!("UID {}", id.uid)),
        )
        .await?;
    if found.contains(&id.uid) {
        Ok(())
    } else {
        Err(gone(
            folder,
            id,
            "there is no message with this UID (deleted or moved)",
        ))
    }
}

fn check_validity(folder: &str, id: MessageId, sel: Selected) -> Result<(), Error> {
    if sel.uid_validity == id.uid_validity {
        Ok(())
    } else {
        Err(gone(
            folder,
            id,
            &format!(
                "the folder was renumbered (UIDVALIDITY is now {}); list it again",
                sel.uid_validity
            ),
        ))
    }
}

fn gone(folder: &str, id: MessageId, reason: &str) -> Error {
    Error::MessageGone {
        folder: folder.to_owned(),
        id,
        reason: reason.to_owned(),
    }
}

/// Every folder the server lists, selectable or not.
async fn list_all(c: &mut Conn) -> Result<Vec<Name>, Error> {
    let ctx = c.ctx.clone();
    ctx.step("LIST", async {
        c.session
            .list(Some(""), Some("*"))
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await
}

/// LIST of selectable folders.
pub async fn folders(c: &mut Conn) -> Result<Vec<String>, Error> {
    let names = list_all(c).await?;
    Ok(names
        .iter()
        .filter(|n| !n.attributes().contains(&NameAttribute::NoSelect))
        .map(|n| n.name().to_owned())
        .collect())
}

/// The Trash folder: the one with the `\Trash` attribute, else one named "Trash".
async fn trash(c: &mut Conn) -> Result<Option<String>, Error> {
    let names = list_all(c).await?;
    let by_attr = names.iter().find(|n| {
        n.attributes()
            .iter()
            .any(|a| matches!(a, NameAttribute::Trash))
    });
    let by_name = names
        .iter()
        .find(|n| n.name().eq_ignore_ascii_case("Trash"));
    Ok(by_attr.or(by_name).map(|n| n.name().to_owned()))
}

/// What is known of messages by folder and id: a message's content never changes under its UID,
/// so what is read from it (its codec, whether it is voicemail) is read once per store.
#[derive(Debug)]
pub struct MessageCache<V>(std::sync::Mutex<HashMap<(String, MessageId), V>>);

impl<V> Default for MessageCache<V> {
    fn default() -> Self {
        Self(std::sync::Mutex::default())
    }
}

impl<V: Clone> MessageCache<V> {
    /// Entries kept at most; the cache starts over beyond (a re-list then reads them again).
    const MAX: usize = 100_000;

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, MessageId), V>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, folder: &str, id: MessageId) -> Option<V> {
        self.lock().get(&(folder.to_owned(), id)).cloned()
    }

    fn insert(&self, folder: &str, id: MessageId, value: V) {
        let mut known = self.lock();
        if known.len() >= Self::MAX {
            known.clear();
        }
        known.insert((folder.to_owned(), id), value);
    }
}

/// Codecs already read: each attachment's first bytes are fetched once per store.
pub type CodecCache = MessageCache<Option<String>>;

/// Whether each message is voicemail ([`VoicemailFilter::is_voicemail`]), decided once.
pub type KindCache = MessageCache<bool>;

/// What listing and counting need to tell voicemail from other mail.
#[derive(Debug, Default)]
pub struct Known {
    /// Codecs by message.
    pub codecs: CodecCache,
    /// Voicemail or not, by message.
    pub kinds: KindCache,
    /// The account's own rules.
    pub filter: VoicemailFilter,
}

/// Lists the voicemail of `folder` (other mail is left out): one UID FETCH of flags, size,
/// structure and the voicemail header fields, then (for messages whose codec is not known yet)
/// one partial FETCH of the audio parts' first bytes to name the codec.
pub async fn list(c: &mut Conn, folder: &str, known: &Known) -> Result<Vec<Voicemail>, Error> {
    let sel = select(c, folder).await?;
    if sel.exists == 0 {
        return Ok(Vec::new());
    }
    let query = format!(
        "(UID FLAGS RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS ({})])",
        FIELDS.join(" ")
    );
    let ctx = c.ctx.clone();
    let fetches: Vec<Fetch> = ctx
        .step("UID FETCH", async {
            c.session
                .uid_fetch("1:*", &query)
                .await?
                .try_collect()
                .await
        })
        .await?;
    let mut out: Vec<Voicemail> = fetches
        .iter()
        .filter_map(|f| {
            let id = MessageId {
                uid_validity: sel.uid_validity,
                uid: f.uid?,
            };
            let header = f.header().unwrap_or_default();
            let is_voicemail = known.kinds.get(folder, id).unwrap_or_else(|| {
                let decided = known.filter.is_voicemail(header, f.bodystructure());
                known.kinds.insert(folder, id, decided);
                decided
            });
            is_voicemail.then(|| ListingParts {
                id,
                folder,
                header,
                flags: flags_of(f),
                size: f.size.unwrap_or(0),
                body: f.bodystructure(),
            })
        })
        .map(voicemail)
        .collect();
    out.sort_by_key(|v| v.id.uid);
    match read_codecs(c, folder, &mut out, &known.codecs).await {
        Err(e) if e.is_offline() => return Err(e),
        Err(e) => tracing::debug!("{folder}: codecs not read ({e}); formats name the container"),
        Ok(()) => {}
    }
    Ok(out)
}

/// Encoded bytes fetched from the start of each audio part: enough base64 for a WAVE header
/// with a `LIST` chunk before `fmt `, line breaks included.
const CODEC_PREFIX: usize = 240;

/// Names each listed message's codec: from the cache, else from the first bytes of its audio
/// part (one partial UID FETCH per body section, usually just one).
async fn read_codecs(
    c: &mut Conn,
    folder: &str,
    list: &mut [Voicemail],
    cache: &CodecCache,
) -> Result<(), Error> {
    let mut by_section: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for v in list.iter_mut() {
        let Some(a) = v.audio.as_mut() else {
            continue;
        };
        if let Some(codec) = cache.get(folder, v.id) {
            a.codec = codec;
        } else if matches!(
            a.encoding,
            TransferEncoding::Base64 | TransferEncoding::Identity
        ) {
            by_section
                .entry(a.section.clone())
                .or_default()
                .push(v.id.uid);
        }
    }
    let ctx = c.ctx.clone();
    for (section, uids) in by_section {
        let path: Vec<u32> = section.split('.').map(|n| n.parse().unwrap_or(0)).collect();
        let query = format!("BODY.PEEK[{section}]<0.{CODEC_PREFIX}>");
        let set = uid_set(&uids);
        let fetches: Vec<Fetch> = ctx
            .step("UID FETCH", async {
                c.session.uid_fetch(&set, &query).await?.try_collect().await
            })
            .await?;
        for f in &fetches {
            let (Some(uid), Some(raw)) = (f.uid, f.section(&SectionPath::Part(path.clone(), None)))
            else {
                continue;
            };
            let Some((id, part)) = list
                .iter_mut()
                .find(|v| v.id.uid == uid)
                .and_then(|v| Some((v.id, v.audio.as_mut()?)))
            else {
                continue;
            };
            let bytes = match part.encoding {
                TransferEncoding::Base64 => {
                    let mut compact: Vec<u8> = raw
                        .iter()
                        .copied()
                        .filter(|b| !b.is_ascii_whitespace())
                        .collect();
                    compact.truncate(compact.len() / 4 * 4);
                    decode_base64(&compact).unwrap_or_default()
                }
                _ => raw.to_vec(),
            };
            part.codec = codec_of_prefix(&bytes).map(|f| f.codec().to_owned());
            cache.insert(folder, id, part.codec.clone());
        }
    }
    Ok(())
}

/// A UID set with runs collapsed: `1:3,7,9:10`. `uids` ascending.
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        while i + 1 < uids.len() && uids[i + 1] == uids[i] + 1 {
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if uids[i] == start {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{}", uids[i]));
        }
        i += 1;
    }
    out
}

/// `\Seen` and `\Flagged` of a FETCH.
pub fn flags_of(f: &Fetch) -> Flags {
    let mut flags = Flags::default();
    for flag in f.flags() {
        match flag {
            Flag::Seen => flags.seen = true,
            Flag::Flagged => flags.flagged = true,
            _ => {}
        }
    }
    flags
}

/// Largest audio attachment fetched, in encoded octets as BODYSTRUCTURE reports them (256 MiB):
/// a two-hour 44.1 kHz stereo MP3 at 192 kbit/s is 165 MiB, 220 MiB in base64.
pub const MAX_AUDIO_PART_BYTES: u64 = 256 * 1024 * 1024;

/// Fetches only the audio body part and undoes its transfer encoding. A part larger than `limit`
/// octets (by BODYSTRUCTURE) is refused before any of it is fetched, and the fetch asks for at
/// most `limit + 1` octets, so a server whose structure understates the part cannot send more.
/// The base64 is decoded off the async threads.
pub async fn fetch_audio(
    c: &mut Conn,
    folder: &str,
    id: MessageId,
    limit: u64,
) -> Result<Vec<u8>, Error> {
    let sel = select(c, folder).await?;
    check_validity(folder, id, sel)?;
    let ctx = c.ctx.clone();
    let uid = id.uid.to_string();
    let structure: Vec<Fetch> = ctx
        .step("UID FETCH", async {
            c.session
                .uid_fetch(&uid, "(UID BODYSTRUCTURE)")
                .await?
                .try_collect()
                .await
        })
        .await?;
    let Some(fetch) = structure.iter().find(|f| f.uid == Some(id.uid)) else {
        return Err(gone(
            folder,
            id,
            "there is no message with this UID (deleted or moved)",
        ));
    };
    let malformed = |detail: String| Error::Malformed {
        folder: folder.to_owned(),
        id,
        detail,
    };
    let too_large = |size: u64| Error::AudioTooLarge {
        folder: folder.to_owned(),
        id,
        size,
        limit,
    };
    let body = fetch
        .bodystructure()
        .ok_or_else(|| malformed("the server sent no BODYSTRUCTURE".into()))?;
    let part = find_audio(body).ok_or_else(|| Error::NoAudio {
        folder: folder.to_owned(),
        id,
    })?;
    if u64::from(part.size) > limit {
        return Err(too_large(u64::from(part.size)));
    }
    if matches!(
        part.encoding,
        TransferEncoding::QuotedPrintable | TransferEncoding::Other(_)
    ) {
        let name = match &part.encoding {
            TransferEncoding::Other(name) => name.as_str(),
            _ => "quoted-printable",
        };
        return Err(malformed(format!(
            "the audio attachment uses an unsupported transfer encoding ({name})"
        )));
    }
    let path: Vec<u32> = part
        .section
        .split('.')
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    let query = format!("BODY.PEEK[{}]<0.{}>", part.section, limit.saturating_add(1));
    let parts: Vec<Fetch> = ctx
        .step("UID FETCH", async {
            c.session.uid_fetch(&uid, &query).await?.try_collect().await
        })
        .await?;
    let base64 = part.encoding == TransferEncoding::Base64;
    let section = part.section.clone();
    let decoded = tokio::task::spawn_blocking(move || {
        let raw = parts
            .iter()
            .find_map(|f| f.section(&SectionPath::Part(path.clone(), None)))
            .ok_or(Undone::Missing)?;
        if raw.len() as u64 > limit {
            return Err(Undone::TooLarge(raw.len() as u64));
        }
        if base64 {
            decode_base64(raw).map_err(|e| Undone::Base64(e.to_string()))
        } else {
            Ok(raw.to_vec())
        }
    })
    .await
    .map_err(|e| malformed(format!("decoding the attachment stopped: {e}")))?;
    let bytes = decoded.map_err(|e| match e {
        Undone::Missing => malformed(format!("the server returned no body section {section}")),
        Undone::TooLarge(size) => too_large(size),
        Undone::Base64(e) => malformed(format!(
            "the audio attachment is not valid base64 ({e}); the message may be cut short"
        )),
    })?;
    if bytes.is_empty() {
        return Err(malformed("the audio attachment is empty".into()));
    }
    Ok(bytes)
}

/// Why a fetched part's transfer encoding could not be undone.
enum Undone {
    Missing,
    TooLarge(u64),
    Base64(String),
}

fn decode_base64(raw: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(compact)
}

/// Adds or removes `\Seen`.
pub async fn set_seen(c: &mut Conn, folder: &str, id: MessageId, seen: bool) -> Result<(), Error> {
    select_message(c, folder, id).await?;
    let op = if seen {
        "+FLAGS.SILENT (\\Seen)"
    } else {
        "-FLAGS.SILENT (\\Seen)"
    };
    let ctx = c.ctx.clone();
    ctx.step("UID STORE", async {
        c.session
            .uid_store(id.uid.to_string(), op)
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await?;
    Ok(())
}

/// Moves to Trash, or expunges when there is no Trash or the message is already in it.
pub async fn delete(c: &mut Conn, folder: &str, id: MessageId) -> Result<(), Error> {
    match trash(c).await? {
        Some(t) if t != folder => move_to(c, folder, id, &t).await,
        _ => {
            select_message(c, folder, id).await?;
            expunge(c, id).await
        }
    }
}

/// Moves to `target`: UID MOVE when the server has it, else COPY + `\Deleted` + expunge.
pub async fn move_to(c: &mut Conn, folder: &str, id: MessageId, target: &str) -> Result<(), Error> {
    select_message(c, folder, id).await?;
    let uid = id.uid.to_string();
    let ctx = c.ctx.clone();
    let no_target = |e: Error| match e {
        Error::Protocol { detail, .. }
            if detail.contains("TRYCREATE") || detail.to_ascii_lowercase().contains("exist") =>
        {
            Error::NoSuchFolder {
                folder: target.to_owned(),
            }
        }
        other => other,
    };
    if c.caps.moves {
        ctx.step("UID MOVE", c.session.uid_mv(&uid, target))
            .await
            .map_err(no_target)
    } else {
        ctx.step("UID COPY", c.session.uid_copy(&uid, target))
            .await
            .map_err(no_target)?;
        expunge(c, id).await
    }
}

/// Sets `\Deleted` on the (selected) message and expunges it, only it when UIDPLUS allows.
async fn expunge(c: &mut Conn, id: MessageId) -> Result<(), Error> {
    let uid = id.uid.to_string();
    let ctx = c.ctx.clone();
    ctx.step("UID STORE", async {
        c.session
            .uid_store(&uid, "+FLAGS.SILENT (\\Deleted)")
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await?;
    if c.caps.uidplus {
        ctx.step("UID EXPUNGE", async {
            c.session
                .uid_expunge(&uid)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
    } else {
        ctx.step("EXPUNGE", async {
            c.session.expunge().await?.try_collect::<Vec<_>>().await
        })
        .await?;
    }
    Ok(())
}

/// Unseen and urgent unseen counts of the voicemail in `folder`; other mail is not counted.
///
/// `UID SEARCH UNSEEN`, then for unseen messages not decided yet: the server finds those Asterisk
/// stored ([`ASTERISK_SEARCH`]), and one UID FETCH of structure and header fields decides the
/// rest. Each message is decided once per store, so a steady mailbox costs two SEARCHes.
pub async fn unseen_counts(
    c: &mut Conn,
    folder: &str,
    known: &Known,
) -> Result<UnseenCounts, Error> {
    let sel = select(c, folder).await?;
    let ctx = c.ctx.clone();
    let id = |uid: u32| MessageId {
        uid_validity: sel.uid_validity,
        uid,
    };
    let unseen = ctx
        .step("UID SEARCH", c.session.uid_search("UNSEEN"))
        .await?;
    let mut undecided: Vec<u32> = unseen
        .iter()
        .copied()
        .filter(|&uid| known.kinds.get(folder, id(uid)).is_none())
        .collect();
    undecided.sort_unstable();
    if !undecided.is_empty() {
        let query = format!("UID {} {ASTERISK_SEARCH}", uid_set(&undecided));
        let asterisk = ctx.step("UID SEARCH", c.session.uid_search(&query)).await?;
        for &uid in &asterisk {
            known.kinds.insert(folder, id(uid), true);
        }
        undecided.retain(|uid| !asterisk.contains(uid));
    }
    if !undecided.is_empty() {
        let query = format!(
            "(UID BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS ({})])",
            FIELDS.join(" ")
        );
        let set = uid_set(&undecided);
        let fetches: Vec<Fetch> = ctx
            .step("UID FETCH", async {
                c.session.uid_fetch(&set, &query).await?.try_collect().await
            })
            .await?;
        for f in &fetches {
            if let Some(uid) = f.uid {
                let decided = known
                    .filter
                    .is_voicemail(f.header().unwrap_or_default(), f.bodystructure());
                known.kinds.insert(folder, id(uid), decided);
            }
        }
    }
    let voicemail: std::collections::HashSet<u32> = unseen
        .into_iter()
        .filter(|&uid| known.kinds.get(folder, id(uid)) == Some(true))
        .collect();
    if voicemail.is_empty() {
        return Ok(UnseenCounts::default());
    }
    let urgent = ctx
        .step(
            "UID SEARCH",
            c.session
                .uid_search("UNSEEN OR FLAGGED HEADER X-Asterisk-VM-Flag Urgent"),
        )
        .await?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(UnseenCounts {
        unseen: count(voicemail.len()),
        urgent_unseen: count(urgent.iter().filter(|u| voicemail.contains(u)).count()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_hour_stereo_mp3_is_within_the_limits() {
        // 192 kbit/s for two hours, in base64 with line breaks (76 characters and CRLF).
        let mp3 = 192_000 / 8 * 2 * 3600u64;
        let base64 = mp3.div_ceil(3) * 4 * 78 / 76;
        assert!(base64 <= MAX_AUDIO_PART_BYTES, "{base64}");
        assert!(mp3 <= crate::audio::MAX_INPUT_BYTES as u64);
        const { assert!(2 * 3600 * 44_100 * 2 <= crate::audio::MAX_OUTPUT_SAMPLES) };
    }

    #[test]
    fn an_oversized_attachment_is_refused_in_words() {
        let e = Error::AudioTooLarge {
            folder: "INBOX".into(),
            id: MessageId {
                uid_validity: 7,
                uid: 3,
            },
            size: 300 * 1024 * 1024 + 1,
            limit: MAX_AUDIO_PART_BYTES,
        };
        assert_eq!(
            e.to_string(),
            "message 7-3 in INBOX has an audio attachment of 301 MiB, more than the 256 MiB \
             this app fetches; play it on the phone or open it in a mail program"
        );
    }

    #[test]
    fn uid_sets_collapse_runs() {
        assert_eq!(uid_set(&[]), "");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
    }
}

//! The words of notifications: short, plural-correct, and never more than the privacy level
//! allows. Every string that comes from outside (line names, caller names and numbers) is
//! cleaned of control and direction-override characters and markup brackets, and shortened.

use super::notification::{MessageHint, NotificationKind};
use super::settings::Privacy;

/// The longest line name or caller field shown, in characters.
const MAX_FIELD_CHARS: usize = 40;

/// How many line names a notification lists before "and N more".
const MAX_NAMES: usize = 3;

/// One line as a notification shows it.
#[derive(Debug, Clone, Copy)]
pub(super) struct LineText<'a> {
    /// The line's name.
    pub name: &'a str,
    /// New messages now (urgent included).
    pub new: u32,
    /// Urgent new messages now.
    pub urgent: u32,
    /// Whether the news is urgent (the urgent count rose or the message is marked urgent).
    pub urgent_news: bool,
    /// The newest message's details, when the store gave them.
    pub hint: Option<&'a MessageHint>,
}

/// Title and body of a notification of `kind` about `lines` (at least one).
pub(super) fn compose(
    kind: NotificationKind,
    privacy: Privacy,
    lines: &[LineText<'_>],
) -> (String, String) {
    match lines {
        [line] => (clean(line.name), single_body(kind, privacy, line)),
        _ => (several_title(kind, lines), several_body(kind, lines)),
    }
}

fn single_body(kind: NotificationKind, privacy: Privacy, line: &LineText<'_>) -> String {
    match kind {
        NotificationKind::NewMessages => {
            let counts = new_phrase(line.new, line.urgent);
            match line.hint.and_then(|hint| caller(hint, privacy)) {
                Some(from) if line.new <= 1 => {
                    let what = if line.urgent_news { "Urgent" } else { "New" };
                    format!("{what} voicemail from {from}")
                }
                Some(from) => format!("{counts}; latest from {from}"),
                None => counts,
            }
        }
        NotificationKind::Waiting => waiting_phrase(line.new, line.urgent),
        NotificationKind::UrgentReminder => {
            format!("{} still unheard", plural(line.urgent, "urgent voicemail"))
        }
    }
}

fn several_title(kind: NotificationKind, lines: &[LineText<'_>]) -> String {
    let new = lines.iter().fold(0u32, |sum, l| sum.saturating_add(l.new));
    let urgent = lines
        .iter()
        .fold(0u32, |sum, l| sum.saturating_add(l.urgent));
    match kind {
        NotificationKind::NewMessages => new_phrase(new, urgent),
        NotificationKind::Waiting => waiting_phrase(new, urgent),
        NotificationKind::UrgentReminder => {
            format!("{} still unheard", plural(urgent, "urgent voicemail"))
        }
    }
}

fn several_body(kind: NotificationKind, lines: &[LineText<'_>]) -> String {
    let names: Vec<String> = lines
        .iter()
        .map(|line| {
            let name = clean(line.name);
            let count = match kind {
                NotificationKind::UrgentReminder => line.urgent,
                _ => line.new,
            };
            match (count, line.urgent, kind) {
                (0, _, _) => name,
                (_, 0, _) | (_, _, NotificationKind::UrgentReminder) => format!("{name} ({count})"),
                (_, urgent, _) => format!("{name} ({count}, {urgent} urgent)"),
            }
        })
        .collect();
    format!("On {}", join_names(&names))
}

/// "2 new voicemails, 1 urgent"; "New voicemail waiting" when the server gave no count.
fn new_phrase(new: u32, urgent: u32) -> String {
    match (new, urgent) {
        (0, _) => "New voicemail waiting".to_owned(),
        (_, 0) => plural(new, "new voicemail"),
        _ => format!("{}, {urgent} urgent", plural(new, "new voicemail")),
    }
}

/// "2 voicemails waiting, 1 urgent".
fn waiting_phrase(new: u32, urgent: u32) -> String {
    let waiting = match new {
        0 => "Voicemail waiting".to_owned(),
        1 => "1 voicemail waiting".to_owned(),
        n => format!("{n} voicemails waiting"),
    };
    match urgent {
        0 => waiting,
        _ => format!("{waiting}, {urgent} urgent"),
    }
}

/// "1 voicemail", "2 voicemails" (the last word takes the plural).
pub(super) fn plural(n: u32, words: &str) -> String {
    if n == 1 {
        format!("1 {words}")
    } else {
        format!("{n} {words}s")
    }
}

/// "Alice Smith (+1 555 0100), 0:42" as far as the privacy level and the hint allow.
fn caller(hint: &MessageHint, privacy: Privacy) -> Option<String> {
    if privacy == Privacy::CountOnly {
        return None;
    }
    let name = hint
        .caller_name
        .as_deref()
        .map(clean)
        .filter(|s| !s.is_empty());
    let number = hint
        .caller_number
        .as_deref()
        .map(clean)
        .filter(|s| !s.is_empty());
    let who = match (name, number) {
        (Some(name), Some(number)) if name != number => format!("{name} ({number})"),
        (Some(name), _) => name,
        (None, Some(number)) => number,
        (None, None) => return None,
    };
    match (privacy, hint.duration_s) {
        (Privacy::CallerAndDuration, Some(seconds)) => {
            Some(format!("{who}, {}", duration(seconds)))
        }
        _ => Some(who),
    }
}

/// "0:42", "12:05", "1:02:03".
pub(super) fn duration(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// "A", "A and B", "A, B and C", "A, B, C and 2 more".
fn join_names(names: &[String]) -> String {
    let shown = &names[..names.len().min(MAX_NAMES)];
    let more = names.len() - shown.len();
    match (shown, more) {
        ([], _) => String::new(),
        ([one], 0) => one.clone(),
        (_, 0) => {
            let (last, rest) = shown.split_last().unwrap_or((&shown[0], &[]));
            format!("{} and {last}", rest.join(", "))
        }
        (_, more) => format!("{} and {more} more", shown.join(", ")),
    }
}

/// Text from outside made safe to show: no control, format (direction override) or markup
/// bracket characters, whitespace collapsed, at most [`MAX_FIELD_CHARS`] characters.
pub(super) fn clean(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_format(*c) && !matches!(c, '<' | '>'))
        .collect();
    let words: Vec<&str> = kept.split(' ').filter(|w| !w.is_empty()).collect();
    let joined = words.join(" ");
    if joined.chars().count() <= MAX_FIELD_CHARS {
        joined
    } else {
        let cut: String = joined.chars().take(MAX_FIELD_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Unicode format characters that reorder or hide text (bidi controls, zero-width marks).
fn is_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, new: u32, urgent: u32) -> LineText<'_> {
        LineText {
            name,
            new,
            urgent,
            urgent_news: urgent > 0,
            hint: None,
        }
    }

    #[test]
    fn plurals_and_durations() {
        assert_eq!(plural(0, "new voicemail"), "0 new voicemails");
        assert_eq!(plural(1, "new voicemail"), "1 new voicemail");
        assert_eq!(plural(2, "urgent voicemail"), "2 urgent voicemails");
        assert_eq!(duration(42), "0:42");
        assert_eq!(duration(725), "12:05");
        assert_eq!(duration(3723), "1:02:03");
    }

    #[test]
    fn one_line_counts() {
        let new = NotificationKind::NewMessages;
        let (title, body) = compose(new, Privacy::Caller, &[line("Front desk", 2, 1)]);
        assert_eq!(
            (title.as_str(), body.as_str()),
            ("Front desk", "2 new voicemails, 1 urgent")
        );
        let (_, body) = compose(new, Privacy::Caller, &[line("Front desk", 1, 0)]);
        assert_eq!(body, "1 new voicemail");
        let (_, body) = compose(new, Privacy::Caller, &[line("Front desk", 0, 0)]);
        assert_eq!(body, "New voicemail waiting");
        let waiting = NotificationKind::Waiting;
        let (_, body) = compose(waiting, Privacy::Caller, &[line("Support", 3, 0)]);
        assert_eq!(body, "3 voicemails waiting");
        let reminder = NotificationKind::UrgentReminder;
        let (_, body) = compose(reminder, Privacy::Caller, &[line("Support", 3, 1)]);
        assert_eq!(body, "1 urgent voicemail still unheard");
    }

    #[test]
    fn several_lines() {
        let lines = [line("Front desk", 2, 1), line("Support", 1, 0)];
        let (title, body) = compose(NotificationKind::NewMessages, Privacy::Caller, &lines);
        assert_eq!(title, "3 new voicemails, 1 urgent");
        assert_eq!(body, "On Front desk (2, 1 urgent) and Support (1)");
        let many = [
            line("A", 1, 0),
            line("B", 1, 0),
            line("C", 1, 0),
            line("D", 1, 0),
            line("E", 1, 0),
        ];
        let (title, body) = compose(NotificationKind::Waiting, Privacy::Caller, &many);
        assert_eq!(title, "5 voicemails waiting");
        assert_eq!(body, "On A (1), B (1), C (1) and 2 more");
        let three = [line("A", 1, 1), line("B", 2, 2), line("C", 1, 0)];
        let (title, body) = compose(NotificationKind::UrgentReminder, Privacy::Caller, &three);
        assert_eq!(title, "3 urgent voicemails still unheard");
        assert_eq!(body, "On A (1), B (2) and C");
    }

    #[test]
    fn caller_per_privacy() {
        let hint = MessageHint {
            caller_name: Some("Alice Smith".into()),
            caller_number: Some("+1 555 0100".into()),
            duration_s: Some(42),
            ..MessageHint::default()
        };
        let mut one = line("Front desk", 1, 0);
        one.hint = Some(&hint);
        let new = NotificationKind::NewMessages;
        let body = |privacy, l: LineText<'_>| compose(new, privacy, &[l]).1;
        assert_eq!(body(Privacy::CountOnly, one), "1 new voicemail");
        assert_eq!(
            body(Privacy::Caller, one),
            "New voicemail from Alice Smith (+1 555 0100)"
        );
        assert_eq!(
            body(Privacy::CallerAndDuration, one),
            "New voicemail from Alice Smith (+1 555 0100), 0:42"
        );
        let mut three = line("Front desk", 3, 1);
        three.hint = Some(&hint);
        assert_eq!(
            body(Privacy::Caller, three),
            "3 new voicemails, 1 urgent; latest from Alice Smith (+1 555 0100)"
        );
        let only_number = MessageHint {
            caller_number: Some("2001".into()),
            ..MessageHint::default()
        };
        let mut urgent = line("Front desk", 1, 1);
        urgent.hint = Some(&only_number);
        assert_eq!(body(Privacy::Caller, urgent), "Urgent voicemail from 2001");
        let nothing = MessageHint::default();
        one.hint = Some(&nothing);
        assert_eq!(body(Privacy::CallerAndDuration, one), "1 new voicemail");
    }

    #[test]
    fn outside_text_is_cleaned() {
        assert_eq!(clean("  Alice\n\t<b>Smith</b>\u{202E}  "), "Alice bSmith/b");
        assert_eq!(clean("\u{7}\u{200B}"), "");
        let long = "x".repeat(100);
        let cleaned = clean(&long);
        assert_eq!(cleaned.chars().count(), MAX_FIELD_CHARS);
        assert!(cleaned.ends_with('…'));
    }
}

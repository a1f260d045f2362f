//! Saving into a file a person edited: the new configuration is written into the file's own
//! document (`toml_edit`), so its comments, its order and its spelling of values stay wherever
//! the setting they belong to did not change.
//!
//! Three documents take part: the file as it is (`file`), what [`super::write::to_toml`] makes of
//! the configuration read from it (`was`), and what it makes of the new configuration (`now`).
//! Where `was` and `now` agree, the file keeps what it says (or leaves out: a default stays
//! implicit, a relative `password_file` stays relative). Where they differ the file gets the new
//! value in the old one's place, keeping the comment beside it; what `now` no longer has is
//! removed; what is new is added at the end of its table. Accounts and mailboxes are matched by
//! their `id` and `uri`.

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, TableLike};

/// `file` changed to say what `now` says; `None` when the file's shape is one this cannot follow
/// (the caller then writes `now` as it is).
pub(super) fn merge(file: &str, was: &str, now: &str) -> Option<String> {
    let mut file: DocumentMut = file.parse().ok()?;
    let was: DocumentMut = was.parse().ok()?;
    let now: DocumentMut = now.parse().ok()?;
    merge_table(file.as_table_mut(), false, was.as_table(), now.as_table())?;
    Some(file.to_string())
}

fn merge_table(
    file: &mut dyn TableLike,
    inline: bool,
    was: &dyn TableLike,
    now: &dyn TableLike,
) -> Option<()> {
    let gone: Vec<String> = file
        .iter()
        .map(|(key, _)| key.to_owned())
        .filter(|key| now.get(key).is_none() && was.get(key).is_some())
        .collect();
    for key in gone {
        file.remove(&key);
    }
    for (key, now_item) in now.iter() {
        let was_item = was.get(key);
        let same = was_item.is_some_and(|was_item| render(was_item) == render(now_item));
        match file.get_mut(key) {
            Some(_) if same => {}
            Some(file_item) => merge_item(file_item, was_item, now_item)?,
            None if same => {}
            None => {
                if let Some(now_table) = now_item.as_table_like() {
                    // A table the file does not have yet: only what differs from the defaults.
                    let mut table = Table::new();
                    table.set_implicit(false);
                    let empty = Table::new();
                    let was_table = was_item.and_then(Item::as_table_like).unwrap_or(&empty);
                    let mut item = Item::Table(table);
                    merge_table(item.as_table_like_mut()?, inline, was_table, now_table)?;
                    insert(file, inline, key, item)?;
                } else {
                    insert(file, inline, key, fresh(now_item))?;
                }
            }
        }
    }
    Some(())
}

/// Changes one value, table or array of tables of the file to what `now` says.
fn merge_item(file: &mut Item, was: Option<&Item>, now: &Item) -> Option<()> {
    let empty = Table::new();
    let file_is_inline = matches!(file, Item::Value(toml_edit::Value::InlineTable(_)));
    match (file.as_table_like_mut(), now.as_table_like()) {
        (Some(file_table), Some(now_table)) => {
            let was_table = was.and_then(Item::as_table_like).unwrap_or(&empty);
            return merge_table(file_table, file_is_inline, was_table, now_table);
        }
        (Some(_), None) | (None, Some(_)) => {
            *file = fresh(now);
            return Some(());
        }
        (None, None) => {}
    }
    match (file, now) {
        (Item::ArrayOfTables(file), Item::ArrayOfTables(now)) => {
            let was = match was {
                Some(Item::ArrayOfTables(was)) => Some(was),
                _ => None,
            };
            merge_array(file, was, now)
        }
        (Item::Value(file), Item::Value(now)) => {
            let decor = file.decor().clone();
            *file = now.clone();
            *file.decor_mut() = decor;
            Some(())
        }
        (file, now) => {
            *file = fresh(now);
            Some(())
        }
    }
}

/// Accounts (by `id`) or mailboxes (by `uri`), in the new order; entries the file had keep
/// their text where it did not change.
fn merge_array(
    file: &mut ArrayOfTables,
    was: Option<&ArrayOfTables>,
    now: &ArrayOfTables,
) -> Option<()> {
    let old: Vec<Table> = file.iter().cloned().collect();
    // `was` is the file read and written again: the same entries in the same order.
    let was: Vec<&Table> = was.map(|w| w.iter().collect()).unwrap_or_default();
    if was.len() != old.len() {
        return None;
    }
    let mut out = ArrayOfTables::new();
    for now_table in now.iter() {
        let key = identity(now_table);
        let index = key
            .as_ref()
            .and_then(|key| was.iter().position(|w| identity(w).as_ref() == Some(key)));
        match index {
            Some(i) => {
                let mut table = old[i].clone();
                merge_table(&mut table, false, was[i], now_table)?;
                out.push(table);
            }
            None => out.push(fresh_table(now_table)),
        }
    }
    *file = out;
    Some(())
}

/// What names an entry of an array of tables: an account's `id`, a mailbox's `uri`.
fn identity(table: &Table) -> Option<String> {
    ["id", "uri"]
        .iter()
        .find_map(|key| table.get(key).and_then(Item::as_str))
        .map(str::to_owned)
}

fn insert(file: &mut dyn TableLike, inline: bool, key: &str, item: Item) -> Option<()> {
    let item = if inline {
        Item::Value(item.into_value().ok()?)
    } else {
        item
    };
    file.insert(key, item);
    Some(())
}

/// An item of `now` to add to the file: without its place in the other document.
fn fresh(item: &Item) -> Item {
    match item {
        Item::Table(table) => Item::Table(fresh_table(table)),
        Item::ArrayOfTables(array) => {
            let mut out = ArrayOfTables::new();
            for table in array.iter() {
                out.push(fresh_table(table));
            }
            Item::ArrayOfTables(out)
        }
        other => other.clone(),
    }
}

fn fresh_table(table: &Table) -> Table {
    let mut out = table.clone();
    out.set_position(None);
    for (_, item) in out.iter_mut() {
        *item = fresh(item);
    }
    out
}

/// An item as text, to compare two documents written by the same writer.
fn render(item: &Item) -> String {
    match item {
        Item::None => String::new(),
        Item::Value(value) => value.to_string().trim().to_owned(),
        Item::Table(table) => {
            let mut doc = DocumentMut::new();
            doc.insert("t", Item::Table(fresh_table(table)));
            doc.to_string()
        }
        Item::ArrayOfTables(array) => {
            let mut doc = DocumentMut::new();
            doc.insert("t", fresh(&Item::ArrayOfTables(array.clone())));
            doc.to_string()
        }
    }
}

/**
 * What a line tile shows, from the engine's `LineView`. Only an active lamp has
 * current counts; a stale one shows its last known counts marked out of date (or
 * "not known" without any); unknown and failed lamps never show a count, least
 * of all 0. The words of the status come from the engine.
 */
import type { AccountView, CountsView, LampState, LineView, TotalsView } from "./api";

export type { LampState, LineView };

/** The count cells of a tile, in order. `urgent` is the urgent part of `new`. */
export type CountKey = "new" | "old" | "urgent";

export const COUNT_CELLS: readonly { key: CountKey; label: string }[] = [
  { key: "new", label: "New" },
  { key: "old", label: "Old" },
  { key: "urgent", label: "Urgent" },
];

/** What a count cell shows when there is no count to show. */
export const NOT_KNOWN = "—";

/** How the lamp looks: lit (new messages), urgent, off (known empty) or not known. */
export type LampLook = "urgent" | "lit" | "off" | "unknown" | "stale" | "failed";

/** Counts the tile may show: current when active, last known when stale, none otherwise. */
export function shownCounts(line: LineView): CountsView | null {
  return line.lamp === "active" || line.lamp === "stale" ? line.counts : null;
}

/** Whether the counts shown are the last known ones, not current. */
export function isOutOfDate(line: LineView): boolean {
  return line.lamp === "stale" && line.counts !== null;
}

export function lampLook(line: LineView): LampLook {
  if (line.lamp !== "active") return line.lamp;
  const counts = line.counts;
  if (counts === null) return "unknown";
  if (counts.urgent > 0) return "urgent";
  return counts.new > 0 || counts.waitingWithoutCount ? "lit" : "off";
}

/** A count cell: the number when there is one, otherwise a dash. */
export interface CountCell {
  key: CountKey;
  label: string;
  /** What the cell shows: a number or {@link NOT_KNOWN}. */
  text: string;
  /** Words for a screen reader after the text ("not known", "last known"), or null. */
  note: string | null;
}

function cellFor(line: LineView, key: CountKey, label: string): CountCell {
  const counts = shownCounts(line);
  if (counts === null) return { key, label, text: NOT_KNOWN, note: "not known" };
  if (key === "new" && counts.new === 0 && counts.waitingWithoutCount) {
    return { key, label, text: NOT_KNOWN, note: "messages waiting, count not given" };
  }
  const note = isOutOfDate(line) ? "last known, out of date" : null;
  return { key, label, text: String(counts[key]), note };
}

export function countCells(line: LineView): CountCell[] {
  return COUNT_CELLS.map((cell) => cellFor(line, cell.key, cell.label));
}

/** The text of one count cell. */
export function countText(line: LineView, key: CountKey): string {
  return cellFor(line, key, key).text;
}

/** The reason, unless the engine's status already says it. */
export function extraReason(line: LineView): string | null {
  const reason = line.reason?.trim() ?? "";
  return reason === "" || line.status.includes(reason) ? null : reason;
}

/** The number (user part) of a mailbox URI: `sip:1001@pbx` → `1001`. */
export function mailboxNumber(uri: string): string {
  const withoutScheme = uri.replace(/^(?:sips?|tel):/i, "");
  return withoutScheme.split(/[@;?]/, 1)[0];
}

/** The line under the name: the account for a shared mailbox, the number for an own one. */
export function subtitle(line: LineView): string {
  return line.own ? mailboxNumber(line.mailbox) : line.accountName;
}

/** The tile's accessible name: who, the status in words, and when it was last heard of. */
export function tileLabel(line: LineView, updated: string): string {
  const who = line.own ? line.name : `${line.name}, shared mailbox of ${line.accountName}`;
  const reason = extraReason(line);
  const when = updated.charAt(0).toUpperCase() + updated.slice(1);
  return [`${who}: ${line.status}`, reason, when].filter((part) => part !== null).join(". ");
}

const haystacks = new WeakMap<LineView, string>();

function haystack(line: LineView): string {
  let text = haystacks.get(line);
  if (text === undefined) {
    text = [line.name, line.accountName, line.account, line.mailbox, mailboxNumber(line.mailbox)]
      .join("\n")
      .toLowerCase();
    haystacks.set(line, text);
  }
  return text;
}

/** Lines whose name, account or number contain every word of `query` (any case). */
export function filterLines(lines: readonly LineView[], query: string): readonly LineView[] {
  const words = query.toLowerCase().split(/\s+/).filter((word) => word !== "");
  if (words.length === 0) return lines;
  return lines.filter((line) => {
    const text = haystack(line);
    return words.every((word) => text.includes(word));
  });
}

function sameCounts(a: CountsView | null, b: CountsView | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.new === b.new &&
    a.old === b.old &&
    a.urgent === b.urgent &&
    a.urgentOld === b.urgentOld &&
    a.waitingWithoutCount === b.waitingWithoutCount
  );
}

export function sameLine(a: LineView, b: LineView): boolean {
  return (
    a.key === b.key &&
    a.lamp === b.lamp &&
    a.status === b.status &&
    a.updatedAt === b.updatedAt &&
    a.reason === b.reason &&
    a.source === b.source &&
    a.name === b.name &&
    a.accountName === b.accountName &&
    a.own === b.own &&
    a.account === b.account &&
    a.mailbox === b.mailbox &&
    sameCounts(a.counts, b.counts)
  );
}

export function sameAccount(a: AccountView, b: AccountView): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.registration === b.registration &&
    a.reason === b.reason
  );
}

/**
 * `next`, with every item equal to one in `previous` replaced by that earlier
 * object, so a keyed `{#each}` leaves unchanged tiles alone. Returns `previous`
 * itself when nothing changed.
 */
export function reuseUnchanged<T>(
  previous: T[],
  next: T[],
  key: (item: T) => string,
  same: (a: T, b: T) => boolean,
): T[] {
  const before = new Map(previous.map((item) => [key(item), item]));
  let changed = previous.length !== next.length;
  const merged = next.map((item, index) => {
    const old = before.get(key(item));
    if (old !== undefined && same(old, item)) {
      if (previous[index] !== old) changed = true;
      return old;
    }
    changed = true;
    return item;
  });
  return changed ? merged : previous;
}

/** Accounts whose registration needs attention (failed or not known yet). */
export function troubledAccounts(accounts: readonly AccountView[]): AccountView[] {
  return accounts.filter(
    (account) => account.registration === "failed" || account.registration === "unknown",
  );
}

/** An account's registration in words. */
export function registrationWords(account: AccountView): string {
  switch (account.registration) {
    case "registered":
      return "Registered";
    case "failed":
      return "Not registered";
    case "unknown":
      return account.reason === null ? "Registering…" : "Not registered";
    case "unregistered":
      return "Unregistered";
    case "disabled":
      return "Registration turned off";
  }
}

/** A lamp state in words (Diagnostics). */
export function lampWords(lamp: LampState): string {
  switch (lamp) {
    case "active":
      return "Current";
    case "stale":
      return "Out of date";
    case "failed":
      return "Not monitored";
    case "unknown":
      return "Not known yet";
  }
}

/** Where a line's counts came from, in words. */
export function sourceWords(source: LineView["source"]): string {
  switch (source) {
    case "subscription":
      return "Subscription (NOTIFY)";
    case "unsolicited":
      return "Unsolicited NOTIFY";
    case "imap":
      return "Voicemail store (IMAP)";
    case null:
      return NOT_KNOWN;
  }
}

/** The headline over the grid: what is waiting overall, and whether all of it is known. */
export function totalsWords(totals: TotalsView): string | null {
  if (totals.mailboxes === 0) return null;
  let text: string;
  if (totals.new === 0) text = totals.notKnown ? "No new messages known" : "No new messages";
  else {
    text = `${totals.new} new ${totals.new === 1 ? "message" : "messages"}`;
    if (totals.urgent > 0) text += `, ${totals.urgent} urgent`;
  }
  if (totals.failed) return `${text} — some lines cannot be monitored`;
  if (totals.notKnown) return `${text} — some lines are not up to date`;
  return text;
}

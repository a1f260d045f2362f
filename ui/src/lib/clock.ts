import { readable, type Readable } from "svelte/store";

/** How often the shared clock ticks: "x min ago" is at most this late. */
export const TICK_MS = 15_000;

/**
 * The time now (ms since the epoch), ticking every {@link TICK_MS} while anyone
 * listens. One timer for the whole window: tiles share it instead of each
 * running their own.
 */
export const now: Readable<number> = readable(Date.now(), (set) => {
  set(Date.now());
  const timer = setInterval(() => set(Date.now()), TICK_MS);
  return () => clearInterval(timer);
});

/** Milliseconds since the epoch of an RFC 3339 time, or null when absent or unreadable. */
export function parseTime(text: string | null): number | null {
  if (text === null || text === "") return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "1 min ago", "3 h ago", "2 days ago" — never "0 min ago". */
export function ago(then: number, at: number): string {
  const elapsed = at - then;
  if (elapsed < MINUTE) return "just now"; // also a clock running a little behind
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)} min ago`;
  if (elapsed < DAY) return `${Math.floor(elapsed / HOUR)} h ago`;
  const days = Math.floor(elapsed / DAY);
  return days === 1 ? "1 day ago" : `${days} days ago`;
}

let exactFormat: Intl.DateTimeFormat | null = null;
/** Formatting is the dear part of a tile update: times already seen are remembered. */
const exactSeen = new Map<number, string>();
const EXACT_SEEN_MAX = 1024;

/** The exact local time, for a title: one formatter for every call. */
export function exactTime(ms: number): string {
  let text = exactSeen.get(ms);
  if (text === undefined) {
    exactFormat ??= new Intl.DateTimeFormat(undefined, {
      dateStyle: "medium",
      timeStyle: "medium",
    });
    text = exactFormat.format(ms);
    if (exactSeen.size >= EXACT_SEEN_MAX) exactSeen.clear();
    exactSeen.set(ms, text);
  }
  return text;
}

/** "updated 2 min ago" (and the exact time), or "no report yet" without a time. */
export function updatedWords(
  updatedAt: string | null,
  at: number,
): { text: string; exact: string | null } {
  const then = parseTime(updatedAt);
  if (then === null) return { text: "no report yet", exact: null };
  return { text: `updated ${ago(then, at)}`, exact: exactTime(then) };
}

import { VIEWS, type ViewId } from "./views";

export type ShortcutKey = Pick<
  KeyboardEvent,
  "key" | "code" | "altKey" | "ctrlKey" | "metaKey" | "shiftKey"
>;

/**
 * Alt+1…4 or Ctrl+1…4 (Cmd+1…4 on macOS) select a view. Ctrl+Alt is AltGr on
 * many layouts and is left alone, as is anything with Shift.
 */
export function viewForShortcut(event: ShortcutKey): ViewId | null {
  const modifiers = [event.altKey, event.ctrlKey, event.metaKey].filter(Boolean).length;
  if (modifiers !== 1 || event.shiftKey) return null;
  // `code` is layout-independent (Alt+1 types "¡" on a Mac); `key` is the fallback.
  const digit = /^(?:Digit|Numpad)([1-9])$/.exec(event.code)?.[1] ?? /^[1-9]$/.exec(event.key)?.[0];
  if (digit === undefined) return null;
  return VIEWS[Number(digit) - 1]?.id ?? null;
}

/** The shortcut as announced to assistive technology (`aria-keyshortcuts`). */
export function shortcutFor(view: ViewId): string {
  return `Alt+${VIEWS.findIndex((v) => v.id === view) + 1}`;
}

/**
 * Ctrl+Shift+V (Cmd+Shift+V on macOS): call the voicemail of the focused line. Not while
 * typing in a field, where it pastes as plain text.
 */
export function isVoicemailShortcut(event: ShortcutKey): boolean {
  const modifiers = [event.ctrlKey, event.metaKey].filter(Boolean).length;
  if (modifiers !== 1 || !event.shiftKey || event.altKey) return false;
  return event.code === "KeyV" || event.key === "V" || event.key === "v";
}

/** Ctrl+Shift+D (Cmd+Shift+D on macOS): open the dial pad. */
export function isDialShortcut(event: ShortcutKey): boolean {
  const modifiers = [event.ctrlKey, event.metaKey].filter(Boolean).length;
  if (modifiers !== 1 || !event.shiftKey || event.altKey) return false;
  return event.code === "KeyD" || event.key === "D" || event.key === "d";
}

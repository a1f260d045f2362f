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

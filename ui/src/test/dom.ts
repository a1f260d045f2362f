// What a person or a screen reader perceives of rendered tiles.

/** Everything a person or a screen reader could perceive in `root`: text, labels and titles. */
export function perceivable(root: HTMLElement): string {
  const labels = [root, ...root.querySelectorAll("*")].flatMap((el) =>
    ["aria-label", "title"].map((attr) => el.getAttribute(attr) ?? ""),
  );
  return [root.textContent ?? "", ...labels].join(" | ");
}

/** A 0 standing alone ("0", "0 new"), not part of "10", "100" or "09:15". */
export const BARE_ZERO = /(^|\D)0(\D|$)/;

/** The visible text of a tile's new, old and urgent cells. */
export function shownCounts(tile: HTMLElement): (string | undefined)[] {
  return ["new", "old", "urgent"].map(
    (key) => tile.querySelector(`[data-testid=count-${key}] span`)?.textContent ?? undefined,
  );
}

/** The names on the tiles, in order. */
export function tileNames(root: HTMLElement | Document = document): string[] {
  return [...root.querySelectorAll("[data-testid=line-tile] h2")].map((h) => h.textContent ?? "");
}

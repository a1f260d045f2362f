// Arrow-key movement in a wrapping grid of tiles (Lines view).

/**
 * How many tiles sit on the first row, from their boxes. Without a layout (all
 * boxes empty, as under jsdom) the grid is read as one column.
 */
export function gridColumns(boxes: readonly Pick<DOMRect, "top" | "width" | "height">[]): number {
  const first = boxes[0];
  if (first === undefined || (first.width === 0 && first.height === 0)) return 1;
  let columns = 1;
  while (columns < boxes.length && Math.abs(boxes[columns].top - first.top) < 1) columns += 1;
  return columns;
}

/**
 * Where a key moves the focus from tile `index` of `count` tiles laid out in
 * `columns` columns, or null for a key that does not move it. Left and Right
 * run through the tiles in order; Up and Down keep the column (Down from the
 * row above a shorter last row lands on the last tile); Home and End jump to
 * the ends.
 */
export function moveIndex(
  key: string,
  index: number,
  count: number,
  columns: number,
): number | null {
  if (count === 0) return null;
  const last = count - 1;
  const cols = Math.max(1, columns);
  switch (key) {
    case "ArrowLeft":
      return Math.max(0, index - 1);
    case "ArrowRight":
      return Math.min(last, index + 1);
    case "ArrowUp":
      return index - cols >= 0 ? index - cols : index;
    case "ArrowDown":
      if (index + cols <= last) return index + cols;
      return Math.floor(index / cols) < Math.floor(last / cols) ? last : index;
    case "Home":
      return 0;
    case "End":
      return last;
    default:
      return null;
  }
}

/** Whether typing into `target` should keep its keys (inputs, text areas, editable content). */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return (
    target instanceof HTMLInputElement &&
    !["button", "checkbox", "radio", "submit", "reset", "range", "color"].includes(target.type)
  );
}

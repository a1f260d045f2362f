import { describe, expect, it } from "vitest";
import { gridColumns, isTextEntry, moveIndex } from "./gridnav";

const box = (top: number) => ({ top, width: 200, height: 150 });

describe("gridColumns", () => {
  it("counts the tiles on the first row", () => {
    expect(gridColumns([box(0), box(0), box(0), box(160), box(160)])).toBe(3);
    expect(gridColumns([box(0), box(160)])).toBe(1);
    expect(gridColumns([box(0), box(0)])).toBe(2);
  });
  it("reads a grid without a layout as one column", () => {
    expect(gridColumns([])).toBe(1);
    expect(gridColumns([{ top: 0, width: 0, height: 0 }, { top: 0, width: 0, height: 0 }])).toBe(1);
  });
});

describe("moveIndex", () => {
  // 3 columns, 7 tiles:  0 1 2 / 3 4 5 / 6
  it.each([
    ["ArrowRight", 0, 1],
    ["ArrowRight", 6, 6],
    ["ArrowLeft", 3, 2],
    ["ArrowLeft", 0, 0],
    ["ArrowDown", 1, 4],
    ["ArrowDown", 4, 6],
    ["ArrowDown", 6, 6],
    ["ArrowUp", 4, 1],
    ["ArrowUp", 1, 1],
    ["Home", 5, 0],
    ["End", 1, 6],
  ])("%s from %d → %d", (key, from, to) => {
    expect(moveIndex(key, from, 7, 3)).toBe(to);
  });
  it("ignores other keys and empty grids", () => {
    expect(moveIndex("a", 0, 7, 3)).toBeNull();
    expect(moveIndex("ArrowDown", 0, 0, 3)).toBeNull();
  });
});

describe("isTextEntry", () => {
  it("keeps keys for text fields only", () => {
    const text = document.createElement("input");
    const check = document.createElement("input");
    check.type = "checkbox";
    expect(isTextEntry(text)).toBe(true);
    expect(isTextEntry(document.createElement("textarea"))).toBe(true);
    expect(isTextEntry(check)).toBe(false);
    expect(isTextEntry(document.body)).toBe(false);
    expect(isTextEntry(null)).toBe(false);
  });
});

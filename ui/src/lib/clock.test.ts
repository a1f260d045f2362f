import { afterEach, describe, expect, it, vi } from "vitest";
import { ago, now, parseTime, TICK_MS, updatedWords } from "./clock";

const MIN = 60_000;

describe("ago", () => {
  it.each([
    [0, "just now"],
    [59_999, "just now"],
    [-30_000, "just now"],
    [MIN, "1 min ago"],
    [2 * MIN + 5_000, "2 min ago"],
    [59 * MIN, "59 min ago"],
    [60 * MIN, "1 h ago"],
    [23 * 60 * MIN, "23 h ago"],
    [24 * 60 * MIN, "1 day ago"],
    [3 * 24 * 60 * MIN, "3 days ago"],
  ])("%d ms → %s", (elapsed, words) => {
    expect(ago(1_000_000_000, 1_000_000_000 + elapsed)).toBe(words);
  });
});

describe("updatedWords", () => {
  it("reads RFC 3339 and says when, with the exact time", () => {
    const at = Date.parse("2026-11-27T09:15:00Z");
    const words = updatedWords("2026-11-27T09:15:00Z", at + 5 * MIN);
    expect(words.text).toBe("updated 5 min ago");
    expect(words.exact).toMatch(/2026/);
  });
  it("has no time without a report", () => {
    expect(updatedWords(null, Date.now())).toEqual({ text: "no report yet", exact: null });
    expect(parseTime("yesterday-ish")).toBeNull();
  });
});

describe("now", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is one shared timer that ticks while someone listens", () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse("2026-11-27T09:00:00Z"));
    const seen: number[] = [];
    const seenToo: number[] = [];
    const stop = now.subscribe((t) => seen.push(t));
    const stopToo = now.subscribe((t) => seenToo.push(t));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(TICK_MS);
    expect(seen.at(-1)).toBe(Date.parse("2026-11-27T09:00:00Z") + TICK_MS);
    expect(seenToo.at(-1)).toBe(seen.at(-1));
    stop();
    stopToo();
    expect(vi.getTimerCount()).toBe(0);
  });
});

import { describe, expect, it, vi } from "vitest";
import { currentView, hrefFor, navigate, viewFromHash } from "./router";
import type { ViewId } from "./views";

describe("viewFromHash", () => {
  it.each([
    ["#/lines", "lines"],
    ["#/mailbox", "mailbox"],
    ["#/settings", "settings"],
    ["#/diagnostics", "diagnostics"],
    ["#/Settings", "settings"],
    ["#settings", "settings"],
    ["#/mailbox/inbox", "mailbox"],
    ["#/diagnostics?account=1", "diagnostics"],
  ])("%s → %s", (hash, view) => {
    expect(viewFromHash(hash)).toBe(view);
  });

  it.each(["", "#", "#/", "#/nope", "#/lines-and-more", "#//settings"])(
    "unknown or empty %j → lines",
    (hash) => {
      expect(viewFromHash(hash)).toBe("lines");
    },
  );
});

describe("currentView", () => {
  it("starts from the hash and follows hashchange", async () => {
    window.history.replaceState(null, "", "#/settings");
    const seen: ViewId[] = [];
    const stop = currentView.subscribe((view) => seen.push(view));
    expect(seen.at(-1)).toBe("settings");

    navigate("diagnostics");
    await vi.waitFor(() => expect(seen.at(-1)).toBe("diagnostics"));
    expect(window.location.hash).toBe(hrefFor("diagnostics"));
    stop();
  });

  it("shows Lines for an unknown hash and normalises it", () => {
    window.history.replaceState(null, "", "#/bogus");
    const seen: ViewId[] = [];
    const stop = currentView.subscribe((view) => seen.push(view));
    expect(seen).toEqual(["lines"]);
    expect(window.location.hash).toBe("#/lines");
    stop();
  });

  it("stops listening when unsubscribed", async () => {
    const seen: ViewId[] = [];
    const stop = currentView.subscribe((view) => seen.push(view));
    stop();
    navigate("mailbox");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual(["lines"]);
  });
});

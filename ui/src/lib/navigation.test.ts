import { describe, expect, it, vi } from "vitest";
import { fakeNavigation, navigation } from "../test/engine";
import { get } from "svelte/store";
import { applyNavigation, followNavigation, mailboxRequests } from "./navigation";
import { routeFromHash } from "./router";
import type { Navigation } from "./api";

describe("applyNavigation", () => {
  it.each(["lines", "settings", "diagnostics"] as const)("goes to %s", (view) => {
    applyNavigation(navigation({ view, account: "desk", mailbox: "sip:1@pbx" }));
    expect(window.location.hash).toBe(`#/${view}`);
  });

  it("goes to a mailbox and a message", () => {
    applyNavigation(
      navigation({
        view: "mailbox",
        account: "desk",
        mailbox: "sip:1001@pbx",
        messageId: "9",
        play: true,
      }),
    );
    expect(routeFromHash(window.location.hash)).toEqual({
      view: "mailbox",
      params: { account: "desk", mailbox: "sip:1001@pbx", messageId: "9", play: true },
    });
  });

  it("counts every request for a mailbox, even one for the same place again", () => {
    const seen: (number | undefined)[] = [];
    const stop = mailboxRequests.subscribe((r) => seen.push(r?.seq));
    const first = get(mailboxRequests)?.seq ?? 0;
    const again = navigation({ view: "mailbox", account: "desk", messageId: "INBOX/7-1", play: true });
    applyNavigation(again);
    const hash = window.location.hash;
    applyNavigation(again);
    expect(window.location.hash).toBe(hash);
    applyNavigation(navigation({ view: "settings" }));
    expect(seen.slice(1)).toEqual([first + 1, first + 2]);
    expect(get(mailboxRequests)?.params).toEqual({
      account: "desk",
      mailbox: null,
      messageId: "INBOX/7-1",
      play: true,
    });
    stop();
  });

  it("falls back to Lines for a view it does not know", () => {
    window.location.hash = "#/settings";
    applyNavigation({ ...navigation(), view: "elsewhere" as Navigation["view"] });
    expect(window.location.hash).toBe("#/lines");
  });
});

describe("followNavigation", () => {
  it("takes the pending navigation once, then follows events until stopped", async () => {
    const nav = fakeNavigation(navigation({ view: "settings" }));
    const seen: Navigation[] = [];
    const stop = followNavigation((n) => seen.push(n));
    await vi.waitFor(() => expect(seen.map((n) => n.view)).toEqual(["settings"]));
    expect(nav.take).toHaveBeenCalledTimes(1);

    nav.send(navigation({ view: "diagnostics" }));
    expect(seen.map((n) => n.view)).toEqual(["settings", "diagnostics"]);
    stop();
    expect(nav.listeners).toBe(0);
    nav.send(navigation({ view: "lines" }));
    expect(seen).toHaveLength(2);
  });

  it("drops a pending navigation that answers after a newer event", async () => {
    let answer: (n: Navigation | null) => void = () => {};
    const nav = fakeNavigation(new Promise((resolve) => (answer = resolve)));
    const seen: string[] = [];
    const stop = followNavigation((n) => seen.push(n.view));
    await vi.waitFor(() => expect(nav.listeners).toBe(1));
    nav.send(navigation({ view: "diagnostics" }));
    answer(navigation({ view: "settings" }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toEqual(["diagnostics"]);
    stop();
  });

  it("does nothing without a backend", async () => {
    const seen: Navigation[] = [];
    const stop = followNavigation((n) => seen.push(n));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toEqual([]);
    stop();
  });
});

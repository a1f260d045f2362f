import { describe, expect, it, vi } from "vitest";
import {
  currentRoute,
  currentView,
  hrefFor,
  navigate,
  NO_PARAMS,
  routeFromHash,
  viewFromHash,
  type Route,
} from "./router";
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

describe("mailbox parameters", () => {
  it("reads the mailbox, message and play from the hash", () => {
    expect(
      routeFromHash("#/mailbox?account=desk&mailbox=sip%3A1001%40pbx&message=42&play=1"),
    ).toEqual({
      view: "mailbox",
      params: { account: "desk", mailbox: "sip:1001@pbx", messageId: "42", play: true },
    });
    expect(routeFromHash("#/mailbox?mailbox=sip:1001@pbx&play=0").params).toEqual({
      account: null,
      mailbox: "sip:1001@pbx",
      messageId: null,
      play: false,
    });
    expect(routeFromHash("#/mailbox").params).toEqual(NO_PARAMS);
  });

  it("keeps parameters for the Mailbox view only", () => {
    expect(routeFromHash("#/lines?account=desk").params).toEqual(NO_PARAMS);
    expect(hrefFor("settings", { account: "desk" })).toBe("#/settings");
  });

  it("writes a hash that reads back the same", () => {
    const params = {
      account: "desk one",
      mailbox: "sip:+49 30@pbx;user=phone",
      messageId: "a&b",
      play: true,
    };
    const href = hrefFor("mailbox", params);
    expect(href).toBe(
      "#/mailbox?account=desk%20one&mailbox=sip%3A%2B49%2030%40pbx%3Buser%3Dphone" +
        "&message=a%26b&play=1",
    );
    expect(routeFromHash(href)).toEqual({ view: "mailbox", params });
    expect(hrefFor("mailbox", { account: "", play: false })).toBe("#/mailbox");
  });

  it("tidies the hash and follows a change of mailbox without a change of view", async () => {
    window.history.replaceState(null, "", "#/mailbox?mailbox=sip:1@pbx&account=desk&junk=1");
    const routes: Route[] = [];
    const views: ViewId[] = [];
    const stopRoutes = currentRoute.subscribe((route) => routes.push(route));
    const stopViews = currentView.subscribe((view) => views.push(view));
    expect(window.location.hash).toBe("#/mailbox?account=desk&mailbox=sip%3A1%40pbx");
    expect(routes.at(-1)?.params.mailbox).toBe("sip:1@pbx");

    navigate("mailbox", { account: "desk", mailbox: "sip:2@pbx" });
    await vi.waitFor(() => expect(routes.at(-1)?.params.mailbox).toBe("sip:2@pbx"));
    expect(views).toEqual(["mailbox"]);
    stopRoutes();
    stopViews();
  });
});

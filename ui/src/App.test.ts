import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { tick } from "svelte";
import { describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import { VIEWS } from "./lib/views";
import { counts, engineView, fakeEngine, fakeNavigation, line, navigation } from "./test/engine";
import { fakeMailbox, fakeMedia } from "./test/mailbox";

function expectActive(id: string) {
  for (const view of VIEWS) {
    const link = screen.getByTestId(`nav-${view.id}`);
    if (view.id === id) expect(link).toHaveAttribute("aria-current", "page");
    else expect(link).not.toHaveAttribute("aria-current");
  }
}

describe("App", () => {
  it("opens on Lines with its heading and the nav item current", () => {
    render(App);
    const view = screen.getByTestId("view-lines");
    expect(view).toContainElement(screen.getByRole("heading", { level: 1, name: "Lines" }));
    expect(screen.getByRole("main")).toContainElement(view);
    expectActive("lines");
  });

  it("names each nav item after its view", () => {
    render(App);
    for (const view of VIEWS) {
      expect(screen.getByRole("link", { name: view.name })).toBe(
        screen.getByTestId(`nav-${view.id}`),
      );
    }
  });

  it.each(VIEWS.map((v) => [v.id, v.name]))("opens %s from its hash", (id, name) => {
    window.history.replaceState(null, "", `#/${id}`);
    render(App);
    expect(screen.getByTestId(`view-${id}`)).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent(name);
    expectActive(id);
  });

  it("falls back to Lines for an unknown hash", () => {
    window.history.replaceState(null, "", "#/no-such-view");
    render(App);
    expect(screen.getByTestId("view-lines")).toBeInTheDocument();
    expect(window.location.hash).toBe("#/lines");
  });

  it("switches views from the nav", async () => {
    render(App);
    await fireEvent.click(screen.getByTestId("nav-settings"));
    expect(await screen.findByTestId("view-settings")).toBeInTheDocument();
    expect(screen.queryByTestId("view-lines")).not.toBeInTheDocument();
    expectActive("settings");

    await fireEvent.click(screen.getByTestId("nav-mailbox"));
    expect(await screen.findByTestId("view-mailbox")).toBeInTheDocument();
    expectActive("mailbox");
  });

  it("switches views with Alt+1…4 and Ctrl+1…4", async () => {
    render(App);
    await fireEvent.keyDown(window, { key: "3", code: "Digit3", altKey: true });
    expect(await screen.findByTestId("view-settings")).toBeInTheDocument();
    await fireEvent.keyDown(window, { key: "4", code: "Digit4", ctrlKey: true });
    expect(await screen.findByTestId("view-diagnostics")).toBeInTheDocument();
    await fireEvent.keyDown(window, { key: "2", code: "Digit2", altKey: true });
    expect(await screen.findByTestId("view-mailbox")).toBeInTheDocument();
    await fireEvent.keyDown(window, { key: "1", code: "Digit1", altKey: true });
    expect(await screen.findByTestId("view-lines")).toBeInTheDocument();
    expectActive("lines");
  });

  it("leaves AltGr (Ctrl+Alt) digits alone", async () => {
    render(App);
    const event = new KeyboardEvent("keydown", {
      key: "2",
      code: "Digit2",
      altKey: true,
      ctrlKey: true,
      cancelable: true,
    });
    window.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(screen.getByTestId("view-lines")).toBeInTheDocument();
  });

  it("leads from the empty Lines view to Settings", async () => {
    fakeEngine(engineView([], []));
    render(App);
    expect(await screen.findByText("No lines are configured")).toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Open Settings" }));
    expect(await screen.findByTestId("view-settings")).toBeInTheDocument();
  });

  it("opens a tile's mailbox: the account's store", async () => {
    fakeEngine(
      engineView([line({ name: "Front desk", accountName: "Reception", counts: counts(1) })]),
    );
    const backend = fakeMailbox([{ account: "desk", name: "Reception" }]);
    render(App);
    const tile = await screen.findByTestId("line-tile");
    tile.focus();
    await fireEvent.keyDown(tile, { key: "Enter" });
    const view = await screen.findByTestId("view-mailbox");
    expectActive("mailbox");
    expect(within(view).getByRole("heading", { level: 1 })).toHaveTextContent("Mailbox");
    await waitFor(() => expect(screen.getAllByTestId("mailbox-message")).toHaveLength(3));
    expect(backend.list).toHaveBeenCalledWith("desk", null);
    expect(view).toHaveTextContent("Reception · Inbox");
  });

  it("says a tile's account has no store, by the account's name", async () => {
    fakeEngine(engineView([line({ account: "night", accountName: "Night line" })]));
    fakeMailbox([]);
    render(App);
    const tile = await screen.findByTestId("line-tile");
    tile.focus();
    await fireEvent.keyDown(tile, { key: "Enter" });
    expect(await screen.findByTestId("mailbox-no-store")).toHaveTextContent(
      "Night line's lamp comes from SIP only",
    );
  });

  it("goes where the backend asked before the window was ready, and plays", async () => {
    const nav = fakeNavigation(
      navigation({
        view: "mailbox",
        account: "desk",
        mailbox: "sip:1001@pbx",
        messageId: "INBOX/7-2",
        play: true,
      }),
    );
    const backend = fakeMailbox();
    const media = fakeMedia();
    render(App);
    expect(await screen.findByTestId("view-mailbox")).toBeInTheDocument();
    expect(window.location.hash).toBe(
      "#/mailbox?account=desk&mailbox=sip%3A1001%40pbx&message=INBOX%2F7-2&play=1",
    );
    const player = screen.getByTestId("mailbox-player");
    await waitFor(() => expect(player).toHaveAttribute("data-state", "playing"));
    expect(backend.audio).toHaveBeenCalledExactlyOnceWith("desk", "INBOX", "7-2");
    expect(media.play).toHaveBeenCalledTimes(1);
    expect(nav.take).toHaveBeenCalledTimes(1);
  });

  it("plays again when the same message is asked for again (the hash does not change)", async () => {
    const nav = fakeNavigation(null);
    const backend = fakeMailbox();
    const media = fakeMedia();
    render(App);
    await vi.waitFor(() => expect(nav.listeners).toBe(1));
    const again = navigation({ view: "mailbox", account: "desk", messageId: "INBOX/7-3", play: true });
    nav.send(again);
    const player = await screen.findByTestId("mailbox-player");
    await waitFor(() => expect(player).toHaveAttribute("data-state", "playing"));
    const audio = screen.getByTestId("mailbox-audio") as HTMLAudioElement;
    audio.currentTime = 30;
    await fireEvent(audio, new Event("ended"));
    expect(player).toHaveAttribute("data-state", "ended");
    await waitFor(() => expect(backend.act).toHaveBeenCalledWith("desk", "INBOX", "7-3", "markHeard"));

    nav.send(again);
    await waitFor(() => expect(player).toHaveAttribute("data-state", "playing"));
    expect(media.play).toHaveBeenCalledTimes(2);
    expect(audio.currentTime).toBe(0);
    // The clip was kept: played again without fetching it again.
    expect(backend.audio).toHaveBeenCalledTimes(1);
    expect(backend.list).toHaveBeenCalledTimes(2);

    // Another message of the same store, asked for while the view is open.
    nav.send({ ...again, messageId: "INBOX/7-1" });
    await waitFor(() => expect(backend.audio).toHaveBeenLastCalledWith("desk", "INBOX", "7-1"));
    await waitFor(() => expect(player).toHaveAttribute("data-state", "playing"));
    expect(
      screen.getAllByTestId("mailbox-message").find((r) => r.getAttribute("aria-selected") === "true"),
    ).toHaveAttribute("data-id", "7-1");
  });

  it("follows navigateTo while open, and stops when it goes", async () => {
    const nav = fakeNavigation(null);
    const { unmount } = render(App);
    await tick();
    await vi.waitFor(() => expect(nav.listeners).toBe(1));
    nav.send(navigation({ view: "diagnostics" }));
    expect(await screen.findByTestId("view-diagnostics")).toBeInTheDocument();
    nav.send(navigation({ view: "settings" }));
    expect(await screen.findByTestId("view-settings")).toBeInTheDocument();
    unmount();
    expect(nav.listeners).toBe(0);
  });

  it("shows the Mailbox's first store when none is asked for", async () => {
    window.history.replaceState(null, "", "#/mailbox");
    fakeMailbox();
    render(App);
    await waitFor(() => expect(screen.getAllByTestId("mailbox-message")).toHaveLength(3));
    expect(screen.getByTestId("mailbox-store-select")).toHaveValue("desk");
  });

  it("lists the Settings sections", () => {
    window.history.replaceState(null, "", "#/settings");
    render(App);
    for (const name of ["Accounts", "Notifications", "Privacy", "Startup", "Appearance"]) {
      expect(screen.getByRole("heading", { level: 2, name })).toBeInTheDocument();
    }
  });
});

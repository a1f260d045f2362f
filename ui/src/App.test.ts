import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { tick } from "svelte";
import { describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import { VIEWS } from "./lib/views";
import { counts, engineView, fakeEngine, fakeNavigation, line, navigation } from "./test/engine";

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

  it("opens a tile's mailbox and shows which one was asked for", async () => {
    fakeEngine(
      engineView([line({ name: "Front desk", accountName: "Reception", counts: counts(1) })]),
    );
    render(App);
    const tile = await screen.findByTestId("line-tile");
    tile.focus();
    await fireEvent.keyDown(tile, { key: "Enter" });
    const view = await screen.findByTestId("view-mailbox");
    expectActive("mailbox");
    expect(within(view).getByRole("heading", { level: 1 })).toHaveTextContent("Mailbox");
    expect(screen.getByTestId("mailbox-target")).toBeInTheDocument();
    expect(screen.getByTestId("mailbox-account")).toHaveTextContent("Reception");
    expect(screen.getByTestId("mailbox-uri")).toHaveTextContent("sip:1001@pbx.example");
    expect(view).toHaveTextContent("Front desk");
  });

  it("goes where the backend asked before the window was ready", async () => {
    const nav = fakeNavigation(
      navigation({
        view: "mailbox",
        account: "desk",
        mailbox: "sip:1001@pbx",
        messageId: "17",
        play: true,
      }),
    );
    render(App);
    expect(await screen.findByTestId("view-mailbox")).toBeInTheDocument();
    expect(screen.getByTestId("mailbox-message")).toHaveTextContent("17 (play when opened)");
    expect(window.location.hash).toBe(
      "#/mailbox?account=desk&mailbox=sip%3A1001%40pbx&message=17&play=1",
    );
    expect(nav.take).toHaveBeenCalledTimes(1);
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

  it("shows the Mailbox empty state", () => {
    window.history.replaceState(null, "", "#/mailbox");
    render(App);
    expect(screen.getByText("No mailbox selected")).toBeInTheDocument();
  });

  it("lists the Settings sections", () => {
    window.history.replaceState(null, "", "#/settings");
    render(App);
    for (const name of ["Accounts", "Notifications", "Privacy", "Startup", "Appearance"]) {
      expect(screen.getByRole("heading", { level: 2, name })).toBeInTheDocument();
    }
  });
});

import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { VIEWS } from "./lib/views";

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
    render(App);
    expect(screen.getByText("No lines yet — add a SIP account in Settings")).toBeInTheDocument();
    await fireEvent.click(screen.getByRole("button", { name: "Open Settings" }));
    expect(await screen.findByTestId("view-settings")).toBeInTheDocument();
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

import { invoke } from "@tauri-apps/api/core";
import { render, screen, within } from "@testing-library/svelte";
import { tick } from "svelte";
import { describe, expect, it, vi } from "vitest";
import { commands } from "../bindings";
import { UI_VERSION } from "../lib/version";
import { account, counts, engineView, fakeEngine, line } from "../test/engine";
import Diagnostics from "./Diagnostics.svelte";

describe("Diagnostics", () => {
  it("shows the app and engine versions from the backend and the UI version", async () => {
    const appInfo = vi
      .spyOn(commands, "appInfo")
      .mockResolvedValue({ name: "Voicelamp", version: "1.4.2", engineVersion: "0.9.1" });
    render(Diagnostics);
    expect(screen.getByRole("heading", { level: 1, name: "Diagnostics" })).toBeInTheDocument();
    expect(await screen.findByText("Voicelamp")).toBeInTheDocument();
    expect(screen.getByTestId("app-name")).toHaveTextContent("Voicelamp");
    expect(screen.getByTestId("app-version")).toHaveTextContent("1.4.2");
    expect(screen.getByTestId("engine-version")).toHaveTextContent("0.9.1");
    expect(screen.getByTestId("ui-version")).toHaveTextContent(UI_VERSION);
    expect(UI_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(appInfo).toHaveBeenCalledTimes(1);
  });

  it("says so when the backend cannot be reached", async () => {
    render(Diagnostics);
    expect(await screen.findByRole("alert")).toHaveTextContent("engine is not available");
    expect(screen.getByTestId("app-name")).toHaveTextContent("—");
    expect(screen.getByTestId("ui-version")).toHaveTextContent(UI_VERSION);
    expect(vi.mocked(invoke)).toHaveBeenCalled();
  });

  it("lists each account's registration and its mailboxes' lamps", async () => {
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000 - 1_000).toISOString();
    const engine = fakeEngine(
      engineView(
        [
          line({
            name: "Front desk",
            account: "desk",
            number: "1001",
            counts: counts(2),
            updatedAt: minutesAgo(3),
          }),
          line({
            name: "Sales",
            account: "desk",
            number: "2200",
            own: false,
            lamp: "stale",
            counts: counts(1),
            reason: "Subscription ended",
            updatedAt: minutesAgo(90),
          }),
          line({
            name: "Night",
            account: "night",
            number: "3300",
            lamp: "failed",
            reason: "403 Forbidden",
            updatedAt: minutesAgo(1),
          }),
        ],
        [
          account("desk", "registered", null, "Reception"),
          account("night", "failed", "cannot reach the server: connection refused", "Night line"),
          account("spare", "unknown", null, "Spare"),
        ],
        { configPath: "/etc/voicelamp.toml" },
      ),
    );
    render(Diagnostics);
    const sections = await screen.findAllByTestId("diag-account");
    expect(sections.map((s) => s.dataset.account)).toEqual(["desk", "night", "spare"]);
    expect(screen.getByTestId("diag-config-path")).toHaveTextContent("/etc/voicelamp.toml");
    expect(screen.getByTestId("diag-config-state")).toHaveTextContent("In use");

    const [desk, night, spare] = sections;
    expect(within(desk).getByRole("heading", { level: 3 })).toHaveTextContent("Reception (desk)");
    expect(within(desk).getByTestId("diag-registration")).toHaveTextContent("Registered");
    const rows = within(desk).getAllByTestId("diag-line");
    expect(rows.map((r) => r.dataset.lamp)).toEqual(["active", "stale"]);
    expect(within(rows[0]).getByTestId("diag-line-lamp")).toHaveTextContent("Current");
    expect(within(rows[0]).getByTestId("diag-line-source")).toHaveTextContent(
      "Subscription (NOTIFY)",
    );
    expect(within(rows[0]).getByTestId("diag-line-updated")).toHaveTextContent("updated 3 min ago");
    expect(within(rows[0]).getByTestId("diag-line-updated").getAttribute("title")).toMatch(/\d/);
    expect(within(rows[1]).getByTestId("diag-line-lamp")).toHaveTextContent(
      "Out of date: Subscription ended",
    );
    expect(rows[1]).toHaveTextContent("sip:2200@pbx.example (shared)");
    expect(within(rows[1]).getByTestId("diag-line-updated")).toHaveTextContent("updated 1 h ago");

    expect(within(night).getByTestId("diag-registration")).toHaveTextContent(
      "Not registered: cannot reach the server: connection refused",
    );
    const nightRow = within(night).getByTestId("diag-line");
    expect(within(nightRow).getByTestId("diag-line-lamp")).toHaveTextContent(
      "Not monitored: 403 Forbidden",
    );
    expect(within(nightRow).getByTestId("diag-line-source")).toHaveTextContent("—");
    expect(within(spare).getByTestId("diag-registration")).toHaveTextContent("Registering…");
    expect(spare).toHaveTextContent("No mailbox is watched for this account.");

    engine.emit(
      engineView([], [account("desk", "failed", "timeout", "Reception")], {
        configError: "line 3: bad aor",
      }),
    );
    await tick();
    expect(screen.getByTestId("diag-registration")).toHaveTextContent("Not registered: timeout");
    expect(screen.getByTestId("diag-config-state")).toHaveTextContent("line 3: bad aor");
  });

  it("says when no account is configured", async () => {
    fakeEngine(engineView([], []));
    render(Diagnostics);
    expect(await screen.findByTestId("diag-no-accounts")).toHaveTextContent(
      "No accounts are configured",
    );
  });
});

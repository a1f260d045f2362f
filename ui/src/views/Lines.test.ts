import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { tick } from "svelte";
import { describe, expect, it, vi } from "vitest";
import { commands, events } from "../bindings";
import type { CountsView, LampState } from "../lib/api";
import type { CallsView } from "../lib/call";
import { fakeActions, missed } from "../test/call";
import { BARE_ZERO, perceivable, shownCounts, tileNames } from "../test/dom";
import { account, counts, engineView, fakeEngine, fakeEvent, line } from "../test/engine";
import Lines from "./Lines.svelte";

const FRONT = line({ name: "Front desk", number: "1001", counts: counts(2, 1, 1) });
const SALES = line({
  name: "Sales",
  number: "2200",
  own: false,
  account: "desk",
  accountName: "Reception",
  counts: counts(1),
});
const NIGHT = line({ name: "Night line", number: "3300", account: "night", lamp: "unknown" });
const THREE = engineView(
  [FRONT, SALES, NIGHT],
  [account("desk", "registered", null, "Reception"), account("night", "registered", null, "Night")],
);

async function renderLines(view = THREE) {
  const engine = fakeEngine(view);
  const result = render(Lines);
  if (view.lines.lines.length > 0) await screen.findAllByTestId("line-tile");
  else await screen.findByTestId("lines-empty");
  return { engine, ...result };
}

function tile(name: string): HTMLElement {
  const heading = screen.getByRole("heading", { level: 2, name });
  const found = heading.closest<HTMLElement>("[data-testid=line-tile]");
  if (found === null) throw new Error(`no tile for ${name}`);
  return found;
}

describe("Lines view", () => {
  it("shows the engine's lines in its order, one tile each", async () => {
    await renderLines();
    const grid = screen.getByRole("list", { name: "Lines and mailboxes" });
    expect(within(grid).getAllByTestId("line-tile")).toHaveLength(3);
    expect(tileNames()).toEqual(["Front desk", "Sales", "Night line"]);
    expect(shownCounts(tile("Front desk"))).toEqual(["2", "1", "1"]);
    expect(within(tile("Front desk")).getByTestId("line-status")).toHaveTextContent(
      "2 new (1 urgent), 1 old",
    );
    expect(within(tile("Sales")).getByTestId("line-subtitle")).toHaveTextContent("Reception");
    expect(tile("Night line")).toHaveAttribute("data-lamp", "unknown");
    expect(screen.getByTestId("line-filter-count")).toHaveTextContent("3 lines");
    expect(screen.getByTestId("lines-totals")).toHaveTextContent(
      "3 new messages, 1 urgent — some lines are not up to date",
    );
    expect(screen.queryByTestId("lines-empty")).not.toBeInTheDocument();
    expect(screen.queryByTestId("config-error")).not.toBeInTheDocument();
    expect(screen.queryByTestId("account-health")).not.toBeInTheDocument();
  });

  it("follows linesChanged, updating tiles in place", async () => {
    const { engine } = await renderLines();
    const front = tile("Front desk");
    const night = tile("Night line");
    const sales = tile("Sales");

    const nightActive = line({
      name: "Night line",
      number: "3300",
      account: "night",
      counts: counts(5, 0, 2),
    });
    engine.emit(engineView([nightActive, FRONT, SALES], THREE.lines.accounts));
    await tick();

    expect(tileNames()).toEqual(["Night line", "Front desk", "Sales"]);
    expect(tile("Night line")).toBe(night);
    expect(night).toHaveAttribute("data-look", "urgent");
    expect(shownCounts(night)).toEqual(["5", "0", "2"]);
    expect(tile("Front desk")).toBe(front);
    expect(tile("Sales")).toBe(sales);

    engine.emit(engineView([FRONT], THREE.lines.accounts));
    await tick();
    expect(tileNames()).toEqual(["Front desk"]);
    expect(screen.getByTestId("line-filter-count")).toHaveTextContent("1 line");
  });

  it("ages every tile's last update from one shared clock", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    try {
      vi.setSystemTime(Date.parse("2026-11-27T09:15:00Z"));
      const at = new Date().toISOString();
      const lines = [FRONT, SALES].map((l) => ({ ...l, updatedAt: at }));
      await renderLines(engineView(lines));
      const updated = () => screen.getAllByTestId("line-updated").map((el) => el.textContent);
      expect(updated()).toEqual(["updated just now", "updated just now"]);
      expect(vi.getTimerCount()).toBe(1);

      vi.advanceTimersByTime(2 * 60_000);
      await tick();
      expect(updated()).toEqual(["updated 2 min ago", "updated 2 min ago"]);
      expect(tile("Sales")).toHaveAccessibleName(/Updated 2 min ago$/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("stops listening when it goes", async () => {
    const { engine, unmount } = await renderLines();
    expect(engine.listeners).toBe(1);
    unmount();
    expect(engine.listeners).toBe(0);
  });

  it("filters by name, account and number", async () => {
    await renderLines();
    const filter = screen.getByTestId("line-filter");
    const search = async (text: string) => {
      await fireEvent.input(filter, { target: { value: text } });
      return tileNames();
    };
    expect(await search("sales")).toEqual(["Sales"]);
    expect(screen.getByTestId("line-filter-count")).toHaveTextContent("1 of 3 lines");
    expect(await search("RECEPTION")).toEqual(["Sales"]);
    expect(await search("3300")).toEqual(["Night line"]);
    expect(await search("night")).toEqual(["Night line"]);
    expect(await search("desk 1001")).toEqual(["Front desk"]);
    expect(await search("  ")).toEqual(["Front desk", "Sales", "Night line"]);

    expect(await search("nobody")).toEqual([]);
    expect(screen.getByTestId("lines-no-match")).toHaveTextContent("No line matches “nobody”");
    await fireEvent.keyDown(filter, { key: "Escape" });
    expect(filter).toHaveValue("");
    expect(tileNames()).toHaveLength(3);
  });

  it("keeps the filter while lines change", async () => {
    const { engine } = await renderLines();
    await fireEvent.input(screen.getByTestId("line-filter"), { target: { value: "sales" } });
    engine.emit(engineView([SALES, FRONT], THREE.lines.accounts));
    await tick();
    expect(tileNames()).toEqual(["Sales"]);
  });

  it("moves between tiles with the arrow keys, one tab stop for the grid", async () => {
    await renderLines();
    const tiles = screen.getAllByTestId("line-tile");
    expect(tiles.map((t) => t.getAttribute("tabindex"))).toEqual(["0", "-1", "-1"]);

    tiles[0].focus();
    await fireEvent.keyDown(tiles[0], { key: "ArrowRight" });
    expect(document.activeElement).toBe(tiles[1]);
    expect(tiles.map((t) => t.getAttribute("tabindex"))).toEqual(["-1", "0", "-1"]);
    await fireEvent.keyDown(tiles[1], { key: "ArrowDown" });
    expect(document.activeElement).toBe(tiles[2]);
    await fireEvent.keyDown(tiles[2], { key: "ArrowDown" });
    expect(document.activeElement).toBe(tiles[2]);
    await fireEvent.keyDown(tiles[2], { key: "Home" });
    expect(document.activeElement).toBe(tiles[0]);
    await fireEvent.keyDown(tiles[0], { key: "ArrowLeft" });
    expect(document.activeElement).toBe(tiles[0]);
    await fireEvent.keyDown(tiles[0], { key: "End" });
    expect(document.activeElement).toBe(tiles[2]);
    await fireEvent.keyDown(tiles[2], { key: "ArrowUp" });
    expect(document.activeElement).toBe(tiles[1]);
  });

  it("keeps the focus on a tile that moves when the order changes", async () => {
    const { engine } = await renderLines();
    const night = tile("Night line");
    night.focus();
    const nightFirst = line({
      name: "Night line",
      number: "3300",
      account: "night",
      counts: counts(9, 0, 3),
    });
    for (const order of [[nightFirst, FRONT, SALES], [FRONT, SALES, NIGHT]]) {
      engine.emit(engineView(order, THREE.lines.accounts));
      await tick();
      expect(tileNames()).toEqual(order.map((l) => l.name));
      expect(document.activeElement).toBe(night);
    }
  });

  it("opens the line's mailbox with Enter", async () => {
    await renderLines();
    const sales = tile("Sales");
    sales.focus();
    const enter = new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true });
    sales.dispatchEvent(enter);
    expect(enter.defaultPrevented).toBe(true);
    expect(window.location.hash).toBe("#/mailbox?account=desk&mailbox=sip%3A2200%40pbx.example");
  });

  it("focuses the filter with /, but not while typing", async () => {
    await renderLines();
    const filter = screen.getByTestId("line-filter");
    const slash = new KeyboardEvent("keydown", { key: "/", bubbles: true, cancelable: true });
    document.body.dispatchEvent(slash);
    expect(slash.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(filter);

    const typed = new KeyboardEvent("keydown", { key: "/", bubbles: true, cancelable: true });
    filter.dispatchEvent(typed);
    expect(typed.defaultPrevented).toBe(false);

    await fireEvent.keyDown(filter, { key: "ArrowDown" });
    expect(document.activeElement).toBe(tile("Front desk"));
  });

  it("never shows 0 or a count for unknown or failed lines; stale ones are marked", async () => {
    const lamps: LampState[] = ["unknown", "active", "stale", "failed"];
    const sent: (CountsView | null)[] = [
      null,
      counts(0),
      counts(0, 4),
      counts(3, 0, 1),
      counts(10, 100),
      { ...counts(0), waitingWithoutCount: true },
    ];
    const reasons = [null, "408 Request Timeout", "No NOTIFY since 09:15"];
    const lines = lamps.flatMap((lamp, l) =>
      sent.flatMap((c, s) =>
        reasons.map((reason, r) =>
          // Names and numbers without a 0 of their own, so any 0 seen is a count.
          line({
            name: `Line ${lamp} ${"abcdef"[s]}${"xyz"[r]}`,
            number: `7${l + 1}${s + 1}${r + 1}`,
            lamp,
            counts: c,
            reason,
          }),
        ),
      ),
    );
    await renderLines(engineView(lines));
    const tiles = screen.getAllByTestId("line-tile");
    expect(tiles).toHaveLength(lines.length);
    for (const [index, el] of tiles.entries()) {
      const sentLine = lines[index];
      const cells = shownCounts(el);
      if (sentLine.lamp === "unknown" || sentLine.lamp === "failed") {
        expect(cells, sentLine.name).toEqual(["—", "—", "—"]);
        expect(perceivable(el), sentLine.name).not.toMatch(BARE_ZERO);
      } else if (sentLine.lamp === "stale") {
        if (sentLine.counts === null) {
          expect(cells, sentLine.name).toEqual(["—", "—", "—"]);
          expect(perceivable(el), sentLine.name).not.toMatch(BARE_ZERO);
        } else {
          expect(el, sentLine.name).toHaveAttribute("data-out-of-date");
          expect(within(el).getByTestId("line-out-of-date")).toBeVisible();
          expect(within(el).getByTestId("count-old")).toHaveTextContent("last known");
        }
      } else if (sentLine.counts !== null && !sentLine.counts.waitingWithoutCount) {
        const c = sentLine.counts;
        expect(cells, sentLine.name).toEqual([String(c.new), String(c.old), String(c.urgent)]);
        expect(el).not.toHaveAttribute("data-out-of-date");
      }
    }
  });

  it("shows the account health strip for accounts that are not registered", async () => {
    await renderLines(
      engineView(
        [FRONT],
        [
          account("desk", "registered", null, "Reception"),
          account("back", "failed", "cannot reach the server: connection refused", "Back office"),
          account("new", "unknown", null, "New branch"),
          account("off", "disabled", null, "Paging"),
        ],
      ),
    );
    const strip = screen.getByTestId("account-health");
    const items = within(strip).getAllByTestId("account-health-item");
    expect(items.map((i) => i.dataset.account)).toEqual(["back", "new"]);
    expect(items[0]).toHaveTextContent(
      "Back office Not registered: cannot reach the server: connection refused",
    );
    expect(items[1]).toHaveTextContent("New branch Registering…");
  });

  it("shows a configuration error with the file", async () => {
    await renderLines(
      engineView([], [], {
        configError: "config.toml line 4: accounts[0].aor: not a SIP URI",
        configPath: "/home/ann/.config/voicelamp/config.toml",
      }),
    );
    const banner = screen.getByTestId("config-error");
    expect(banner).toHaveAttribute("role", "alert");
    expect(banner).toHaveTextContent("accounts[0].aor: not a SIP URI");
    expect(within(banner).getByTestId("config-path")).toHaveTextContent(
      "/home/ann/.config/voicelamp/config.toml",
    );
  });

  it("says no lines are configured and points to Settings", async () => {
    await renderLines(engineView([], []));
    const empty = screen.getByTestId("lines-empty");
    expect(empty).toHaveTextContent("No lines are configured");
    expect(empty).toHaveTextContent("~/.config/voicelamp/config.toml");
    expect(screen.queryByTestId("line-filter")).not.toBeInTheDocument();
    await fireEvent.click(within(empty).getByRole("button", { name: "Open Settings" }));
    expect(window.location.hash).toBe("#/settings");
  });

  it("says so when the engine cannot be asked", async () => {
    fakeEngine(new Error("no engine"));
    render(Lines);
    expect(await screen.findByTestId("lines-error")).toHaveTextContent("engine is not available");
    expect(screen.queryByTestId("lines-empty")).not.toBeInTheDocument();
  });
});

describe("Lines view: calls", () => {
  it("each tile's voicemail key calls its line's voicemail", async () => {
    const actions = fakeActions();
    fakeEngine(THREE);
    render(Lines, { actions });
    await screen.findAllByTestId("line-tile");
    const keys = screen.getAllByTestId("line-voicemail");
    expect(keys).toHaveLength(3);
    expect(keys[0]).toHaveAccessibleName("Call voicemail — Front desk");
    await fireEvent.click(keys[0]);
    expect(actions.voicemail).toHaveBeenLastCalledWith("desk");
    await fireEvent.click(keys[2]);
    expect(actions.voicemail).toHaveBeenLastCalledWith("night");
    // Only the grid's current tile and its key are Tab stops.
    expect(keys.map((k) => k.tabIndex)).toEqual([0, -1, -1]);
  });

  it("Ctrl+Shift+V calls the voicemail of the focused line", async () => {
    const actions = fakeActions();
    fakeEngine(THREE);
    render(Lines, { actions });
    await screen.findAllByTestId("line-tile");
    tile("Night line").focus();
    await fireEvent.keyDown(tile("Night line"), {
      key: "V",
      code: "KeyV",
      ctrlKey: true,
      shiftKey: true,
    });
    expect(actions.voicemail).toHaveBeenCalledWith("night");
    // Typing in the filter: the shortcut pastes there, nothing is called.
    const filter = screen.getByTestId("line-filter");
    filter.focus();
    await fireEvent.keyDown(filter, { key: "V", code: "KeyV", ctrlKey: true, shiftKey: true });
    expect(actions.voicemail).toHaveBeenCalledOnce();
  });

  it("the dial pad opens from the toolbar or Ctrl+Shift+D and calls on the chosen line", async () => {
    const actions = fakeActions();
    fakeEngine(THREE);
    render(Lines, { actions });
    await screen.findAllByTestId("line-tile");
    await fireEvent.click(screen.getByTestId("dial-open"));
    expect(screen.getByTestId("dial-pad")).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("dial-close"));
    expect(screen.queryByTestId("dial-pad")).not.toBeInTheDocument();
    await fireEvent.keyDown(window, { key: "D", code: "KeyD", ctrlKey: true, shiftKey: true });
    await fireEvent.change(screen.getByTestId("dial-line"), { target: { value: "night" } });
    await fireEvent.input(screen.getByTestId("dial-input"), { target: { value: "1002" } });
    await fireEvent.click(screen.getByTestId("dial-call"));
    expect(actions.start).toHaveBeenCalledWith("night", "1002");
  });

  it("lists missed calls from the call events", async () => {
    fakeEngine(THREE);
    const changed = fakeEvent<CallsView>(events.callChanged);
    vi.spyOn(commands, "callsView").mockResolvedValue({
      status: "ok",
      data: { call: null, missed: [], volume: 100 },
    });
    render(Lines, { actions: fakeActions() });
    await screen.findAllByTestId("line-tile");
    expect(screen.queryByTestId("missed-calls")).not.toBeInTheDocument();
    await vi.waitFor(() => expect(changed.listeners).toBe(1));
    changed.fire({ call: null, missed: [missed({ from_name: "Carol" })], volume: 100 });
    expect(await screen.findByTestId("missed-from")).toHaveTextContent("Carol");
  });
});

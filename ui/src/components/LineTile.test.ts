import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { BARE_ZERO, perceivable, shownCounts } from "../test/dom";
import { counts, line } from "../test/engine";
import LineTile from "./LineTile.svelte";

const shown = () => shownCounts(screen.getByTestId("line-tile"));

describe("LineTile", () => {
  it.each(["unknown", "failed"] as const)(
    "%s: shows — and the reason, never 0, even with zero counts sent along",
    (lamp) => {
      render(LineTile, {
        line: line({ lamp, counts: counts(0), reason: lamp === "failed" ? "403 Forbidden" : null }),
      });
      const tile = screen.getByTestId("line-tile");
      expect(tile).toHaveAttribute("data-lamp", lamp);
      for (const cell of ["new", "old", "urgent"]) {
        const value = screen.getByTestId(`count-${cell}`);
        expect(within(value).getByText("—")).toBeInTheDocument();
        expect(value).toHaveTextContent("not known");
      }
      expect(screen.getByTestId("line-status")).toHaveTextContent(/^Not (known|monitored)/);
      expect(perceivable(tile)).not.toMatch(BARE_ZERO);
    },
  );

  it("stale with last known counts shows them marked out of date", () => {
    render(LineTile, {
      line: line({ lamp: "stale", counts: counts(3, 2, 1), reason: "No NOTIFY since 09:15" }),
    });
    const tile = screen.getByTestId("line-tile");
    expect(tile).toHaveAttribute("data-out-of-date");
    expect(screen.getByTestId("line-out-of-date")).toHaveTextContent("Out of date");
    expect(shown()).toEqual(["3", "2", "1"]);
    expect(screen.getByTestId("count-new")).toHaveTextContent("last known, out of date");
    expect(screen.getByTestId("line-status")).toHaveTextContent(
      "Out of date (last known: 3 new (1 urgent), 2 old): No NOTIFY since 09:15",
    );
    // The reason is part of the status: it is not said twice.
    expect(screen.queryByTestId("line-reason")).not.toBeInTheDocument();
    expect(screen.getByTestId("lamp")).toHaveClass("lamp-stale");
    expect(tile.getAttribute("aria-label")).toContain("Out of date (last known: 3 new");
  });

  it("stale without counts says not known", () => {
    render(LineTile, { line: line({ lamp: "stale", counts: null, reason: "Subscription ended" }) });
    expect(shown()).toEqual(["—", "—", "—"]);
    expect(screen.getByTestId("count-old")).toHaveTextContent("not known");
    expect(screen.queryByTestId("line-out-of-date")).not.toBeInTheDocument();
    expect(screen.getByTestId("line-status")).toHaveTextContent("Not known: Subscription ended");
    expect(perceivable(screen.getByTestId("line-tile"))).not.toMatch(BARE_ZERO);
  });

  it("active with no messages shows 0 and an off lamp distinct from not known", () => {
    const { unmount } = render(LineTile, { line: line({ lamp: "active", counts: counts(0) }) });
    expect(shown()).toEqual(["0", "0", "0"]);
    expect(screen.getByTestId("line-status")).toHaveTextContent("No new messages");
    const off = screen.getByTestId("lamp");
    expect(off).toHaveClass("lamp-off");
    expect(off).toHaveAccessibleName("Lamp: No new messages");
    unmount();

    render(LineTile, { line: line({ lamp: "unknown" }) });
    const unknown = screen.getByTestId("lamp");
    expect(unknown).toHaveClass("lamp-unknown");
    expect(unknown).not.toHaveClass("lamp-off");
    expect(unknown).toHaveAccessibleName(/^Lamp: Not known yet/);
    expect(screen.getByTestId("line-updated")).toHaveTextContent("no report yet");
  });

  it("active with messages lights the lamp and shows the counts", () => {
    render(LineTile, { line: line({ counts: counts(3, 12) }) });
    expect(shown()).toEqual(["3", "12", "0"]);
    expect(screen.getByTestId("line-status")).toHaveTextContent("3 new, 12 old");
    expect(screen.getByTestId("lamp")).toHaveClass("lamp-lit");
    expect(screen.getByTestId("line-tile")).toHaveAttribute("data-look", "lit");
  });

  it("marks urgent messages", () => {
    render(LineTile, { line: line({ name: "Support", counts: counts(2, 1, 1) }) });
    expect(shown()).toEqual(["2", "1", "1"]);
    expect(screen.getByTestId("line-status")).toHaveTextContent("2 new (1 urgent), 1 old");
    expect(screen.getByTestId("lamp")).toHaveClass("lamp-urgent");
    expect(screen.getByTestId("line-count-urgent")).toHaveClass("urgent");
    expect(screen.getByTestId("line-tile")).toHaveAttribute("data-look", "urgent");
    expect(screen.getByRole("heading", { name: "Support" })).toBeInTheDocument();
  });

  it("lights the lamp when messages wait without a count, and shows no 0", () => {
    render(LineTile, {
      line: line({ counts: { ...counts(0), waitingWithoutCount: true } }),
    });
    expect(screen.getByTestId("lamp")).toHaveClass("lamp-lit");
    expect(screen.getByTestId("count-new")).toHaveTextContent(
      "— messages waiting, count not given",
    );
    expect(screen.getByTestId("line-status")).toHaveTextContent("Messages waiting");
  });

  it("names a shared mailbox with its account, an own one with its number", () => {
    const { unmount } = render(LineTile, {
      line: line({ name: "Sales", own: false, accountName: "Reception", number: "2200" }),
    });
    expect(screen.getByTestId("line-subtitle")).toHaveTextContent("Reception");
    expect(screen.getByTestId("line-tile")).toHaveAccessibleName(
      /^Sales, shared mailbox of Reception: No new messages\. Updated just now$/,
    );
    unmount();
    render(LineTile, { line: line({ name: "Front desk", number: "1001" }) });
    expect(screen.getByTestId("line-subtitle")).toHaveTextContent("1001");
    expect(screen.getByTestId("line-tile")).toHaveAccessibleName(
      "Front desk: No new messages. Updated just now",
    );
  });

  it("says when it was last updated, with the exact time as a title", () => {
    const at = new Date(Date.now() - 2 * 60_000 - 5_000).toISOString();
    render(LineTile, { line: line({ updatedAt: at }) });
    const updated = screen.getByTestId("line-updated");
    expect(updated).toHaveTextContent("updated 2 min ago");
    expect(updated.getAttribute("title")).toMatch(/\d/);
  });

  it("links to the line's mailbox and is focusable", () => {
    render(LineTile, { line: line({ account: "desk", number: "1001" }), tabindex: 0 });
    const tile = screen.getByTestId("line-tile");
    expect(tile.tagName).toBe("A");
    expect(tile).toHaveAttribute("tabindex", "0");
    expect(tile).toHaveAttribute("href", "#/mailbox?account=desk&mailbox=sip%3A1001%40pbx.example");
  });

  it("has a voicemail key beside the link (not inside it) that hands its line over", async () => {
    const onvoicemail = vi.fn();
    const shown = line({ name: "Sales", own: false });
    render(LineTile, { line: shown, onvoicemail, tabindex: -1 });
    const key = screen.getByTestId("line-voicemail");
    expect(key).toHaveAccessibleName("Call voicemail — Sales");
    expect(key).toHaveAttribute("aria-keyshortcuts", "Control+Shift+V");
    expect(key.tabIndex).toBe(-1);
    expect(screen.getByTestId("line-tile").contains(key)).toBe(false);
    await fireEvent.click(key);
    expect(onvoicemail).toHaveBeenCalledWith(shown);
  });

  it("has no voicemail key when nobody takes its press", () => {
    render(LineTile, { line: line() });
    expect(screen.queryByTestId("line-voicemail")).not.toBeInTheDocument();
  });
});

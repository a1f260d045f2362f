import { render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import LineTile from "./LineTile.svelte";
import Lines from "../views/Lines.svelte";
import type { LineTileModel } from "../lib/lines";

function line(overrides: Partial<LineTileModel>): LineTileModel {
  return { name: "Reception", lamp: "active", counts: { new: 0, old: 0, urgent: 0 }, reason: null, ...overrides };
}

/** Everything a person or a screen reader could perceive on the tile. */
function perceivable(tile: HTMLElement): string {
  const labels = [tile, ...tile.querySelectorAll("*")].flatMap((el) =>
    ["aria-label", "title"].map((attr) => el.getAttribute(attr) ?? ""),
  );
  return [tile.textContent ?? "", ...labels].join(" | ");
}

function counts() {
  return ["new", "old", "urgent"].map((key) => screen.getByTestId(`count-${key}`).textContent?.trim());
}

describe("LineTile", () => {
  it.each(["unknown", "stale", "failed"] as const)(
    "%s: shows — and the reason, never 0, even with zero counts behind it",
    (lamp) => {
      render(LineTile, {
        line: line({ lamp, counts: { new: 0, old: 0, urgent: 0 }, reason: "No NOTIFY since 09:15" }),
      });
      const tile = screen.getByTestId("line-tile");
      expect(tile).toHaveAttribute("data-lamp", lamp);
      for (const cell of ["new", "old", "urgent"]) {
        expect(within(screen.getByTestId(`count-${cell}`)).getByText("—")).toBeInTheDocument();
      }
      expect(screen.getByTestId("line-status")).toHaveTextContent(/^Not known/);
      expect(screen.getByTestId("line-reason")).toHaveTextContent("No NOTIFY since 09:15");
      expect(perceivable(tile)).not.toMatch(/(^|\D)0(\D|$)/);
    },
  );

  it("falls back to a default reason when none is given", () => {
    render(LineTile, { line: line({ lamp: "unknown", counts: null, reason: null }) });
    expect(screen.getByTestId("line-reason")).toHaveTextContent("Waiting for the first report");
    expect(perceivable(screen.getByTestId("line-tile"))).not.toMatch(/(^|\D)0(\D|$)/);
  });

  it("active with no messages shows 0 and an off lamp distinct from not known", () => {
    const { unmount } = render(LineTile, { line: line({ lamp: "active" }) });
    expect(counts()).toEqual(["0", "0", "0"]);
    expect(screen.getByTestId("line-status")).toHaveTextContent("No new messages");
    const off = screen.getByTestId("lamp");
    expect(off).toHaveClass("lamp-off");
    expect(off).toHaveAccessibleName("Lamp: No new messages");
    expect(screen.queryByTestId("line-reason")).not.toBeInTheDocument();
    unmount();

    render(LineTile, { line: line({ lamp: "unknown" }) });
    const unknown = screen.getByTestId("lamp");
    expect(unknown).toHaveClass("lamp-unknown");
    expect(unknown).not.toHaveClass("lamp-off");
    expect(unknown).toHaveAccessibleName("Lamp: Not known yet");
  });

  it("active with messages lights the lamp and shows the counts", () => {
    render(LineTile, { line: line({ lamp: "active", counts: { new: 3, old: 12, urgent: 0 } }) });
    expect(counts()).toEqual(["3", "12", "0"]);
    expect(screen.getByTestId("line-status")).toHaveTextContent("3 new messages");
    expect(screen.getByTestId("lamp")).toHaveClass("lamp-lit");
    expect(screen.getByTestId("line-tile")).toHaveAttribute("data-look", "lit");
  });

  it("uses the singular for one message", () => {
    render(LineTile, { line: line({ lamp: "active", counts: { new: 1, old: 0, urgent: 0 } }) });
    expect(screen.getByTestId("line-status")).toHaveTextContent("1 new message");
    expect(screen.getByTestId("line-status")).not.toHaveTextContent("messages");
  });

  it("marks urgent messages", () => {
    render(LineTile, {
      line: line({ name: "Support", lamp: "active", counts: { new: 2, old: 1, urgent: 1 } }),
    });
    expect(counts()).toEqual(["2", "1", "1"]);
    expect(screen.getByTestId("line-status")).toHaveTextContent("1 urgent, 2 new messages");
    expect(screen.getByTestId("lamp")).toHaveClass("lamp-urgent");
    expect(screen.getByTestId("line-tile")).toHaveAttribute("data-look", "urgent");
    expect(screen.getByRole("heading", { name: "Support" })).toBeInTheDocument();
  });

  it("ignores counts that arrive with a state that is not active", () => {
    render(LineTile, { line: line({ lamp: "stale", counts: { new: 4, old: 2, urgent: 1 } }) });
    expect(counts().every((text) => text?.startsWith("—"))).toBe(true);
    expect(screen.getByTestId("lamp")).toHaveClass("lamp-stale");
  });
});

describe("Lines view", () => {
  it("lays out one tile per line", () => {
    render(Lines, {
      lines: [
        line({ name: "Front desk", lamp: "active", counts: { new: 2, old: 0, urgent: 0 } }),
        line({ name: "Sales", lamp: "stale", reason: "Subscription expired" }),
        line({ name: "Night line", lamp: "unknown", counts: null }),
      ],
    });
    const grid = screen.getByRole("list", { name: "Lines and mailboxes" });
    expect(within(grid).getAllByTestId("line-tile")).toHaveLength(3);
    expect(screen.queryByTestId("lines-empty")).not.toBeInTheDocument();
  });

  it("shows the empty state without lines", () => {
    render(Lines);
    expect(screen.getByTestId("lines-empty")).toHaveTextContent(
      "No lines yet — add a SIP account in Settings",
    );
  });
});

import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { fakeActions, missed } from "../../test/call";
import MissedCalls from "./MissedCalls.svelte";

describe("MissedCalls", () => {
  it("is not there without missed calls", () => {
    render(MissedCalls, { missed: [], actions: fakeActions() });
    expect(screen.queryByTestId("missed-calls")).not.toBeInTheDocument();
  });

  it("lists who called on which line, calls back on that line, and clears", async () => {
    const actions = fakeActions();
    render(MissedCalls, {
      // Oldest first, as the engine keeps them; shown newest first.
      missed: [
        missed({ number: null, from: "sip:anonymous@invalid", from_name: null, why: "busy", at: "2026-12-04T20:00:00Z" }),
        missed({ from: "1002", from_name: "Bob", number: "1002", line: "lab", line_name: "Lab" }),
      ],
      actions,
    });
    expect(screen.getByTestId("missed-count")).toHaveTextContent("2");
    const rows = screen.getAllByTestId("missed-call");
    expect(rows.map((r) => r.dataset.why)).toEqual(["not_answered", "busy"]);
    expect(within(rows[0]).getByTestId("missed-from")).toHaveTextContent("Bob");
    expect(rows[0]).toHaveTextContent("Lab");
    expect(within(rows[0]).getByTestId("missed-at").textContent).toMatch(/^at \d/);
    // No number: nothing to call back; no name: the address.
    expect(within(rows[1]).getByTestId("missed-from")).toHaveTextContent("sip:anonymous@invalid");
    expect(within(rows[1]).queryByTestId("missed-call-back")).not.toBeInTheDocument();
    await fireEvent.click(within(rows[0]).getByTestId("missed-call-back"));
    expect(actions.start).toHaveBeenCalledWith("lab", "1002");
    await fireEvent.click(screen.getByTestId("missed-clear"));
    expect(actions.clearMissed).toHaveBeenCalledOnce();
  });
});

import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { commands } from "../bindings";
import SupportReport from "./SupportReport.svelte";

describe("SupportReport", () => {
  it("makes the report on request and copies it", async () => {
    const report = vi
      .spyOn(commands, "diagnosticsReport")
      .mockResolvedValue({ status: "ok", data: "Voicelamp 0.1.0\naccount desk\n  verdict: OK\n" });
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    render(SupportReport);
    expect(screen.queryByTestId("diag-report")).not.toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("diag-report-make"));
    expect(await screen.findByTestId("diag-report")).toHaveTextContent("verdict: OK");
    expect(report).toHaveBeenCalledTimes(1);
    await fireEvent.click(screen.getByTestId("diag-report-copy"));
    expect(writeText).toHaveBeenCalledWith("Voicelamp 0.1.0\naccount desk\n  verdict: OK\n");
    expect(await screen.findByText("Copied")).toBeInTheDocument();
  });

  it("says why when the report cannot be made", async () => {
    vi.spyOn(commands, "diagnosticsReport").mockResolvedValue({
      status: "error",
      error: "The engine did not answer.",
    });
    render(SupportReport);
    await fireEvent.click(screen.getByTestId("diag-report-make"));
    expect(await screen.findByTestId("diag-report-error")).toHaveTextContent(
      "The engine did not answer.",
    );
    expect(screen.queryByTestId("diag-report-copy")).not.toBeInTheDocument();
  });
});

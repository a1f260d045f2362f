import { invoke } from "@tauri-apps/api/core";
import { render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { commands } from "../bindings";
import { UI_VERSION } from "../lib/version";
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
});

import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import ThemeSwitch from "../components/ThemeSwitch.svelte";
import { THEME_STORAGE_KEY, applyTheme, loadTheme, setTheme } from "./theme";

const html = () => document.documentElement;

describe("theme", () => {
  it("defaults to following the system", () => {
    expect(loadTheme()).toBe("system");
  });

  it("persists the choice and applies it to <html>", () => {
    setTheme("dark");
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe("dark");
    expect(html()).toHaveAttribute("data-theme", "dark");
    expect(loadTheme()).toBe("dark");
  });

  it("ignores a stored value it does not know", () => {
    localStorage.setItem(THEME_STORAGE_KEY, "sepia");
    expect(loadTheme()).toBe("system");
  });

  it("still works when storage is unavailable", () => {
    vi.spyOn(Storage.prototype, "getItem").mockImplementation(() => {
      throw new DOMException("denied", "SecurityError");
    });
    vi.spyOn(Storage.prototype, "setItem").mockImplementation(() => {
      throw new DOMException("full", "QuotaExceededError");
    });
    expect(loadTheme()).toBe("system");
    expect(() => setTheme("light")).not.toThrow();
    expect(html()).toHaveAttribute("data-theme", "light");
  });

  it("is applied at start-up from storage", () => {
    localStorage.setItem(THEME_STORAGE_KEY, "light");
    applyTheme(loadTheme());
    expect(html()).toHaveAttribute("data-theme", "light");
  });
});

describe("ThemeSwitch", () => {
  it("offers System, Light and Dark with the stored choice checked", () => {
    localStorage.setItem(THEME_STORAGE_KEY, "light");
    render(ThemeSwitch);
    expect(screen.getByRole("group", { name: "Theme" })).toBeInTheDocument();
    expect(screen.getByRole("radio", { name: "Light" })).toBeChecked();
    expect(screen.getByRole("radio", { name: "System" })).not.toBeChecked();
  });

  it("switches, persists and survives a restart", async () => {
    const first = render(ThemeSwitch);
    expect(screen.getByRole("radio", { name: "System" })).toBeChecked();
    await fireEvent.click(screen.getByRole("radio", { name: "Dark" }));
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe("dark");
    expect(html()).toHaveAttribute("data-theme", "dark");
    first.unmount();

    render(ThemeSwitch);
    expect(screen.getByRole("radio", { name: "Dark" })).toBeChecked();
    await fireEvent.click(screen.getByRole("radio", { name: "System" }));
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe("system");
    expect(html()).toHaveAttribute("data-theme", "system");
  });
});

import "@testing-library/jest-dom/vitest";
import { beforeEach, vi } from "vitest";

// There is no Tauri runtime under jsdom: every backend call fails unless a
// test mocks it (usually by spying on `commands` from src/bindings.ts).
vi.mock("@tauri-apps/api/core", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@tauri-apps/api/core")>();
  return {
    ...actual,
    invoke: vi.fn(() => Promise.reject(new Error("no Tauri runtime in tests"))),
  };
});

beforeEach(() => {
  window.localStorage.clear();
  document.documentElement.removeAttribute("data-theme");
  window.history.replaceState(null, "", "/");
});

import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { version } from "./package.json";

// Tauri serves `dist/` at the root of its own origin (frontendDist: "../ui/dist")
// and loads the dev server from http://localhost:1420 (devUrl).
export default defineConfig(({ mode }) => {
  // `vitest bench` runs in the "benchmark" mode: measure Svelte's production
  // runtime there, not its development checks.
  if (mode === "benchmark") process.env.NODE_ENV = "production";
  return {
    plugins: [svelte(), svelteTesting()],
    clearScreen: false,
    define: {
      __UI_VERSION__: JSON.stringify(version),
    },
    server: {
      port: 1420,
      strictPort: true,
      watch: {
        // The Rust side rebuilds itself; do not reload the page for its changes.
        ignored: ["**/src-tauri/**", "**/target/**"],
      },
    },
    envPrefix: ["VITE_", "TAURI_ENV_"],
    build: {
      outDir: "dist",
      emptyOutDir: true,
      // WebKitGTK / WKWebView (Linux, macOS) and WebView2 (Windows).
      target: ["safari15", "chrome105"],
      sourcemap: false,
      // Keep every asset a file: the app's CSP allows no data: URLs.
      assetsInlineLimit: 0,
    },
    test: {
      environment: "jsdom",
      include: ["src/**/*.test.ts"],
      setupFiles: ["src/test/setup.ts"],
      restoreMocks: true,
    },
  };
});

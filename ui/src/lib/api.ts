// The only door to the Rust side: everything goes through the generated
// bindings (src/bindings.ts). Never call `invoke` with a hand-written name.
import { isTauri } from "@tauri-apps/api/core";
import { commands, type AppInfo } from "../bindings";

export type { AppInfo };

export function getAppInfo(): Promise<AppInfo> {
  return commands.appInfo();
}

/** A short, human sentence for a failed backend call. */
export function describeError(error: unknown): string {
  if (!isTauri()) {
    return "The Voicelamp engine is not available: this page is running outside the app.";
  }
  if (error instanceof Error) return error.message;
  if (typeof error === "string" && error !== "") return error;
  return "The engine did not answer.";
}

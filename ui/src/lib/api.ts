// The only door to the Rust side: everything goes through the generated
// bindings (src/bindings.ts). Never call `invoke` with a hand-written name and
// never write an event name as a string.
import { isTauri } from "@tauri-apps/api/core";
import {
  commands,
  events,
  type AccountView_Serialize,
  type AppInfo,
  type CountsView,
  type EngineView_Serialize,
  type LampSource,
  type LampState,
  type LineView_Serialize,
  type LinesView_Serialize,
  type Navigation_Serialize,
  type RegistrationState,
  type TotalsView,
} from "../bindings";

// What the backend sends (the `_Serialize` side of each generated type), under
// the names the UI uses.
export type { AppInfo, CountsView, LampSource, LampState, RegistrationState, TotalsView };
/** The engine as the window sees it: lines, accounts, totals, configuration problems. */
export type EngineView = EngineView_Serialize;
/** Every line and account. */
export type LinesView = LinesView_Serialize;
/** One monitored mailbox (a tile). */
export type LineView = LineView_Serialize;
/** One account's registration. */
export type AccountView = AccountView_Serialize;
/** Where the window should go (a tray row, a notification click). */
export type Navigation = Navigation_Serialize;

/** Stops listening to a backend event. */
export type Unlisten = () => void;

export function getAppInfo(): Promise<AppInfo> {
  return commands.appInfo();
}

/** Every line, account and total as the engine sees them now. */
export function getEngineView(): Promise<EngineView> {
  return commands.linesView();
}

/** The whole engine view again after every change (at most every 50 ms). */
export function onLinesChanged(handler: (view: EngineView) => void): Promise<Unlisten> {
  return events.linesChanged.listen((event) => handler(event.payload));
}

/** Where the window was asked to go before it was ready; answers once, then `null`. */
export function takeNavigation(): Promise<Navigation | null> {
  return commands.takeNavigation();
}

/** Where an open window is asked to go. */
export function onNavigateTo(handler: (navigation: Navigation) => void): Promise<Unlisten> {
  return events.navigateTo.listen((event) => handler(event.payload));
}

/**
 * Holds a listener that is still being set up; the returned function stops it,
 * now or as soon as it is set up. A listener that cannot be set up (no
 * backend) is nothing to stop.
 */
export function holdListener(pending: Promise<Unlisten>): () => void {
  let wanted = true;
  let stop: Unlisten | null = null;
  pending.then(
    (unlisten) => {
      if (wanted) stop = unlisten;
      else unlisten();
    },
    () => {},
  );
  return () => {
    wanted = false;
    stop?.();
    stop = null;
  };
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

/** A backend call's outcome: its value, or what went wrong in words. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** How tauri-specta answers a command that returns a `Result`. */
type Answer<T> = { status: "ok"; data: T } | { status: "error"; error: string };

/** Calls a `Result`-returning command; a refusal or a failed call becomes words. */
export async function outcome<T>(call: () => Promise<Answer<T>>): Promise<Outcome<T>> {
  try {
    const answer = await call();
    if (answer.status === "ok") return { ok: true, value: answer.data };
    return { ok: false, error: answer.error.trim() || describeError(undefined) };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

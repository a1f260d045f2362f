// A stand-in for the engine behind the generated bindings: payloads shaped as
// the backend sends them, and spies on `commands` and `events` that let a test
// answer `linesView` and fire `linesChanged` / `navigateTo`.
import { vi } from "vitest";
import { commands, events } from "../bindings";
import type {
  AccountView,
  CountsView,
  EngineView,
  LampState,
  LineView,
  Navigation,
} from "../lib/api";

export function counts(new_: number, old = 0, urgent = 0): CountsView {
  return { new: new_, old, urgent, urgentOld: 0, waitingWithoutCount: false };
}

/** The engine's words for counts (crates/core view.rs `counts_words`). */
function countsWords(c: CountsView): string {
  let text: string;
  if (c.new === 0) text = c.waitingWithoutCount ? "Messages waiting" : "No new messages";
  else text = c.urgent > 0 ? `${c.new} new (${c.urgent} urgent)` : `${c.new} new`;
  return c.old > 0 ? `${text}, ${c.old} old` : text;
}

/** The engine's status phrase (crates/core view.rs `status_words`). */
export function statusWords(lamp: LampState, c: CountsView | null, reason: string | null): string {
  const why = reason === null ? "" : `: ${reason}`;
  if (lamp === "active" && c !== null) return countsWords(c);
  if (lamp === "active" || lamp === "unknown") {
    return "Not known yet: waiting for the server's first report";
  }
  if (lamp === "stale") {
    return c === null ? `Not known${why}` : `Out of date (last known: ${countsWords(c)})${why}`;
  }
  return `Not monitored${why}`;
}

export interface LineSpec {
  account?: string;
  accountName?: string;
  number?: string;
  name?: string;
  own?: boolean;
  lamp?: LampState;
  counts?: CountsView | null;
  reason?: string | null;
  updatedAt?: string | null;
}

/** A line as the backend sends it; the status is worded as the engine words it. */
export function line(spec: LineSpec = {}): LineView {
  const account = spec.account ?? "desk";
  const number = spec.number ?? "1001";
  const lamp = spec.lamp ?? "active";
  const c = spec.counts === undefined ? (lamp === "active" ? counts(0) : null) : spec.counts;
  const reason = spec.reason ?? null;
  const mailbox = `sip:${number}@pbx.example`;
  return {
    key: `${account} ${mailbox}`,
    account,
    accountName: spec.accountName ?? "Front desk",
    mailbox,
    name: spec.name ?? `Line ${number}`,
    own: spec.own ?? true,
    lamp,
    counts: c,
    source: lamp === "active" || (lamp === "stale" && c !== null) ? "subscription" : null,
    reason,
    updatedAt:
      spec.updatedAt === undefined
        ? lamp === "unknown"
          ? null
          : new Date().toISOString()
        : spec.updatedAt,
    status: statusWords(lamp, c, reason),
  };
}

export function account(
  id: string,
  registration: AccountView["registration"] = "registered",
  reason: string | null = null,
  name = id,
): AccountView {
  return { id, name, registration, reason };
}

export function engineView(
  lines: LineView[],
  accounts: AccountView[] = [account("desk", "registered", null, "Front desk")],
  extra: Partial<Pick<EngineView, "configError" | "configPath">> = {},
): EngineView {
  const new_ = lines.reduce((sum, l) => sum + (l.counts?.new ?? 0), 0);
  const urgent = lines.reduce((sum, l) => sum + (l.counts?.urgent ?? 0), 0);
  return {
    lines: {
      lines,
      accounts,
      totals: {
        new: new_,
        urgent,
        notKnown: lines.some((l) => l.lamp !== "active"),
        failed: lines.some((l) => l.lamp === "failed"),
        mailboxes: lines.length,
      },
      tooltip: "Voicelamp",
    },
    configError: extra.configError ?? null,
    configPath: extra.configPath ?? "~/.config/voicelamp/config.toml",
  };
}

/** A listener as the generated `events.*.listen` takes it. */
type Handler<T> = (event: { event: string; id: number; payload: T }) => void;

/** Catches the listeners of one generated event so a test can fire it. */
export function fakeEvent<T>(event: { listen: (handler: Handler<T>) => Promise<() => void> }) {
  const handlers = new Set<Handler<T>>();
  const listen = vi.spyOn(event, "listen").mockImplementation(async (handler) => {
    handlers.add(handler);
    return () => handlers.delete(handler);
  });
  let id = 0;
  return {
    listen,
    /** How many listeners are attached now. */
    get listeners() {
      return handlers.size;
    },
    fire(payload: T) {
      id += 1;
      for (const handler of handlers) handler({ event: "", id, payload });
    },
  };
}

/**
 * Answers `linesView` with `initial` (or fails when it is an Error) and catches
 * the `linesChanged` listener so `emit` can deliver a new view.
 */
export function fakeEngine(initial: EngineView | Error) {
  const linesView = vi.spyOn(commands, "linesView");
  if (initial instanceof Error) linesView.mockRejectedValue(initial);
  else linesView.mockResolvedValue(initial);
  const changed = fakeEvent<EngineView>(events.linesChanged);
  return {
    linesView,
    listen: changed.listen,
    get listeners() {
      return changed.listeners;
    },
    emit: (view: EngineView) => changed.fire(view),
  };
}

/** Answers `takeNavigation` with `pending` and lets a test send `navigateTo`. */
export function fakeNavigation(pending: Navigation | null | Promise<Navigation | null>) {
  const take = vi
    .spyOn(commands, "takeNavigation")
    .mockImplementation(() => Promise.resolve(pending));
  const navigateTo = fakeEvent<Navigation>(events.navigateTo);
  return {
    take,
    get listeners() {
      return navigateTo.listeners;
    },
    send: (navigation: Navigation) => navigateTo.fire(navigation),
  };
}

export function navigation(overrides: Partial<Navigation> = {}): Navigation {
  return {
    view: "lines",
    account: null,
    mailbox: null,
    messageId: null,
    play: false,
    dial: null,
    ...overrides,
  };
}

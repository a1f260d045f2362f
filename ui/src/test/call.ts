// Stand-ins for the call: actions that record what was asked (and answer as told), and calls
// shaped as the backend sends them (core's CallView and MissedCall).
import { vi } from "vitest";
import type { CallActions, CallShown, CallState, MissedShown } from "../lib/call";
import type { Outcome } from "../lib/api";

const done = (): Promise<Outcome<null>> => Promise.resolve({ ok: true, value: null });

/** Actions that succeed (or fail with `refusal`) and record their arguments. */
export function fakeActions(refusal: string | null = null) {
  const answer = () =>
    refusal === null ? done() : Promise.resolve({ ok: false as const, error: refusal });
  return {
    start: vi.fn(answer),
    voicemail: vi.fn(answer),
    hangUp: vi.fn(answer),
    answer: vi.fn(answer),
    decline: vi.fn(answer),
    dtmf: vi.fn(answer),
    mute: vi.fn(answer),
    hold: vi.fn(answer),
    volume: vi.fn(answer),
    clearMissed: vi.fn(answer),
  } satisfies CallActions;
}

export const connected = (since = new Date().toISOString()): CallState => ({
  kind: "connected",
  since,
});

/** A connected call to voicemail unless told otherwise. */
export function call(overrides: Partial<CallShown> = {}): CallShown {
  return {
    id: 1,
    line: "desk",
    line_name: "Front desk",
    remote: "*97",
    remote_name: null,
    direction: "outgoing",
    state: connected(),
    muted: false,
    heard: true,
    quality: null,
    codec: "G.711 µ-law",
    secure: false,
    voicemail: true,
    notice: null,
    ...overrides,
  };
}

/** An incoming call from Alice that rings here. */
export function ringing(overrides: Partial<CallShown> = {}): CallShown {
  return call({
    remote: "1002",
    remote_name: "Alice Example",
    direction: "incoming",
    state: { kind: "ringing" },
    voicemail: false,
    ...overrides,
  });
}

export function missed(overrides: Partial<MissedShown> = {}): MissedShown {
  return {
    line: "desk",
    line_name: "Front desk",
    from: "+15550100",
    from_name: "Alice Example",
    number: "+15550100",
    at: new Date().toISOString(),
    why: "not_answered",
    ...overrides,
  };
}

// The call as the window shows it: the first `callsView` answer, then every
// `callChanged` event (each carries the whole view); the actions on it; and
// the words and figures the call panel shows. The call runs in the tray
// process: closing the window never ends it.
import { getContext, setContext } from "svelte";
import { readable, writable, type Readable } from "svelte/store";
import {
  commands,
  events,
  type CallQuality_Serialize,
  type CallState,
  type CallView_Serialize,
  type CallsView_Serialize,
  type MissedCall_Serialize,
} from "../bindings";
import { holdListener, outcome, type AccountView, type Outcome, type Unlisten } from "./api";

export type { CallState };
/** The calls: the one in progress (or just ended), the missed ones, the far end's volume. */
export type CallsView = CallsView_Serialize;
/** The call in progress (core's view of it). */
export type CallShown = CallView_Serialize;
/** A call that rang here and was not answered. */
export type MissedShown = MissedCall_Serialize;
/** RTCP's figures. */
export type QualityShown = CallQuality_Serialize;
/** Where a call stands. */
export type CallPhase = CallState["kind"];

export const NO_CALLS: CallsView = Object.freeze({ call: null, missed: [], volume: 100 });

/** The whole calls view again after every change. */
export function onCallChanged(handler: (view: CallsView) => void): Promise<Unlisten> {
  return events.callChanged.listen((event) => handler(event.payload));
}

/**
 * A store of the calls view. It listens first and then asks, so a change in
 * between is not lost; an event is newer than the answer.
 */
export function createCallStore(): Readable<CallsView> {
  let state: CallsView = NO_CALLS;
  return readable<CallsView>(NO_CALLS, (set) => {
    let live = true;
    let heard = false;
    set(state);
    const show = (view: CallsView) => {
      state = view;
      set(state);
    };
    const listening = onCallChanged((view) => {
      if (!live) return;
      heard = true;
      show(view);
    });
    const stopListening = holdListener(listening);
    listening
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => (live ? outcome(() => commands.callsView()) : null))
      .then(
        (answer) => {
          if (live && !heard && answer !== null && answer.ok) show(answer.value);
        },
        () => undefined,
      );
    return () => {
      live = false;
      stopListening();
    };
  });
}

/** The last call action that failed, in words, until the next one succeeds or it is dismissed. */
export const callProblem = writable<string | null>(null);

/** Runs a call action; a refusal goes to {@link callProblem}. */
async function act(run: () => ReturnType<typeof commands.callHangUp>): Promise<Outcome<null>> {
  const result = await outcome(run);
  callProblem.set(result.ok ? null : result.error);
  return result;
}

/** The actions on the call, as the window's components use them (a test may pass its own). */
export interface CallActions {
  start(line: string, target: string): Promise<Outcome<null>>;
  voicemail(line: string): Promise<Outcome<null>>;
  hangUp(): Promise<Outcome<null>>;
  answer(): Promise<Outcome<null>>;
  decline(): Promise<Outcome<null>>;
  dtmf(digit: string): Promise<Outcome<null>>;
  mute(on: boolean): Promise<Outcome<null>>;
  hold(on: boolean): Promise<Outcome<null>>;
  volume(percent: number): Promise<Outcome<null>>;
  clearMissed(): Promise<Outcome<null>>;
}

export const callActions: CallActions = {
  start: (line, target) => act(() => commands.callStart(line, target)),
  voicemail: (line) => act(() => commands.callVoicemail(line)),
  hangUp: () => act(() => commands.callHangUp()),
  answer: () => act(() => commands.callAnswer()),
  decline: () => act(() => commands.callDecline()),
  dtmf: (digit) => act(() => commands.callDtmf(digit)),
  mute: (on) => act(() => commands.callMute(on)),
  hold: (on) => act(() => commands.callHold(on)),
  volume: (percent) =>
    act(() => commands.callVolume(Math.round(Math.min(100, Math.max(0, percent))))),
  clearMissed: () => act(() => commands.missedClear()),
};

const CALLS = Symbol("voicelamp.calls");

/** Shares one calls store with everything below (call while initialising a component). */
export function provideCalls(store: Readable<CallsView>): void {
  setContext(CALLS, store);
}

/** The shared calls store, or one of its own for a component rendered alone (tests). */
export function useCalls(): Readable<CallsView> {
  return getContext<Readable<CallsView> | undefined>(CALLS) ?? createCallStore();
}

/** The call is still going (not ended). */
export function isLive(call: CallShown | null): call is CallShown {
  return call !== null && call.state.kind !== "ended";
}

/** They called us. */
export function isIncoming(call: CallShown): boolean {
  return call.direction === "incoming";
}

/** It rings here and waits for Answer or Decline. */
export function isRingingHere(call: CallShown | null): boolean {
  return call !== null && isIncoming(call) && call.state.kind === "ringing";
}

/** Answered: connected or on hold. */
export function isAnswered(call: CallShown | null): boolean {
  return call !== null && (call.state.kind === "connected" || call.state.kind === "on_hold");
}

/** We put it on hold (not the far end). */
export function isHeldHere(call: CallShown): boolean {
  return call.state.kind === "on_hold" && !call.state.by_peer;
}

/** When it was answered (RFC 3339), or null. */
export function answeredAt(call: CallShown): string | null {
  return call.state.kind === "connected" || call.state.kind === "on_hold" ? call.state.since : null;
}

/** Who is at the other end: the name they sent, else the number or address. */
export function whoOf(call: CallShown): string {
  return call.remote_name?.trim() || call.remote;
}

/** Where the call stands, in words. */
export function phaseWords(call: CallShown): string {
  const state = call.state;
  switch (state.kind) {
    case "dialing":
      return call.voicemail ? "Calling voicemail…" : "Calling…";
    case "ringing":
      return isIncoming(call) ? "Incoming call" : "Ringing…";
    case "early_media":
      return "Connecting…";
    case "connected":
      return "Connected";
    case "on_hold":
      return state.by_peer ? "Held by the other side" : "On hold";
    case "ended":
      return `Call ended: ${state.why}`;
  }
}

/** How long it has been connected, as `m:ss` or `h:mm:ss`; `null` before it was answered. */
export function elapsed(connectedAt: string | null, now: number): string | null {
  if (connectedAt === null) return null;
  const since = Date.parse(connectedAt);
  if (Number.isNaN(since)) return null;
  const total = Math.max(0, Math.floor((now - since) / 1000));
  const seconds = String(total % 60).padStart(2, "0");
  const minutes = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`
    : `${minutes}:${seconds}`;
}

/** How a call sounds: core's rating of the RTCP figures. */
export type QualityLevel = QualityShown["rating"];

/** The loss in percent (a figure that is not a number, sent as null, counts as none). */
function lossOf(quality: QualityShown): number {
  return quality.loss_percent ?? 0;
}

/** The quality in words with its figures, e.g. "Good — 0.2 % lost, jitter 4 ms, round trip 38 ms". */
export function qualityWords(quality: QualityShown): string {
  const level = quality.rating;
  const name = level === "good" ? "Good" : level === "fair" ? "Fair" : "Poor";
  const figures = [`${lossOf(quality).toFixed(1)} % lost`, `jitter ${quality.jitter_ms} ms`];
  if (quality.rtt_ms !== null) figures.push(`round trip ${quality.rtt_ms} ms`);
  return `${name} — ${figures.join(", ")}`;
}

/** The keys of the keypad, in their rows. */
export const KEYPAD: readonly (readonly string[])[] = [
  ["1", "2", "3"],
  ["4", "5", "6"],
  ["7", "8", "9"],
  ["*", "0", "#"],
];

/** The letters under a key, as on a phone. */
export const KEY_LETTERS: Readonly<Record<string, string>> = {
  "2": "ABC",
  "3": "DEF",
  "4": "GHI",
  "5": "JKL",
  "6": "MNO",
  "7": "PQRS",
  "8": "TUV",
  "9": "WXYZ",
  "0": "+",
};

/** The keypad key a key press means, or null. */
export function keypadKey(key: string): string | null {
  return /^[0-9*#]$/.test(key) ? key : null;
}

/** Something that can be dialled: digits, `*`, `#`, `+`, separators, or a SIP/tel address. */
export function isDialable(target: string): boolean {
  const text = target.trim();
  if (text === "") return false;
  if (/^(?:sips?|tel):\S+$/i.test(text)) return true;
  if (/^[\w.+-]+@[\w.-]+$/.test(text)) return true;
  return /^\+?[0-9*#][0-9*#\s().-]*$/.test(text);
}

/**
 * The line a call goes out on by default: `preferred` when it is one of the
 * accounts, else the first registered one, else the first.
 */
export function defaultLine(
  accounts: readonly AccountView[],
  preferred: string | null = null,
): string | null {
  if (preferred !== null && accounts.some((a) => a.id === preferred)) return preferred;
  return (accounts.find((a) => a.registration === "registered") ?? accounts[0])?.id ?? null;
}

/** A missed call's key among the others (they have no id of their own). */
export function missedKey(missed: MissedShown): string {
  return `${missed.at} ${missed.line} ${missed.from}`;
}

/** Who called, as shown: their name, else the number or address. */
export function missedFrom(missed: MissedShown): string {
  return missed.from_name?.trim() || missed.from;
}

/** When a missed call rang, in words ("at 14:05", or the date when not today). */
export function missedWhen(missed: MissedShown, now: number): string {
  const at = new Date(missed.at);
  if (Number.isNaN(at.getTime())) return "";
  const time = at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const today = new Date(now).toDateString() === at.toDateString();
  return today ? `at ${time}` : `${at.toLocaleDateString()} ${time}`;
}

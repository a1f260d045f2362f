import { get } from "svelte/store";
import { describe, expect, it, vi } from "vitest";
import { commands, events } from "../bindings";
import { call, connected, ringing } from "../test/call";
import { account, fakeEvent } from "../test/engine";
import {
  answeredAt,
  callActions,
  callProblem,
  createCallStore,
  defaultLine,
  elapsed,
  isDialable,
  isHeldHere,
  isLive,
  isRingingHere,
  keypadKey,
  phaseWords,
  qualityWords,
  whoOf,
  type CallsView,
  type QualityLevel,
} from "./call";

describe("call words", () => {
  it("says where a call stands, voicemail and incoming calls included", () => {
    expect(phaseWords(call({ state: { kind: "dialing" } }))).toBe("Calling voicemail…");
    expect(phaseWords(call({ state: { kind: "dialing" }, voicemail: false }))).toBe("Calling…");
    expect(phaseWords(call({ state: { kind: "ringing" } }))).toBe("Ringing…");
    expect(phaseWords(ringing())).toBe("Incoming call");
    expect(phaseWords(call({ state: { kind: "early_media" } }))).toBe("Connecting…");
    expect(phaseWords(call())).toBe("Connected");
    const since = "2026-12-04T21:00:00Z";
    expect(phaseWords(call({ state: { kind: "on_hold", since, by_peer: false } }))).toBe("On hold");
    expect(phaseWords(call({ state: { kind: "on_hold", since, by_peer: true } }))).toBe(
      "Held by the other side",
    );
    expect(
      phaseWords(call({ state: { kind: "ended", why: "busy (486)", failed: true } })),
    ).toBe("Call ended: busy (486)");
  });

  it("names the far end by the name it sent, else its number", () => {
    expect(whoOf(ringing())).toBe("Alice Example");
    expect(whoOf(ringing({ remote_name: "  " }))).toBe("1002");
    expect(whoOf(call())).toBe("*97");
  });

  it("knows when it was answered and who holds it", () => {
    const since = "2026-12-04T21:00:00Z";
    expect(answeredAt(call({ state: { kind: "dialing" } }))).toBeNull();
    expect(answeredAt(call({ state: connected(since) }))).toBe(since);
    const held = call({ state: { kind: "on_hold", since, by_peer: false } });
    expect(answeredAt(held)).toBe(since);
    expect(isHeldHere(held)).toBe(true);
    expect(isHeldHere(call({ state: { kind: "on_hold", since, by_peer: true } }))).toBe(false);
  });

  it("counts the time since the answer as m:ss, then h:mm:ss", () => {
    const at = Date.parse("2026-05-04T10:00:00Z");
    expect(elapsed(null, at)).toBeNull();
    expect(elapsed("nonsense", at)).toBeNull();
    expect(elapsed("2026-05-04T10:00:00Z", at)).toBe("0:00");
    expect(elapsed("2026-05-04T09:59:51Z", at)).toBe("0:09");
    expect(elapsed("2026-05-04T09:47:55Z", at)).toBe("12:05");
    expect(elapsed("2026-05-04T08:58:59Z", at)).toBe("1:01:01");
    // A clock a little behind never shows a negative time.
    expect(elapsed("2026-05-04T10:00:03Z", at)).toBe("0:00");
  });

  it("says the quality in core's rating, with the figures", () => {
    const q = (
      jitter_ms: number,
      loss_percent: number,
      rtt_ms: number | null,
      rating: QualityLevel,
    ) => ({ jitter_ms, loss_percent, rtt_ms, rating });
    expect(qualityWords(q(4, 0.2, 38, "good"))).toBe(
      "Good — 0.2 % lost, jitter 4 ms, round trip 38 ms",
    );
    expect(qualityWords(q(4, 0, null, "good"))).toBe("Good — 0.0 % lost, jitter 4 ms");
    expect(qualityWords(q(40, 0, null, "fair"))).toBe("Fair — 0.0 % lost, jitter 40 ms");
    expect(qualityWords(q(5, 8, null, "poor"))).toBe("Poor — 8.0 % lost, jitter 5 ms");
  });

  it("knows a live call and one that rings here", () => {
    expect(isLive(null)).toBe(false);
    expect(isLive(call({ state: { kind: "ended", why: "hung up", failed: false } }))).toBe(false);
    expect(isLive(call({ state: { kind: "dialing" } }))).toBe(true);
    expect(isRingingHere(call({ state: { kind: "ringing" } }))).toBe(false);
    expect(isRingingHere(ringing())).toBe(true);
  });

  it("dials numbers, codes and addresses, not words", () => {
    for (const ok of ["*97", "1001", "+1 (555) 0100", "sip:bob@pbx", "tel:+15550100", "bob@pbx"]) {
      expect(isDialable(ok), ok).toBe(true);
    }
    for (const bad of ["", "   ", "hello", "12a", "sip:"]) {
      expect(isDialable(bad), bad).toBe(false);
    }
    expect(keypadKey("5")).toBe("5");
    expect(keypadKey("#")).toBe("#");
    expect(keypadKey("a")).toBeNull();
    expect(keypadKey("Enter")).toBeNull();
  });

  it("goes out on the chosen line, else the first registered one", () => {
    const accounts = [account("a", "failed"), account("b"), account("c")];
    expect(defaultLine(accounts)).toBe("b");
    expect(defaultLine(accounts, "c")).toBe("c");
    expect(defaultLine(accounts, "gone")).toBe("b");
    expect(defaultLine([account("a", "failed")])).toBe("a");
    expect(defaultLine([])).toBeNull();
  });
});

describe("call store", () => {
  it("listens first, then asks; an event is newer than the answer", async () => {
    const changed = fakeEvent<CallsView>(events.callChanged);
    let answer: (view: { status: "ok"; data: CallsView }) => void = () => {};
    vi.spyOn(commands, "callsView").mockImplementation(
      () => new Promise((resolve) => (answer = resolve)),
    );
    const store = createCallStore();
    const seen: CallsView[] = [];
    const stop = store.subscribe((view) => seen.push(view));
    await vi.waitFor(() => expect(changed.listeners).toBe(1));
    await vi.waitFor(() => expect(commands.callsView).toHaveBeenCalled());
    const rings = { call: ringing(), missed: [], volume: 100 };
    changed.fire(rings);
    answer({ status: "ok", data: { call: null, missed: [], volume: 100 } });
    await Promise.resolve();
    await Promise.resolve();
    expect(get(store)).toEqual(rings);
    stop();
    expect(changed.listeners).toBe(0);
  });

  it("an action the backend refuses leaves its reason for the panel", async () => {
    vi.spyOn(commands, "callVoicemail").mockResolvedValue({
      status: "error",
      error: "the line has no voicemail number: set it in Settings",
    });
    const result = await callActions.voicemail("desk");
    expect(result.ok).toBe(false);
    expect(get(callProblem)).toBe("the line has no voicemail number: set it in Settings");
    vi.spyOn(commands, "callHangUp").mockResolvedValue({ status: "ok", data: null });
    await callActions.hangUp();
    expect(get(callProblem)).toBeNull();
  });

  it("keeps the volume within 0–100 %", async () => {
    const volume = vi.spyOn(commands, "callVolume").mockResolvedValue({ status: "ok", data: null });
    await callActions.volume(140);
    await callActions.volume(-3);
    await callActions.volume(42.4);
    expect(volume.mock.calls).toEqual([[100], [0], [42]]);
  });
});

import { get } from "svelte/store";
import { describe, expect, it, vi } from "vitest";
import { commands } from "../bindings";
import { counts, engineView, fakeEngine, line } from "../test/engine";
import type { EngineView } from "./api";
import { createEngineStore, LOADING, type EngineState } from "./engine";

const A = line({ name: "A", number: "1001", counts: counts(1) });
const B = line({ name: "B", number: "2002" });

function watch(store = createEngineStore()) {
  const states: EngineState[] = [];
  const stop = store.subscribe((state) => states.push(state));
  return { store, states, stop, last: () => states.at(-1) ?? LOADING };
}

describe("engine store", () => {
  it("asks once, then follows linesChanged", async () => {
    const engine = fakeEngine(engineView([A, B]));
    const { states, stop, last } = watch();
    expect(states[0]).toEqual(LOADING);
    await vi.waitFor(() => expect(last().view?.lines.lines).toHaveLength(2));
    expect(engine.linesView).toHaveBeenCalledTimes(1);
    expect(engine.listen).toHaveBeenCalledTimes(1);

    engine.emit(engineView([B], [], { configError: "bad" }));
    expect(last().view?.lines.lines.map((l) => l.name)).toEqual(["B"]);
    expect(last().view?.configError).toBe("bad");
    stop();
    expect(engine.listeners).toBe(0);
  });

  it("keeps unchanged lines as the same objects", async () => {
    const engine = fakeEngine(engineView([A, B]));
    const { stop, last } = watch();
    await vi.waitFor(() => expect(last().view).not.toBeNull());
    const before = last().view as EngineView;
    const aMore = line({ name: "A", number: "1001", counts: counts(2) });
    engine.emit(engineView([aMore, structuredClone(B)]));
    const after = last().view as EngineView;
    expect(after.lines.lines[1]).toBe(before.lines.lines[1]);
    expect(after.lines.lines[0]).toBe(aMore);
    expect(after.lines.accounts).toBe(before.lines.accounts);
    stop();
  });

  it("drops the first answer when an event came before it", async () => {
    let answer: (view: EngineView) => void = () => {};
    const engine = fakeEngine(engineView([]));
    engine.linesView.mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    const { stop, last } = watch();
    await vi.waitFor(() => expect(engine.linesView).toHaveBeenCalled());
    engine.emit(engineView([B]));
    answer(engineView([A, B]));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(last().view?.lines.lines.map((l) => l.name)).toEqual(["B"]);
    stop();
  });

  it("listens before it asks", async () => {
    const engine = fakeEngine(engineView([A]));
    const { stop } = watch();
    await vi.waitFor(() => expect(engine.linesView).toHaveBeenCalled());
    expect(engine.listen.mock.invocationCallOrder[0]).toBeLessThan(
      engine.linesView.mock.invocationCallOrder[0],
    );
    stop();
  });

  it("says why when the engine cannot be asked, and keeps the last view on return", async () => {
    const { stop, last } = watch();
    await vi.waitFor(() => expect(last().error).toMatch(/engine is not available/));
    stop();

    fakeEngine(engineView([A]));
    const store = createEngineStore();
    const first = watch(store);
    await vi.waitFor(() => expect(first.last().view).not.toBeNull());
    first.stop();
    vi.spyOn(commands, "linesView").mockRejectedValue(new Error("gone"));
    const again = watch(store);
    expect(again.states[0].view?.lines.lines[0].name).toBe("A");
    await vi.waitFor(() => expect(again.last().error).not.toBeNull());
    expect(get(store).view?.lines.lines[0].name).toBe("A");
    again.stop();
  });
});

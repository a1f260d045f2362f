// The engine's view of lines and accounts, kept current from the backend: the
// first `linesView` answer, then every `linesChanged` event (each carries the
// whole view, so nothing is merged — only unchanged lines keep their objects).
import { getContext, setContext } from "svelte";
import { readable, type Readable } from "svelte/store";
import {
  describeError,
  getEngineView,
  holdListener,
  onLinesChanged,
  type EngineView,
} from "./api";
import { reuseUnchanged, sameAccount, sameLine } from "./lines";

/** What the window knows of the engine: nothing yet, a view, or why it has none. */
export interface EngineState {
  /** The latest view; kept when a later call fails. */
  view: EngineView | null;
  /** Why the engine could not be asked, in words; null once a view arrives. */
  error: string | null;
}

export const LOADING: EngineState = Object.freeze({ view: null, error: null });

/** `next`, sharing every line and account that did not change with `previous`. */
export function mergeView(previous: EngineView | null, next: EngineView): EngineView {
  if (previous === null) return next;
  const lines = reuseUnchanged(previous.lines.lines, next.lines.lines, (l) => l.key, sameLine);
  const accounts = reuseUnchanged(
    previous.lines.accounts,
    next.lines.accounts,
    (a) => a.id,
    sameAccount,
  );
  return { ...next, lines: { ...next.lines, lines, accounts } };
}

/**
 * A store of the engine's view. It starts listening when the first subscriber
 * comes and stops when the last one goes, keeping the last view in between so a
 * view opened again shows it at once.
 */
export function createEngineStore(): Readable<EngineState> {
  let state: EngineState = LOADING;
  return readable<EngineState>(LOADING, (set) => {
    let live = true;
    let heard = false;
    set(state);

    const show = (view: EngineView) => {
      state = { view: mergeView(state.view, view), error: null };
      set(state);
    };

    // Listen first, then ask: a change between the two is not lost. An event
    // is newer than the answer, so the answer is dropped once one has come.
    const listening = onLinesChanged((view) => {
      if (!live) return;
      heard = true;
      show(view);
    });
    const stopListening = holdListener(listening);
    listening
      .then(
        () => undefined,
        () => undefined, // no events without a backend; the answer below says why
      )
      .then(() => (live ? getEngineView() : null))
      .then(
        (view) => {
          if (live && !heard && view !== null) show(view);
        },
        (error: unknown) => {
          if (live && !heard) {
            state = { view: state.view, error: describeError(error) };
            set(state);
          }
        },
      );

    return () => {
      live = false;
      stopListening();
    };
  });
}

const ENGINE = Symbol("voicelamp.engine");

/** Shares one engine store with every view below (call while initialising a component). */
export function provideEngine(store: Readable<EngineState>): void {
  setContext(ENGINE, store);
}

/** The shared engine store, or a store of its own for a view rendered alone (tests). */
export function useEngine(): Readable<EngineState> {
  return getContext<Readable<EngineState> | undefined>(ENGINE) ?? createEngineStore();
}

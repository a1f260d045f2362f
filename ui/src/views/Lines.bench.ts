// How the Lines view copes with a large switchboard: 200 tiles, and bursts of
// 50 engine updates (each a whole view, as `linesChanged` sends it). Run with
// `npm run bench:lines`; figures only, no timed assertions. jsdom has no layout
// or paint, so these figures are the script side of an update (store, diff, DOM
// writes), not frames.
import { render } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { bench, describe } from "vitest";
import type { EngineView, LineView } from "../lib/api";
import { counts, engineView, fakeEngine, line } from "../test/engine";
import Lines from "./Lines.svelte";

const TILES = 200;
const BURST = 50;

function switchboard(): LineView[] {
  return Array.from({ length: TILES }, (_, i) =>
    line({
      name: `Line ${i + 1}`,
      number: String(2000 + i),
      account: `acct${i % 10}`,
      accountName: `Site ${i % 10}`,
      own: i % 4 !== 0,
      lamp: i % 17 === 0 ? "stale" : i % 23 === 0 ? "failed" : "active",
      counts: i % 23 === 0 ? null : counts(i % 5, i % 7, i % 11 === 0 ? 1 : 0),
      reason: i % 17 === 0 ? "No NOTIFY since 09:15" : i % 23 === 0 ? "403 Forbidden" : null,
    }),
  );
}

/** Lets the fake engine answer (promises, then one macrotask) and Svelte draw. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
}

/** The engine's order: urgent first, then new count, then configuration order. */
function sorted(lines: LineView[]): LineView[] {
  const rank = (l: LineView) => (l.lamp === "active" && l.counts ? l.counts : null);
  return lines
    .map((l, i) => ({ l, i }))
    .sort((a, b) => {
      const ca = rank(a.l);
      const cb = rank(b.l);
      return (cb?.urgent ?? 0) - (ca?.urgent ?? 0) || (cb?.new ?? 0) - (ca?.new ?? 0) || a.i - b.i;
    })
    .map(({ l }) => l);
}

/** `BURST` views; in each, `changing` lines get new counts (and may move). */
function burst(base: LineView[], changing: number): EngineView[] {
  const current = [...base];
  return Array.from({ length: BURST }, (_, step) => {
    for (let k = 0; k < changing; k += 1) {
      const i = (step * changing + k) % TILES;
      const was = current[i];
      if (was.lamp !== "active") continue;
      const n = ((was.counts?.new ?? 0) + 1) % 9;
      current[i] = line({
        name: was.name,
        number: was.mailbox.slice(4, 8),
        account: was.account,
        accountName: was.accountName,
        own: was.own,
        counts: counts(n, was.counts?.old ?? 0, n % 4 === 0 ? 1 : 0),
        updatedAt: new Date(Date.now() + step * 1000).toISOString(),
      });
    }
    return engineView(sorted(current));
  });
}

describe(`Lines view, ${TILES} tiles`, () => {
  const base = switchboard();
  const initial = engineView(sorted(base));

  // Rendered views are dropped in `teardown`, outside the measured time
  // (removing 200 tiles is slow under jsdom and is not what is measured here).
  const rendered: (() => void)[] = [];
  bench(
    `first render of ${TILES} tiles`,
    async () => {
      fakeEngine(initial);
      const { container, unmount } = render(Lines);
      rendered.push(unmount);
      await settle();
      const tiles = container.querySelectorAll("[data-testid=line-tile]").length;
      if (tiles !== TILES) throw new Error(`${tiles} tiles rendered, not ${TILES}`);
    },
    {
      iterations: 8,
      warmupIterations: 1,
      time: 0,
      teardown: () => rendered.splice(0).forEach((unmount) => unmount()),
    },
  );

  // Bench suites run no hooks: each update bench mounts its own view in
  // `setup` (before the warm-up and before the measured run) and drops it after.
  let engine: ReturnType<typeof fakeEngine> | null = null;
  let unmount: () => void = () => {};
  const mounted = {
    async setup() {
      engine = fakeEngine(initial);
      ({ unmount } = render(Lines));
      await settle();
    },
    teardown() {
      unmount();
      engine = null;
    },
  };
  const oneChanging = burst(base, 1);
  const allChanging = burst(base, TILES);

  function apply(views: EngineView[]) {
    if (engine === null) throw new Error("the view is not mounted");
    for (const next of views) {
      engine.emit(next);
      flushSync();
    }
  }

  const runs = { iterations: 10, warmupIterations: 2, time: 0 };
  bench(`${BURST} updates, 1 line changing in each`, () => apply(oneChanging), {
    ...mounted,
    ...runs,
  });
  bench(`${BURST} updates, every line changing in each`, () => apply(allChanging), {
    ...mounted,
    ...runs,
  });
});

import assert from "node:assert/strict";
import { StepChooser } from "../src/model/fast/chooser.ts";

/** Runs `n` steps whose time per sequence is `ms(split, step)`; returns how many ran split. */
function run(c: StepChooser, n: number, ms: (split: boolean, step: number) => number): number {
  let splits = 0;
  for (let i = 0; i < n; i++) {
    const split = c.choose();
    if (split) splits++;
    c.record(split, ms(split, i));
  }
  return splits;
}

Deno.test("a split judged slow in its cold first steps is taken up within a few dozen steps", () => {
  const c = new StepChooser();
  // The split's first 12 steps are slow (worker warming up, a compile on a V8 thread), then it
  // takes 0.55 of the time on one thread: over a 120-step run it should be used nearly always.
  const splits = run(c, 120, (split, i) => (split ? (i < 12 ? 0.9 : 0.33) : 0.6));
  assert.ok(splits >= 95, `expected the split nearly always, found ${splits} of 120 steps`);
  assert.ok(c.figure(true) < c.figure(false));
});

Deno.test("a split that is slower (the second core busy) runs rarely, in short trials", () => {
  const c = new StepChooser();
  const splits = run(c, 300, (split) => (split ? 0.8 : 0.6));
  // Learning (5) plus trials ending at their first counted step (2 each), ever rarer.
  assert.ok(splits <= 25, `expected few split steps, found ${splits} of 300`);
});

Deno.test("the chooser follows the second core as it gets busy and free again", () => {
  const c = new StepChooser();
  const busy = (i: number): boolean => i >= 100 && i < 200;
  let splitWhileBusy = 0, splitWhileFree = 0;
  for (let i = 0; i < 400; i++) {
    const split = c.choose();
    if (split && busy(i)) splitWhileBusy++;
    if (split && i >= 300) splitWhileFree++;
    c.record(split, split ? (busy(i) ? 0.9 : 0.33) : (busy(i) ? 0.65 : 0.6));
  }
  assert.ok(splitWhileBusy <= 20, `split ${splitWhileBusy} of 100 busy steps`);
  // Trials back off to at most 160 steps apart: the split is back well before step 300.
  assert.ok(splitWhileFree >= 85, `split ${splitWhileFree} of the last 100 free steps`);
});

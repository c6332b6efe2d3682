/**
 * The `threads` setting end to end, short of training (tests/fast_parallel_test.ts trains on 1–4
 * threads): the train flag and the fit settings' schema take it, trainModel's default is the
 * machine's cores, a sweep spec refuses it (the pool shares the cores), and the local pool's
 * jobs never take more threads together than the machine has cores.
 */
import assert from "node:assert/strict";
import { fitOptionsOfFlags, fitSettings } from "../src/pipeline/settings.ts";
import { trainThreads } from "../src/model/train.ts";
import { jobProcessArgs, jobThreads } from "../src/sweep/pool.ts";
import { parseSpec } from "../src/sweep/spec.ts";
import { UsageError } from "../src/util/errors.ts";

Deno.test("--threads sets the fit settings' threads, an integer of at least 1", () => {
  assert.deepEqual(fitOptionsOfFlags({ threads: "3" }), { threads: 3 });
  assert.equal(fitSettings({ threads: 3 }).threads, 3);
  assert.equal(fitSettings({}).threads, undefined, "default: every core, decided by trainModel");
  assert.throws(
    () => fitOptionsOfFlags({ threads: "0" }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === 'Expected threads to be an integer of at least 1, found "0"',
  );
  assert.throws(() => fitSettings({ threads: 2.5 }), /Expected threads to be an integer/);
});

Deno.test("trainModel trains on the given threads, else the deprecated secondCore, else every core", () => {
  assert.equal(trainThreads({ threads: 3 }), 3);
  assert.equal(trainThreads({ threads: 1, secondCore: true }), 1);
  assert.equal(trainThreads({ secondCore: false }), 1);
  assert.equal(trainThreads({ secondCore: true }), 2);
  assert.equal(trainThreads({}), navigator.hardwareConcurrency ?? 1);
});

Deno.test("a sweep spec refuses threads: the local pool gives each job its share", () => {
  assert.throws(
    () => parseSpec('{"grid": {"threads": [1, 2]}}', "s.json"),
    /Expected a training flag other than "threads" in grid of s\.json \(the local pool gives each job its share of the cores\)/,
  );
});

Deno.test("the local pool's jobs share the cores: together never more threads than cores", () => {
  assert.equal(jobThreads({ cores: 8, workers: 2, running: 0, remaining: 10 }), 4);
  assert.equal(jobThreads({ cores: 8, workers: 3, running: 0, remaining: 10 }), 2);
  assert.equal(jobThreads({ cores: 8, workers: 4, running: 0, remaining: 1 }), 8);
  assert.equal(jobThreads({ cores: 2, workers: 4, running: 3, remaining: 5 }), 1);
  // Every schedule of a pool: jobs start while others run, later ones when fewer are left.
  for (const cores of [1, 2, 3, 8, 16]) {
    for (let workers = 1; workers <= cores; workers++) {
      for (let jobs = 1; jobs <= 12; jobs++) {
        // Jobs end in any order; the worst case starts each new one when the fewest run.
        const running: number[] = [];
        let next = 0;
        while (next < jobs) {
          while (running.length < workers && next < jobs) {
            const threads = jobThreads({
              cores,
              workers,
              running: running.length,
              remaining: jobs - next,
            });
            next++;
            running.push(threads);
            const sum = running.reduce((a, b) => a + b, 0);
            assert.ok(sum <= cores, `${sum} threads on ${cores} cores (${workers} workers)`);
          }
          running.sort((a, b) => a - b).shift(); // the job with the fewest threads ends
        }
      }
    }
  }
  assert.deepEqual(jobProcessArgs("local-1", 2).slice(-4), [
    "--worker",
    "local-1",
    "--threads",
    "2",
  ]);
  assert.deepEqual(jobProcessArgs("local-1").slice(-2), ["--worker", "local-1"]);
});

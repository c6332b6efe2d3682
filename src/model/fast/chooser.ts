/**
 * Whether the fused training step spreads its batches over the workers (`parallel.ts`), decided
 * by measurement: the time per sequence of whole steps run spread over every thread and run on the
 * main thread alone (the same bits either way), the faster mode chosen and the other retried now
 * and then. Only whole steps show what spreading costs on a shared machine: with other processes
 * on the other cores, our threads and theirs share the cores, so the main thread's own parts slow
 * down too. Two modes, not a thread count: a step waits for its slowest share, and the other
 * cores are either free enough for the workers to pay or not.
 *
 * Each mode's figure is the fastest of its latest few steps, and a trial replaces the tried
 * mode's figure whole: a step slowed by a passing hiccup (a compile on a V8 thread, another
 * process for a moment) neither sticks nor decides. Trials come soon after a switch and then ever
 * more rarely while they confirm the choice (10, 20, 40, ... up to 160 steps apart), so a wrong
 * first verdict (the first steps of a run are the noisiest) is undone within a few dozen steps
 * and a right one costs little; a trial ends at its first counted step that is clearly slower.
 *
 * @module
 */

/** Samples per mode whose minimum is its figure. */
const SAMPLES = 3;
/** Trial spacing: right after a switch, and at most. */
export const TRIAL_EVERY_MIN = 10;
const TRIAL_EVERY_MAX = 160;
/** Steps of a trial: one skipped (the first after a switch runs cold), then SAMPLES counted. */
const TRIAL_STEPS = 1 + SAMPLES;
/** A trial's step this much slower than the other mode's figure ends the trial. */
const CLEARLY_SLOWER = 1.25;

/**
 * Chooses, step by step, between spreading a fused training step over the workers and computing
 * it on one thread: `choose()` before a step, `record()` with its time after.
 *
 * @example
 * ```ts
 * const chooser = new StepChooser();
 * const split = chooser.choose();
 * const started = performance.now();
 * // ... run the step, split or not ...
 * chooser.record(split, (performance.now() - started) / 32);
 * ```
 */
export class StepChooser {
  /** Latest counted ms per sequence of each mode (newest last, at most SAMPLES). */
  #split: number[] = [];
  #alone: number[] = [];
  #calls = 0;
  /** Steps left to run in the mode under trial after the current one. */
  #trial = 0;
  #trialSplit = true;
  /** Samples still to skip. */
  #skip = 0;
  /** A trial of the slower mode is under way (not the first learning of both). */
  #judging = false;
  /** Steps between trials of the slower mode. */
  #every = TRIAL_EVERY_MIN;
  /** The call at which the next trial starts (0: not set yet). */
  #nextTrial = 0;
  /** The mode chosen at the last step outside trials. */
  #splitFaster = true;

  /** Forgets every measurement (a new worker). */
  reset(): void {
    this.#split = [];
    this.#alone = [];
    this.#calls = 0;
    this.#trial = 0;
    this.#skip = 0;
    this.#judging = false;
    this.#every = TRIAL_EVERY_MIN;
    this.#nextTrial = 0;
    this.#splitFaster = true;
  }

  /** Whether the step chosen last is part of a trial or of the first learning. */
  get trying(): boolean {
    return this.#trial > 0 || this.#judging || this.#nextTrial === 0;
  }

  /** The figure of a mode, ms per sequence: its fastest recent step (NaN before any). */
  figure(split: boolean): number {
    const samples = split ? this.#split : this.#alone;
    return samples.length === 0 ? Number.NaN : Math.min(...samples);
  }

  #startTrial(split: boolean, length: number, skip: number): boolean {
    this.#trialSplit = split;
    this.#trial = length - 1;
    this.#skip = skip;
    // The trial's samples replace the mode's older ones.
    if (split) this.#split = [];
    else this.#alone = [];
    return split;
  }

  /** Whether the next step runs split. */
  choose(): boolean {
    this.#calls++;
    if (this.#trial > 0) {
      this.#trial--;
      return this.#trialSplit;
    }
    // Learn both modes first: split (the first steps warm the worker up), then alone.
    if (Number.isNaN(this.figure(true))) return this.#startTrial(true, 2 + SAMPLES, 2);
    if (Number.isNaN(this.figure(false))) return this.#startTrial(false, TRIAL_STEPS, 1);
    const splitFaster = this.figure(true) <= this.figure(false);
    if (this.#nextTrial === 0 || splitFaster !== this.#splitFaster) {
      // The first choice, or the figures crossed between trials: try the other mode again soon.
      this.#splitFaster = splitFaster;
      this.#every = TRIAL_EVERY_MIN;
      this.#nextTrial = this.#calls + this.#every;
    }
    if (this.#calls >= this.#nextTrial) {
      this.#judging = true;
      return this.#startTrial(!splitFaster, TRIAL_STEPS, 1);
    }
    return splitFaster;
  }

  /** Records the time per sequence of a step run split or not. */
  record(split: boolean, msPerSequence: number): void {
    if (this.#skip > 0) {
      this.#skip--;
      return;
    }
    const samples = split ? this.#split : this.#alone;
    samples.push(msPerSequence);
    if (samples.length > SAMPLES) samples.shift();
    if (!this.#judging || split !== this.#trialSplit) return;
    const other = this.figure(!split);
    if (this.#trial > 0 && !(msPerSequence > CLEARLY_SLOWER * other)) return;
    // The trial is over: its mode is clearly slower, or all its steps are counted.
    this.#judging = false;
    this.#trial = 0;
    const flipped = this.figure(split) < other;
    this.#splitFaster = flipped ? split : !split;
    this.#every = flipped ? TRIAL_EVERY_MIN : Math.min(2 * this.#every, TRIAL_EVERY_MAX);
    this.#nextTrial = this.#calls + this.#every;
  }
}

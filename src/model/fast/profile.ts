/**
 * Fine-grained phase timers of the fused training path (`deno task bench --profile`): where a
 * batch's time goes between the kernels, the worker round trips, the copies and tfjs. Off unless
 * {@linkcode setProfiling} turned them on (a disabled timer is one boolean test), so normal runs
 * pay nothing.
 *
 * @module
 */

/** Total time and count of one phase. */
export interface PhaseTotal {
  /** Milliseconds spent in the phase, summed over its calls. */
  ms: number;
  /** How many times the phase ran. */
  calls: number;
}

let enabled = false;
const totals = new Map<string, PhaseTotal>();

/**
 * Turns the phase timers on or off (and clears them when turning on).
 *
 * @example
 * ```ts
 * setProfiling(true);
 * // ... train ...
 * console.log(profileSnapshot());
 * ```
 */
export function setProfiling(on: boolean): void {
  enabled = on;
  if (on) totals.clear();
}

/**
 * Whether the phase timers run.
 *
 * @example
 * ```ts
 * const t0 = profiling() ? performance.now() : 0;
 * ```
 */
export function profiling(): boolean {
  return enabled;
}

/**
 * Adds `ms` to `phase` (a no-op unless profiling).
 *
 * @example
 * ```ts
 * addPhase("rnn.forward", 1.5);
 * ```
 */
export function addPhase(phase: string, ms: number): void {
  if (!enabled) return;
  const t = totals.get(phase);
  if (t) {
    t.ms += ms;
    t.calls++;
  } else totals.set(phase, { ms, calls: 1 });
}

/**
 * Runs `fn`, adding its time to `phase` when profiling.
 *
 * @example
 * ```ts
 * const y = timed("copy", () => x.slice());
 * ```
 */
export function timed<T>(phase: string, fn: () => T): T {
  if (!enabled) return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    addPhase(phase, performance.now() - t0);
  }
}

/**
 * The phases timed since profiling was turned on, sorted by name.
 *
 * @example
 * ```ts
 * for (const [phase, t] of Object.entries(profileSnapshot())) console.log(phase, t.ms);
 * ```
 */
export function profileSnapshot(): Record<string, PhaseTotal> {
  const out: Record<string, PhaseTotal> = {};
  for (const key of [...totals.keys()].sort()) out[key] = { ...totals.get(key)! };
  return out;
}

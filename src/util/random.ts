/**
 * A small seeded pseudo-random generator (sfc32 seeded through splitmix32), so
 * that synthetic data, shuffles, weight initialisation and bootstraps are
 * reproducible from one integer seed. Never use `Math.random` in this module.
 *
 * @module
 */

/** A seeded source of random numbers. */
export interface Rng {
  /** A uniform float in [0, 1). */
  next(): number;
  /** A standard normal variate (Box–Muller). */
  normal(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
  /** A 32-bit unsigned integer, for seeding other generators. */
  uint32(): number;
}

/**
 * Creates a generator from an integer seed; the same seed gives the same sequence.
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * const u = rng.next(); // always the same for seed 42
 * ```
 */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
  const uint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) uint32();
  let spare: number | undefined;
  const next = (): number => uint32() / 4294967296;
  return {
    next,
    uint32,
    int: (n: number): number => Math.floor(next() * n),
    normal: (): number => {
      if (spare !== undefined) {
        const v = spare;
        spare = undefined;
        return v;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

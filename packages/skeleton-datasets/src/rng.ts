import type { RandomSource } from './types';

/**
 * A small seeded random generator (Mulberry32-style mixing over a 32-bit Weyl counter): fast, identical on every
 * platform, and with a state that is one 32-bit number, so a run can save and restore it exactly.
 *
 * ```ts
 * const rng = new Rng(7);
 * const saved = rng.state;
 * const a = rng.next();
 * rng.state = saved;
 * rng.next() === a; // true
 * ```
 */
export class Rng implements RandomSource {
  private s: number;
  /** @param seed any integer (only its low 32 bits matter). @default 0 */
  constructor(seed = 0) {
    this.s = (seed >>> 0) ^ 0x6d2b79f5;
  }
  /** The full state (an unsigned 32-bit integer), for checkpoints. */
  get state(): number {
    return this.s;
  }
  set state(v: number) {
    this.s = v >>> 0;
  }
  /** Uniform unsigned 32-bit integer. */
  nextU32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Standard normal (Box-Muller, one value per call). */
  normal(): number {
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T extends unknown[] | Int32Array | Uint32Array | Float32Array | Float64Array>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
  /** A new independent generator seeded from this stream. */
  fork(): Rng {
    return new Rng(this.nextU32());
  }
}

/** Uniform in [lo, hi) from any RandomSource. */
export function uniformFrom(rng: RandomSource, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/** Standard normal from any RandomSource (Box-Muller). */
export function normalFrom(rng: RandomSource): number {
  let u = rng.next();
  while (u <= 1e-12) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

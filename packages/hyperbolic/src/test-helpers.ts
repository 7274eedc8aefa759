import { Rng, tf } from '@llmar/tensor';

/** Curvatures and widths every sweep covers (the grid). */
export const CURVATURES = [0.5, 1, 2] as const;
export const WIDTHS = [2, 16, 512, 5120] as const;
/** Seeds per (c, d) cell; each seed draws a fresh batch. */
export const SEEDS = [1, 2, 3, 4] as const;

/** A Gaussian vector of width d with Euclidean norm exactly `norm`. */
export function vecWithNorm(rng: Rng, d: number, norm: number): number[] {
  const v = Array.from({ length: d }, () => rng.normal());
  const n = Math.sqrt(v.reduce((s, a) => s + a * a, 0));
  return v.map((a) => (a * norm) / n);
}

/** A point of the ball of curvature c with ‖x‖√c drawn uniformly in [lo, hi]. */
export function randomPoint(rng: Rng, d: number, c: number, lo = 0, hi = 0.9): number[] {
  return vecWithNorm(rng, d, (lo + (hi - lo) * rng.next()) / Math.sqrt(c));
}

/** `n` points (rows). */
export function randomPoints(rng: Rng, n: number, d: number, c: number, lo = 0, hi = 0.9): number[][] {
  return Array.from({ length: n }, () => randomPoint(rng, d, c, lo, hi));
}

/** A Gaussian tangent vector of width d with norm drawn in [lo, hi]. */
export function randomTangent(rng: Rng, d: number, lo: number, hi: number): number[] {
  return vecWithNorm(rng, d, lo + (hi - lo) * rng.next());
}

/** Rows of a tensor as number[][] (reads and disposes it). */
export function rows(t: tf.Tensor): number[][] {
  const out = t.arraySync() as number[][];
  t.dispose();
  return out;
}

/** Values of a rank-1 tensor as number[] (reads and disposes it). */
export function values(t: tf.Tensor): number[] {
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
}

export const l2 = (v: number[]): number => Math.sqrt(v.reduce((s, a) => s + a * a, 0));

/** ‖a − b‖₂. */
export function l2diff(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** Largest ‖aᵢ − bᵢ‖₂ / max(‖bᵢ‖₂, floor) over rows. */
export function maxRowRelErr(a: number[][], b: number[][], floor: number): number {
  let m = 0;
  a.forEach((row, i) => (m = Math.max(m, l2diff(row, b[i]) / Math.max(l2(b[i]), floor))));
  return m;
}

/** Whether every entry is finite. */
export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** Float64 references and helpers shared by the tests (not exported from the package). */

/** Deterministic standard normals from a 32-bit LCG + Box–Muller. */
export function normals(n: number, seed: number, scale = 1): number[] {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

export function rows(flat: ArrayLike<number>, r: number, c: number): number[][] {
  return Array.from({ length: r }, (_, i) => Array.from(flat).slice(i * c, (i + 1) * c));
}

const norm = (v: number[]) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

/** exp₀ in float64 with the float32 projection radius (1 − 4e-3)/√c. */
export function expmap064(v: number[], c = 1): number[] {
  const sc = Math.sqrt(c);
  const n = Math.max(norm(v), 1e-15);
  let y = v.map((x) => (Math.tanh(sc * n) * x) / (sc * n));
  const maxN = (1 - 4e-3) / sc;
  const yn = norm(y);
  if (yn > maxN) y = y.map((x) => (x / yn) * maxN);
  return y;
}

/** log₀ in float64. */
export function logmap064(y: number[], c = 1): number[] {
  const sc = Math.sqrt(c);
  const n = Math.max(norm(y), 1e-15);
  return y.map((x) => (Math.atanh(sc * n) * x) / (sc * n));
}

/** Geodesic distance on the Poincaré ball in float64 (Möbius addition written out). */
export function dist64(x: number[], y: number[], c = 1): number {
  const mx = x.map((v) => -v);
  const xy = dot(mx, y);
  const x2 = dot(mx, mx);
  const y2 = dot(y, y);
  const den = 1 + 2 * c * xy + c * c * x2 * y2;
  const num = mx.map((v, i) => ((1 + 2 * c * xy + c * y2) * v + (1 - c * x2) * y[i]) / den);
  return (2 / Math.sqrt(c)) * Math.atanh(Math.sqrt(c) * norm(num));
}

export function sqDist64(a: number[], b: number[]): number {
  return a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
}

/** Index of the smallest value. */
export function argmin(v: number[]): number {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (v[i] < v[k]) k = i;
  return k;
}

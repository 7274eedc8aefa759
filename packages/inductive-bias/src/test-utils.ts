/** Float64 references and helpers shared by the tests (not exported from the package). */

/** Deterministic uniform numbers in [0, 1) from a 32-bit LCG. */
export function uniform(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  });
}

/** Deterministic standard normals (Box–Muller over {@link uniform}). */
export function normals(n: number, seed: number): number[] {
  const u = uniform(2 * n, seed);
  return Array.from({ length: n }, (_, i) => Math.sqrt(-2 * Math.log(Math.max(u[2 * i], 1e-12))) * Math.cos(2 * Math.PI * u[2 * i + 1]));
}

/** KL(p‖q) in float64 with 0·log 0 = 0. */
export function kl64(p: number[], q: number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) s += p[i] * Math.log(p[i] / q[i]);
  return s;
}

/** JS(p‖q) in float64. */
export function js64(p: number[], q: number[]): number {
  const m = p.map((v, i) => 0.5 * (v + q[i]));
  return 0.5 * kl64(p, m) + 0.5 * kl64(q, m);
}

/** Zipf target in float64. */
export function zipf64(U: number, alpha = 1, beta = 2.7): number[] {
  const p = Array.from({ length: U }, (_, k) => Math.pow(k + 1 + beta, -alpha));
  const s = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / s);
}

/** Eq. 4 in float64: usage rows [B][U]. */
export function zipfLoss64(usage: number[][], alpha = 1, beta = 2.7): number {
  const U = usage[0].length;
  const tot = new Array(U).fill(0);
  for (const row of usage) row.forEach((v, u) => (tot[u] += v));
  const s = tot.reduce((a, b) => a + b, 0);
  const p = tot.map((v) => v / s).sort((a, b) => b - a);
  return js64(p, zipf64(U, alpha, beta));
}

/** Eq. 5 in float64, W per row = its sum unless given. */
export function contextLoss64(usage: number[][], perm: ArrayLike<number>, W?: number): number {
  const U = usage[0].length;
  const h = U / 2;
  let acc = 0;
  for (const row of usage) {
    let s = 0;
    for (let u = 0; u < h; u++) s += Math.min(row[perm[u]], row[perm[u + h]]);
    const w = W ?? row.reduce((a, b) => a + b, 0);
    acc += (2 / w) * s;
  }
  return -acc / usage.length;
}

function sq(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/** MMD² in float64 with k(x, y) = Σ_h exp(−‖x − y‖²/h). */
export function mmd64(X: number[][], Y: number[][], hs: number[], estimator: 'unbiased' | 'biased' | 'linear'): number {
  const k = (a: number[], b: number[]) => hs.reduce((s, h) => s + Math.exp(-sq(a, b) / h), 0);
  const n = X.length;
  const m = Y.length;
  if (estimator === 'linear') {
    const p = Math.floor(n / 2);
    let s = 0;
    for (let i = 0; i < p; i++) s += k(X[i], X[i + p]) + k(Y[i], Y[i + p]) - k(X[i], Y[i + p]) - k(X[i + p], Y[i]);
    return s / p;
  }
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (estimator === 'biased' || i !== j) xx += k(X[i], X[j]);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (estimator === 'biased' || i !== j) yy += k(Y[i], Y[j]);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += k(X[i], Y[j]);
  const dx = estimator === 'biased' ? n * n : n * (n - 1);
  const dy = estimator === 'biased' ? m * m : m * (m - 1);
  return xx / dx + yy / dy - (2 * xy) / (n * m);
}

/** Mean of ‖z_i − z_j‖² over all pairs (diagonal included) of the rows of [X; Y], in float64. */
export function meanSqDist64(X: number[][], Y: number[][]): number {
  const Z = [...X, ...Y];
  let s = 0;
  for (const a of Z) for (const b of Z) s += sq(a, b);
  return s / (Z.length * Z.length);
}

/** Median of ‖z_i − z_j‖² over i < j of the rows of [X; Y], in float64. */
export function medianSqDist64(X: number[][], Y: number[][]): number {
  const Z = [...X, ...Y];
  const v: number[] = [];
  for (let i = 0; i < Z.length; i++) for (let j = i + 1; j < Z.length; j++) v.push(sq(Z[i], Z[j]));
  v.sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/** Reshape a flat array into rows. */
export function rows(flat: number[], r: number, c: number): number[][] {
  return Array.from({ length: r }, (_, i) => flat.slice(i * c, (i + 1) * c));
}

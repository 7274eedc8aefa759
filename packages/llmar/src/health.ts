/** Token-usage health of a tokenizer, computed from hard token indices (plain float64 maths, no tensors). */
export interface TokenHealth {
  /** exp(entropy) of the token distribution: how many codes are effectively used (1 … U). */
  perplexity: number;
  /** Codes never used in the sample. */
  deadCodes: number;
  /** Codebook size. */
  codebookSize: number;
  /** JS divergence between the sorted usage distribution and the Zipf target (the gap L_zipf closes; 0 … ln 2). */
  zipfGap: number;
  /** Among tokens that occur in a sentence, the share whose paired token (context loss pairing) occurs in the same sentence. */
  pairedShare: number;
  /** Usage counts sorted in descending order (rank-frequency). */
  rankFrequency: number[];
}

/** Zipf target P(k) ∝ (k + β)^(−α), k = 1..U (float64). */
export function zipfTarget(U: number, alpha = 1, beta = 2.7): number[] {
  const p = Array.from({ length: U }, (_, k) => (k + 1 + beta) ** -alpha);
  const s = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / s);
}

function kl(p: number[], q: number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) s += p[i] * Math.log(p[i] / q[i]);
  return s;
}

/** Jensen–Shannon divergence (natural log) of two distributions. */
export function js64(p: number[], q: number[]): number {
  const m = p.map((v, i) => 0.5 * (v + q[i]));
  return 0.5 * kl(p, m) + 0.5 * kl(q, m);
}

/**
 * Health of `indices` laid out as sentences of `W` tokens ([N·W] flat), for a codebook of size U and the context-loss
 * `pairing` permutation (token pairing[u] is paired with pairing[u + U/2]); pass no pairing to skip that statistic (NaN).
 */
export function tokenHealth(indices: ArrayLike<number>, W: number, U: number, pairing?: ArrayLike<number>): TokenHealth {
  const counts = new Float64Array(U);
  for (let i = 0; i < indices.length; i++) counts[indices[i]] += 1;
  const total = indices.length;
  let ent = 0;
  let dead = 0;
  for (let u = 0; u < U; u++) {
    if (counts[u] === 0) dead++;
    else {
      const p = counts[u] / total;
      ent -= p * Math.log(p);
    }
  }
  const sorted = Array.from(counts).sort((a, b) => b - a);
  const zipfGap = total > 0 ? js64(sorted.map((c) => c / total), zipfTarget(U)) : NaN;
  let pairedShare = NaN;
  if (pairing && pairing.length === U && W > 0) {
    const partner = new Int32Array(U);
    const h = U / 2;
    for (let u = 0; u < h; u++) {
      partner[pairing[u]] = pairing[u + h];
      partner[pairing[u + h]] = pairing[u];
    }
    let used = 0;
    let together = 0;
    const seen = new Uint8Array(U);
    for (let s = 0; s + W <= indices.length; s += W) {
      seen.fill(0);
      for (let j = 0; j < W; j++) seen[indices[s + j]] = 1;
      for (let u = 0; u < U; u++) {
        if (!seen[u]) continue;
        used++;
        if (seen[partner[u]]) together++;
      }
    }
    pairedShare = used ? together / used : 0;
  }
  return { perplexity: Math.exp(ent), deadCodes: dead, codebookSize: U, zipfGap, pairedShare, rankFrequency: sorted };
}

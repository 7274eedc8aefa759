/**
 * Test-only float64 reference of the LLaMA forward pass, written as plain loops over positions, heads and pairs
 * (the llama2.c way) and independent of the tensor implementation. Not exported from the package.
 */
import type { LlamaConfig } from '../config';

export type RefWeights = Record<string, Float64Array>;

function matvec(w: Float64Array, x: Float64Array, out: number, inn: number): Float64Array {
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    for (let i = 0; i < inn; i++) s += w[o * inn + i] * x[i];
    y[o] = s;
  }
  return y;
}

function rmsnorm(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * w[i]);
}

function rope(v: Float64Array, pos: number, hs: number, c: LlamaConfig): void {
  for (let h0 = 0; h0 < v.length; h0 += hs) {
    for (let j = 0; j < hs / 2; j++) {
      const a = pos * Math.pow(c.ropeTheta, (-2 * j) / hs);
      const [i0, i1] = c.ropeStyle === 'adjacent' ? [h0 + 2 * j, h0 + 2 * j + 1] : [h0 + j, h0 + j + hs / 2];
      const x0 = v[i0];
      const x1 = v[i1];
      v[i0] = x0 * Math.cos(a) - x1 * Math.sin(a);
      v[i1] = x0 * Math.sin(a) + x1 * Math.cos(a);
    }
  }
}

/**
 * Logits [T][V] of one sequence given as input vectors (embedding rows), with `keep[t]` = false marking padding keys.
 * Positions are `pos0 + t`.
 */
export function referenceForward(c: LlamaConfig, w: RefWeights, inputs: Float64Array[], keep?: boolean[], pos0 = 0): Float64Array[] {
  const d = c.dim;
  const hs = d / c.nHeads;
  const kvd = c.nKvHeads * hs;
  const rep = c.nHeads / c.nKvHeads;
  const T = inputs.length;
  let xs: Float64Array[] = inputs.map((x) => Float64Array.from(x));
  for (let l = 0; l < c.nLayers; l++) {
    const p = `model.layers.${l}.`;
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    const qs: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const h = rmsnorm(xs[t], w[`${p}input_layernorm.weight`], c.normEps);
      const q = matvec(w[`${p}self_attn.q_proj.weight`], h, d, d);
      const k = matvec(w[`${p}self_attn.k_proj.weight`], h, kvd, d);
      rope(q, pos0 + t, hs, c);
      rope(k, pos0 + t, hs, c);
      qs.push(q);
      ks.push(k);
      vs.push(matvec(w[`${p}self_attn.v_proj.weight`], h, kvd, d));
    }
    const next: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const att = new Float64Array(d);
      for (let hd = 0; hd < c.nHeads; hd++) {
        const g = Math.floor(hd / rep);
        const sc: number[] = [];
        const idx: number[] = [];
        for (let s = 0; s <= t; s++) {
          if (keep && !keep[s]) continue;
          let dot = 0;
          for (let i = 0; i < hs; i++) dot += qs[t][hd * hs + i] * ks[s][g * hs + i];
          sc.push(dot / Math.sqrt(hs));
          idx.push(s);
        }
        if (sc.length === 0) continue;
        const m = Math.max(...sc);
        const e = sc.map((v) => Math.exp(v - m));
        const z = e.reduce((a, b) => a + b, 0);
        e.forEach((pe, j) => {
          for (let i = 0; i < hs; i++) att[hd * hs + i] += (pe / z) * vs[idx[j]][g * hs + i];
        });
      }
      const o = matvec(w[`${p}self_attn.o_proj.weight`], att, d, d);
      const x1 = xs[t].map((v, i) => v + o[i]);
      const h2 = rmsnorm(x1, w[`${p}post_attention_layernorm.weight`], c.normEps);
      const g1 = matvec(w[`${p}mlp.gate_proj.weight`], h2, c.hiddenDim, d);
      const u = matvec(w[`${p}mlp.up_proj.weight`], h2, c.hiddenDim, d);
      const a = g1.map((v, i) => (v / (1 + Math.exp(-v))) * u[i]);
      const dn = matvec(w[`${p}mlp.down_proj.weight`], a, d, c.hiddenDim);
      next.push(x1.map((v, i) => v + dn[i]));
    }
    xs = next;
  }
  const out = c.tiedEmbeddings ? w['model.embed_tokens.weight'] : w['lm_head.weight'];
  return xs.map((x) => matvec(out, rmsnorm(x, w['model.norm.weight'], c.normEps), c.vocabSize, d));
}

/** Embedding rows of token ids from the float64 weights. */
export function embedRows(c: LlamaConfig, w: RefWeights, ids: number[]): Float64Array[] {
  const E = w['model.embed_tokens.weight'];
  return ids.map((id) => E.slice(id * c.dim, (id + 1) * c.dim));
}

/** Largest |a - b| / (1 + |b|) over two logit tables. */
export function maxRelErr(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  let m = 0;
  a.forEach((row, t) => {
    for (let i = 0; i < row.length; i++) m = Math.max(m, Math.abs(row[i] - b[t][i]) / (1 + Math.abs(b[t][i])));
  });
  return m;
}

import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, Rng } from '@llmar/tensor';
import { Llama, createCache, mixEmbeddings, permuteForRotateHalf, unpermuteFromRotateHalf, type LinearAdapter } from './model';
import { type LlamaConfig, makeConfig, weightShapes, paramCount } from './config';
import { assertFitsBackend } from './memory';
import { LlmError } from './errors';
import { referenceForward, embedRows, maxRelErr, type RefWeights } from './testing/reference';

beforeAll(async () => {
  await initBackend();
});

const base = { dim: 16, hiddenDim: 40, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 37, maxSeqLen: 32 };

/** Random weights with a spread large enough that logits are far from uniform. */
function randomWeights(c: LlamaConfig, seed: number, std = 0.35): Record<string, tf.Tensor> {
  const rng = new Rng(seed);
  const out: Record<string, tf.Tensor> = {};
  for (const [name, shape] of weightShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = shape.length === 1 ? 1 + 0.3 * rng.normal() : std * rng.normal();
    out[name] = tf.tensor(a, shape);
  }
  return out;
}

function refWeights(m: Llama): RefWeights {
  const w: RefWeights = {};
  for (const n of m.weightNames()) w[n] = Float64Array.from(m.getWeight(n).dataSync());
  return w;
}

function build(c: LlamaConfig, seed = 1): Llama {
  const w = randomWeights(c, seed);
  const m = Llama.fromWeights(c, w);
  Object.values(w).forEach((t) => t.dispose());
  return m;
}

const rows = (t: tf.Tensor): number[][] => {
  const a = t.arraySync() as number[][][];
  return a[0];
};

describe('Llama forward against a float64 reference', () => {
  const cases: [string, Partial<LlamaConfig>][] = [
    ['GQA, adjacent RoPE, tied', { ropeStyle: 'adjacent', tiedEmbeddings: true }],
    ['GQA, rotate-half RoPE, untied', { ropeStyle: 'rotate-half', tiedEmbeddings: false }],
    ['MHA, rotate-half, theta 500000, eps 1e-6', { nKvHeads: 4, ropeTheta: 500000, normEps: 1e-6 }],
  ];
  for (const [name, extra] of cases) {
    it(`${name}: logits match to 1e-4`, () => {
      const c = makeConfig({ ...base, ...extra });
      const m = build(c, 7);
      const ids = [1, 5, 9, 2, 33, 17, 0, 36, 12, 4, 8];
      const got = tf.tidy(() => rows(m.forward({ ids: tf.tensor2d([ids], [1, ids.length], 'int32') })));
      const w = refWeights(m);
      const want = referenceForward(c, w, embedRows(c, w, ids));
      expect(maxRelErr(got, want)).toBeLessThan(1e-4);
      // not a trivially flat output
      expect(Math.max(...want[3]) - Math.min(...want[3])).toBeGreaterThan(1);
      m.dispose();
    });
  }

  it('KV cache: token-by-token and chunked decoding equal one full pass (1e-5)', () => {
    const c = makeConfig({ ...base, ropeStyle: 'adjacent' });
    const m = build(c, 3);
    const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    tf.tidy(() => {
      const full = m.forward({ ids: tf.tensor2d([ids], [1, 10], 'int32') });
      const cache = createCache(m, 1);
      const parts: tf.Tensor[] = [];
      for (const [a, b] of [[0, 4], [4, 5], [5, 6], [6, 10]]) {
        parts.push(m.forward({ ids: tf.tensor2d([ids.slice(a, b)], [1, b - a], 'int32') }, { cache }));
      }
      expect(cache.length).toBe(10);
      const inc = tf.concat(parts, 1);
      expect(tf.max(tf.abs(tf.sub(inc, full))).dataSync()[0]).toBeLessThan(1e-5);
      cache.dispose();
    });
    m.dispose();
  });

  it('memory stays flat over repeated forward passes with a cache', () => {
    const m = build(makeConfig(base), 2);
    const run = () => {
      const cache = createCache(m, 2);
      for (let i = 0; i < 3; i++) tf.tidy(() => void m.forward({ ids: tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32') }, { cache }));
      cache.dispose();
    };
    run();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) run();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});

describe('KV cache failure safety', () => {
  it('a pass that throws leaves the cache and the tensor count as they were', () => {
    const m = build(makeConfig(base), 2);
    const cache = createCache(m, 1);
    tf.tidy(() => void m.forward({ ids: tf.tensor2d([[1, 2, 3]], [1, 3], 'int32') }, { cache, padMask: tf.ones([1, 3]) as tf.Tensor2D }));
    const before = tf.memory().numTensors;
    m.adapters.set('model.layers.1.mlp.up_proj.weight', {
      apply: () => {
        throw new Error('adapter failure');
      },
    });
    expect(() => tf.tidy(() => m.forward({ ids: tf.tensor2d([[4]], [1, 1], 'int32') }, { cache }))).toThrow('adapter failure');
    expect(cache.length).toBe(3);
    expect(cache.keyMask?.shape).toEqual([1, 3]);
    expect(tf.memory().numTensors).toBe(before);
    m.adapters.clear();
    tf.tidy(() => void m.forward({ ids: tf.tensor2d([[4]], [1, 1], 'int32') }, { cache }));
    expect(cache.length).toBe(4);
    cache.dispose();
    m.dispose();
  });
});

describe('RoPE conventions', () => {
  it('adjacent weights permuted for rotate-half give the same logits; unpermute inverts', () => {
    const ca = makeConfig({ ...base, ropeStyle: 'adjacent' });
    const ma = build(ca, 11);
    const cr: LlamaConfig = { ...ca, ropeStyle: 'rotate-half' };
    const w: Record<string, tf.Tensor> = {};
    for (const n of ma.weightNames()) {
      const v = ma.getWeight(n);
      if (n.endsWith('q_proj.weight')) w[n] = permuteForRotateHalf(v as unknown as tf.Tensor2D, ca.nHeads);
      else if (n.endsWith('k_proj.weight')) w[n] = permuteForRotateHalf(v as unknown as tf.Tensor2D, ca.nKvHeads);
      else w[n] = v.clone();
    }
    const mr = Llama.fromWeights(cr, w);
    const ids = tf.tensor2d([[2, 7, 19, 30, 1, 0, 14]], [1, 7], 'int32');
    const a = ma.forward({ ids });
    const b = mr.forward({ ids });
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-4);
    const q = ma.getWeight('model.layers.1.self_attn.q_proj.weight') as unknown as tf.Tensor2D;
    const back = unpermuteFromRotateHalf(permuteForRotateHalf(q, ca.nHeads), ca.nHeads);
    expect(Array.from(back.dataSync())).toEqual(Array.from(q.dataSync()));
    // the permutation moves row 2j+h of each head to h*hs/2+j
    const rowsIn = tf.tensor2d(Array.from({ length: 8 }, (_, i) => [i]), [8, 1]);
    expect(Array.from(permuteForRotateHalf(rowsIn, 2).dataSync())).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    expect(() => permuteForRotateHalf(rowsIn, 3)).toThrow(LlmError);
    tf.dispose([ids, a, b, back, rowsIn, ...Object.values(w)]);
    ma.dispose();
    mr.dispose();
  });
});

describe('padding and mixed inputs', () => {
  it('left- and right-padded batches give the unpadded logits for real tokens (1e-5)', () => {
    const m = build(makeConfig({ ...base, ropeStyle: 'rotate-half' }), 5);
    const s1 = [1, 8, 3, 22, 9];
    const s2 = [1, 30, 4];
    const single = (s: number[]) => tf.tidy(() => rows(m.forward({ ids: tf.tensor2d([s], [1, s.length], 'int32') })));
    const r1 = single(s1);
    const r2 = single(s2);
    for (const side of ['left', 'right'] as const) {
      const pad = (s: number[]) => (side === 'left' ? [...Array(5 - s.length).fill(0), ...s] : [...s, ...Array(5 - s.length).fill(0)]);
      const mask = (s: number[]) => pad(s.map(() => 1)).map((v) => (v === 1 ? 1 : 0));
      const out = tf.tidy(
        () =>
          m.forward(
            { ids: tf.tensor2d([pad(s1), pad(s2)], [2, 5], 'int32') },
            { padMask: tf.tensor2d([mask(s1).map(() => 1), mask(s2)], [2, 5]) },
          ).arraySync() as number[][][],
      );
      const real2 = side === 'left' ? out[1].slice(2) : out[1].slice(0, 3);
      expect(maxRelErr(out[0], r1)).toBeLessThan(1e-5);
      expect(maxRelErr(real2, r2)).toBeLessThan(1e-5);
      expect(out.flat(2).every(Number.isFinite)).toBe(true);
    }
    m.dispose();
  });

  it('a left-padded batch decoded with the KV cache matches each sequence alone (the cache remembers the padding)', () => {
    const m = build(makeConfig({ ...base, ropeStyle: 'adjacent' }), 12);
    const seqs = [[1, 8, 3, 22, 9, 5, 7], [1, 30, 4, 11, 2]]; // last 2 tokens of each are fed one at a time
    const alone = seqs.map((s) => tf.tidy(() => rows(m.forward({ ids: tf.tensor2d([s], [1, s.length], 'int32') }))));
    const P = [5, 3]; // prompt lengths
    const cache = createCache(m, 2);
    const prompt = [seqs[0].slice(0, 5), [0, 0, ...seqs[1].slice(0, 3)]];
    const first = tf.tidy(
      () =>
        m.forward({ ids: tf.tensor2d(prompt, [2, 5], 'int32') }, { cache, padMask: tf.tensor2d([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]], [2, 5]) })
          .arraySync() as number[][][],
    );
    expect(maxRelErr([first[0][4]], [alone[0][4]])).toBeLessThan(1e-5);
    expect(maxRelErr([first[1][4]], [alone[1][2]])).toBeLessThan(1e-5);
    for (let k = 0; k < 2; k++) {
      const step = tf.tidy(
        () => m.forward({ ids: tf.tensor2d([[seqs[0][P[0] + k]], [seqs[1][P[1] + k]]], [2, 1], 'int32') }, { cache }).arraySync() as number[][][],
      );
      expect(maxRelErr([step[0][0]], [alone[0][P[0] + k]])).toBeLessThan(1e-5);
      expect(maxRelErr([step[1][0]], [alone[1][P[1] + k]])).toBeLessThan(1e-5);
    }
    expect(cache.keyMask?.shape).toEqual([2, 7]);
    cache.dispose();
    m.dispose();
  });

  it('mixEmbeddings with the token embeddings themselves gives identical logits; embeds input equals ids input', () => {
    const m = build(makeConfig(base), 9);
    tf.tidy(() => {
      const ids = tf.tensor2d([[1, 4, 7, 10], [2, 5, 8, 11]], [2, 4], 'int32');
      const ext = m.embedTokens(ids);
      const mask = tf.tensor2d([[0, 1, 1, 0], [1, 0, 0, 1]], [2, 4]);
      const zeros = tf.zerosLike(ids) as tf.Tensor2D;
      const mixedIds = tf.where(tf.greater(mask, 0), zeros, ids) as tf.Tensor2D; // external positions carry id 0
      const a = m.forward({ ids });
      const b = m.forward({ embeds: mixEmbeddings(m, mixedIds, ext, mask) });
      const c = m.forward({ embeds: ext });
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      expect(Array.from(c.dataSync())).toEqual(Array.from(a.dataSync()));
      // and a different external vector does change the logits at and after that position only
      const other = mixEmbeddings(m, mixedIds, tf.onesLike(ext) as tf.Tensor3D, mask);
      const d = m.forward({ embeds: other }).arraySync() as number[][][];
      const aa = a.arraySync() as number[][][];
      expect(d[0][0]).toEqual(aa[0][0]);
      expect(maxRelErr([d[0][1]], [aa[0][1]])).toBeGreaterThan(1e-3);
      // gradients reach `external` at external positions only
      const g = tf.grad((e: tf.Tensor) => tf.sum(tf.square(m.forward({ embeds: mixEmbeddings(m, mixedIds, e as tf.Tensor3D, mask) }))))(ext);
      const perPos = tf.sum(tf.abs(g), -1).arraySync() as number[][];
      const m2 = mask.arraySync() as number[][];
      perPos.forEach((row, b) => row.forEach((v, t) => (m2[b][t] ? expect(v).toBeGreaterThan(0) : expect(v).toBe(0))));
    });
    m.dispose();
  });
});

describe('weights, adapters, training hooks', () => {
  it('fromWeights names the missing, misshapen, mistyped or foreign tensor', () => {
    const c = makeConfig(base);
    const w = randomWeights(c, 1);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return `${(e as LlmError).code}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    const { ['model.norm.weight']: norm, ...rest } = w;
    expect(code(() => Llama.fromWeights(c, rest))).toMatch(/^MISSING_TENSOR: .*model\.norm\.weight/);
    expect(code(() => Llama.fromWeights(c, { ...w, 'model.norm.weight': tf.ones([15]) }))).toMatch(/^SHAPE_MISMATCH: .*\[15\].*\[16\]/);
    expect(code(() => Llama.fromWeights(c, { ...w, 'model.norm.weight': tf.ones([16], 'int32') }))).toMatch(/^UNSUPPORTED_DTYPE/);
    expect(code(() => Llama.fromWeights({ ...c, tiedEmbeddings: true }, w))).toMatch(/^BAD_CONFIG: .*lm_head/);
    expect(code(() => Llama.fromWeights({ ...c, nKvHeads: 3 }, w))).toMatch(/^BAD_CONFIG: .*nKvHeads 3/);
    expect(paramCount(c)).toBe(Object.values(w).reduce((a, t) => a + t.size, 0));
    // a model built, used and disposed leaves no tensor behind
    const before = tf.memory().numTensors;
    const m = Llama.fromWeights(c, w, { transposedCopies: true });
    tf.tidy(() => void m.forward({ ids: tf.tensor2d([[1, 2]], [1, 2], 'int32') }));
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([norm, ...Object.values(rest)]);
  });

  it('setWeight and direct assignment both reach the forward pass; an adapter adds its output', () => {
    const c = makeConfig(base);
    const m = build(c, 4);
    const name = 'model.layers.0.self_attn.v_proj.weight';
    const ids = tf.tensor2d([[3, 9, 27, 1]], [1, 4], 'int32');
    const l0 = m.forward({ ids });
    const delta = tf.randomNormal(m.getWeight(name).shape, 0, 0.3, 'float32', 5);
    const merged = tf.add(m.getWeight(name), delta);
    // an adapter computing x @ delta^T equals the merged weight
    const adapter: LinearAdapter = { apply: (x) => tf.matMul(x.reshape([-1, c.dim]), delta, false, true).reshape([...x.shape.slice(0, -1), -1]) };
    m.adapters.set(name, adapter);
    const lAdapter = m.forward({ ids });
    m.adapters.delete(name);
    m.setWeight(name, merged);
    const lMerged = m.forward({ ids });
    expect(tf.max(tf.abs(tf.sub(lAdapter, lMerged))).dataSync()[0]).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(tf.sub(lAdapter, l0))).dataSync()[0]).toBeGreaterThan(1e-2);
    m.getWeight(name).assign(tf.sub(merged, delta));
    expect(tf.max(tf.abs(tf.sub(m.forward({ ids }), l0))).dataSync()[0]).toBeLessThan(1e-4);
    expect(() => m.setWeight(name, tf.zeros([3, 3]))).toThrow(/SHAPE_MISMATCH/);
    tf.dispose([ids, l0, delta, merged, lAdapter, lMerged]);
    m.dispose();
  });

  it('trainable weights get gradients that match central finite differences', () => {
    const c = makeConfig({ ...base, nLayers: 1 });
    const m = build(c, 6);
    const name = 'model.layers.0.mlp.up_proj.weight';
    m.setTrainable([name, 'model.embed_tokens.weight']);
    expect(m.trainableWeights().length).toBe(2);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5]], [1, 5], 'int32');
    const loss = () => tf.tidy(() => tf.mean(tf.square(m.forward({ ids }))) as tf.Scalar);
    const { grads, value } = tf.variableGrads(loss);
    value.dispose();
    const W = m.getWeight(name);
    const g = grads[W.name].dataSync();
    const w0 = W.dataSync().slice();
    const eps = 1e-2;
    for (const k of [0, 17, 301]) {
      const at = (v: number) => {
        const a = w0.slice();
        a[k] = v;
        W.assign(tf.tensor(a, W.shape));
        return loss().dataSync()[0];
      };
      const fd = (at(w0[k] + eps) - at(w0[k] - eps)) / (2 * eps);
      expect(Math.abs(fd - g[k])).toBeLessThan(2e-2 * Math.abs(g[k]) + 1e-4);
    }
    W.assign(tf.tensor(w0, W.shape));
    expect(grads[m.getWeight('model.embed_tokens.weight').name].shape).toEqual([37, 16]);
    m.setTrainable('none');
    expect(m.trainableWeights().length).toBe(0);
    tf.dispose([ids, ...Object.values(grads)]);
    m.dispose();
  });

  it('gradients through frozen layers to adapters agree with and without transposed copies, and with finite differences', () => {
    const c = makeConfig({ ...base, nLayers: 2 });
    const w = randomWeights(c, 8);
    const copies = Llama.fromWeights(c, w, { transposedCopies: true });
    const plain = Llama.fromWeights(c, w, { transposedCopies: false });
    Object.values(w).forEach((t) => t.dispose());
    const A = tf.variable(tf.randomNormal([c.dim, c.dim], 0, 0.2, 'float32', 3));
    const adapter: LinearAdapter = { apply: (x) => tf.matMul(x.reshape([-1, c.dim]), A).reshape(x.shape) };
    for (const m of [copies, plain]) m.adapters.set('model.layers.0.self_attn.q_proj.weight', adapter);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32');
    const lossOf = (m: Llama) => () => tf.tidy(() => tf.mean(tf.square(m.forward({ ids }))) as tf.Scalar);
    const g1 = tf.variableGrads(lossOf(copies), [A]);
    const g2 = tf.variableGrads(lossOf(plain), [A]);
    const a = g1.grads[A.name].dataSync();
    const b = g2.grads[A.name].dataSync();
    let scale = 0;
    for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]));
    expect(scale).toBeGreaterThan(1e-4);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-4 * scale);
    const a0 = A.dataSync().slice();
    const k = 37;
    const eps = 1e-2;
    const at = (v: number) => {
      const z = a0.slice();
      z[k] = v;
      A.assign(tf.tensor(z, A.shape));
      return lossOf(copies)().dataSync()[0];
    };
    const fd = (at(a0[k] + eps) - at(a0[k] - eps)) / (2 * eps);
    expect(Math.abs(fd - a[k])).toBeLessThan(2e-2 * Math.abs(a[k]) + 1e-4 * scale);
    tf.dispose([ids, A, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    copies.dispose();
    plain.dispose();
  });

  it('Llama.random is deterministic per seed; bad inputs throw LlmError', () => {
    const c = makeConfig(base);
    const a = Llama.random(c, 42);
    const b = Llama.random(c, 42);
    const n = 'model.layers.1.mlp.down_proj.weight';
    expect(Array.from(a.getWeight(n).dataSync())).toEqual(Array.from(b.getWeight(n).dataSync()));
    expect(() => a.embedTokens(tf.tensor2d([[37]], [1, 1], 'int32'))).toThrow(/token id 37/);
    expect(() => a.hidden({ ids: tf.tensor2d([Array(33).fill(1)], [1, 33], 'int32') })).toThrow(/maxSeqLen 32/);
    expect(() => a.hidden({})).toThrow(LlmError);
    a.dispose();
    expect(() => a.getWeight(n)).toThrow(/disposed/);
    b.dispose();
  });
});

describe('assertFitsBackend', () => {
  it('refuses a 13B model on wasm before allocating, with its size and a backend suggestion', () => {
    const c13 = makeConfig({ dim: 5120, hiddenDim: 13824, nLayers: 40, nHeads: 40, vocabSize: 32000, maxSeqLen: 4096 });
    expect(() => assertFitsBackend(c13, { backend: 'wasm' })).toThrow(/TOO_LARGE.*GB.*node/);
    expect(assertFitsBackend(c13, { backend: 'cpu' })).toBe(paramCount(c13) * 4);
    expect(() => assertFitsBackend(4e9, { backend: 'wasm' })).toThrow(LlmError);
    expect(assertFitsBackend(1e6, { backend: 'wasm' })).toBe(1e6);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng, tf } from '@llmar/tensor';
import { makeConfig } from './config';
import { Llama } from './model';
import { applyLora, fullFineTuning } from './lora';
import { loadAdapter, saveAdapter } from './adapters';
import { AdamW } from './optim';
import {
  accumulateGradients, causalLmLoss, clipByGlobalNorm, disposeBatch, lmLossSum, makeLmBatch, trainLmStep, type LmSequence,
} from './train';

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'llmar-train-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cfg = makeConfig({ dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 64, maxSeqLen: 32 });

function randomSeqs(rng: Rng, n: number, V: number, minLen = 3, maxLen = 9): LmSequence[] {
  return Array.from({ length: n }, () => {
    const L = minLen + rng.int(maxLen - minLen + 1);
    const ids = Array.from({ length: L }, () => rng.int(V));
    const lossMask = ids.map((_, t) => (t >= L - 2 ? 1 : 0)); // only the last two tokens are "the answer"
    return { ids, lossMask };
  });
}

describe('causalLmLoss', () => {
  it('matches float64 cross-entropy and its gradient (softmax − onehot)·mask/count, mean and sum (<= 1e-5)', () => {
    const rng = new Rng(1);
    const [B, T, V] = [2, 3, 7];
    const lg = Array.from({ length: B * T * V }, () => 3 * rng.normal());
    const tg = Array.from({ length: B * T }, () => rng.int(V));
    const mk = [1, 0, 1, 1, 1, 0];
    let sum = 0;
    const grad = new Float64Array(B * T * V);
    const count = mk.reduce((a, b) => a + b, 0);
    for (let n = 0; n < B * T; n++) {
      const row = lg.slice(n * V, (n + 1) * V);
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, x) => s + Math.exp(x - mx), 0));
      sum += mk[n] * (lse - row[tg[n]]);
      for (let v = 0; v < V; v++) grad[n * V + v] = (mk[n] * (Math.exp(row[v] - lse) - (v === tg[n] ? 1 : 0))) / count;
    }
    const logits = tf.tensor3d(lg, [B, T, V]);
    const targets = tf.tensor2d(tg, [B, T], 'int32');
    const mask = tf.tensor2d(mk, [B, T]);
    const { value, grad: grads } = tf.valueAndGrad((x: tf.Tensor) => causalLmLoss(x, targets, mask))(logits);
    expect(Math.abs(value.dataSync()[0] - sum / count)).toBeLessThanOrEqual(1e-5);
    const g = grads.dataSync();
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - grad[i])).toBeLessThanOrEqual(1e-5);
    const s = causalLmLoss(logits, targets, mask, { reduction: 'sum' });
    expect(Math.abs(s.dataSync()[0] - sum)).toBeLessThanOrEqual(1e-4);
    // a target 200 nats below the others: p underflows in float32, the exact log-sum-exp path gives 200 + log(V − 1)
    const far = tf.tensor2d([[0, 0, 0, -200], [0, 5, 0, 0]]);
    const farLoss = causalLmLoss(far, tf.tensor1d([3, 1], 'int32'), tf.tensor1d([1, 0]));
    expect(Math.abs(farLoss.dataSync()[0] - (200 + Math.log(3)))).toBeLessThanOrEqual(1e-4);
    tf.dispose([far, farLoss]);
    const zero = causalLmLoss(logits, targets, tf.zeros([B, T]));
    expect(zero.dataSync()[0]).toBe(0);
    expect(() => causalLmLoss(logits, tf.zeros([5], 'int32'))).toThrow(/SHAPE_MISMATCH/);
    tf.dispose([logits, targets, mask, value, grads, s, zero]);
  });
});

describe('causalLmLoss over a wider vocabulary (uniform weights, scaled upstream gradient)', () => {
  it('equals float64 log-sum-exp − logit and 3·(softmax − onehot)/N with no mask (<= 1e-5)', () => {
    const rng = new Rng(4);
    const [N, V] = [37, 1029]; // odd widths: the vector tails of the fused native kernel, when it is registered
    const lg = Array.from({ length: N * V }, () => 4 * rng.normal());
    const tg = Array.from({ length: N }, () => rng.int(V));
    let sum = 0;
    const want = new Float64Array(N * V);
    for (let n = 0; n < N; n++) {
      const row = lg.slice(n * V, (n + 1) * V);
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0));
      sum += lse - row[tg[n]];
      for (let v = 0; v < V; v++) want[n * V + v] = (3 * (Math.exp(row[v] - lse) - (v === tg[n] ? 1 : 0))) / N;
    }
    const logits = tf.tensor2d(lg, [N, V]);
    const targets = tf.tensor1d(tg, 'int32');
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => tf.mul(causalLmLoss(x, targets), 3) as tf.Scalar)(logits);
    expect(Math.abs(value.dataSync()[0] - (3 * sum) / N)).toBeLessThanOrEqual(1e-4);
    const g = grad.dataSync();
    let err = 0;
    for (let i = 0; i < g.length; i++) err = Math.max(err, Math.abs(g[i] - want[i]));
    expect(err).toBeLessThanOrEqual(1e-6);
    tf.dispose([logits, targets, value, grad]);
  });
});

describe('batches, padding and accumulation', () => {
  it('makeLmBatch shifts targets, right-pads, and the padded batch loss equals the sum of per-sequence losses (<= 1e-4)', () => {
    const m = Llama.random(cfg, 3);
    const seqs = randomSeqs(new Rng(2), 4, 64);
    seqs[0].ids = [5, 6, 7];
    seqs[0].lossMask = [0, 1, 1];
    const b = makeLmBatch(seqs, { padId: 0 });
    const T = Math.max(...seqs.map((s) => s.ids.length)) - 1;
    expect(b.ids.shape).toEqual([4, T]);
    expect((b.ids.arraySync() as number[][])[0].slice(0, 3)).toEqual([5, 6, 0]);
    expect((b.targets.arraySync() as number[][])[0].slice(0, 2)).toEqual([6, 7]);
    expect((b.lossMask.arraySync() as number[][])[0].slice(0, 3)).toEqual([1, 1, 0]);
    expect((b.padMask.arraySync() as number[][])[0].slice(0, 3)).toEqual([1, 1, 0]);
    const batched = lmLossSum(m, b, false);
    let alone = 0;
    let count = 0;
    for (const s of seqs) {
      const one = makeLmBatch([s]);
      const r = lmLossSum(m, one, false);
      alone += r.sum.dataSync()[0];
      count += r.count;
      r.sum.dispose();
      disposeBatch(one);
    }
    expect(batched.count).toBe(count);
    expect(Math.abs(batched.sum.dataSync()[0] - alone)).toBeLessThanOrEqual(1e-4);
    // lmLossSum projects only the counted rows: same value as the loss over the full logits
    const full = tf.tidy(() => causalLmLoss(m.forward({ ids: b.ids }, { padMask: b.padMask }), b.targets, b.lossMask, { reduction: 'sum' }).dataSync()[0]);
    expect(Math.abs(batched.sum.dataSync()[0] - full)).toBeLessThanOrEqual(1e-4);
    // input embeddings instead of ids (how action tokens enter in stage 2) give the same loss
    const withEmbeds = { ...b, embeds: m.embedTokens(b.ids) };
    const e = lmLossSum(m, withEmbeds, false);
    expect(Math.abs(e.sum.dataSync()[0] - batched.sum.dataSync()[0])).toBeLessThanOrEqual(1e-5);
    tf.dispose([e.sum, withEmbeds.embeds]);
    batched.sum.dispose();
    disposeBatch(b);
    m.dispose();
  });

  it('accumulating micro-batches gives the gradient of the whole batch (token-weighted, <= 1e-5 rel); clipping caps the norm', () => {
    const m = Llama.random(cfg, 4);
    const lora = applyLora(m, { r: 4, alpha: 8, dropout: 0 });
    for (const a of lora.adapters.values()) tf.tidy(() => a.Bt.assign(tf.randomNormal(a.Bt.shape, 0, 0.2, 'float32', 1)));
    const vars = new Map(Object.entries(lora.trainableVariables()));
    const seqs = randomSeqs(new Rng(5), 6, 64);
    const whole = [makeLmBatch(seqs)];
    const parts = [makeLmBatch(seqs.slice(0, 2)), makeLmBatch(seqs.slice(2, 3)), makeLmBatch(seqs.slice(3))];
    const fn = (b: ReturnType<typeof makeLmBatch>, tr: boolean) => lmLossSum(m, b, tr);
    const g1 = accumulateGradients(vars, whole, fn, false);
    const g2 = accumulateGradients(vars, parts, fn, false);
    expect(g2.tokens).toBe(g1.tokens);
    expect(Math.abs(g2.loss - g1.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(g1.loss));
    for (const [n, g] of g1.grads) {
      const rel = tf.tidy(() => tf.max(tf.abs(tf.sub(g, g2.grads.get(n)!))).dataSync()[0] / (tf.max(tf.abs(g)).dataSync()[0] + 1e-12));
      expect(rel).toBeLessThanOrEqual(1e-5);
    }
    // the sparse path of lmLossSum (only counted rows projected) has the gradient of the dense masked loss
    const dense = accumulateGradients(vars, whole, (b) => ({
      sum: causalLmLoss(m.forward({ ids: b.ids }, { padMask: b.padMask }), b.targets, b.lossMask, { reduction: 'sum' }) as tf.Scalar,
      count: g1.tokens,
    }), false);
    for (const [n, g] of g1.grads) {
      const rel = tf.tidy(() => tf.max(tf.abs(tf.sub(g, dense.grads.get(n)!))).dataSync()[0] / (tf.max(tf.abs(g)).dataSync()[0] + 1e-12));
      expect(rel).toBeLessThanOrEqual(1e-5);
    }
    for (const g of dense.grads.values()) g.dispose();
    // global norm against a float64 sum of squares, then clipping to half of it
    let ss = 0;
    for (const g of g1.grads.values()) for (const x of g.dataSync()) ss += x * x;
    const norm = clipByGlobalNorm(g1.grads, Infinity);
    expect(Math.abs(norm - Math.sqrt(ss))).toBeLessThanOrEqual(1e-5 * Math.sqrt(ss));
    expect(clipByGlobalNorm(g1.grads, norm / 2)).toBeCloseTo(norm, 6);
    expect(clipByGlobalNorm(g1.grads, Infinity)).toBeCloseTo(norm / 2, 5);
    for (const g of [...g1.grads.values(), ...g2.grads.values()]) g.dispose();
    [...whole, ...parts].forEach(disposeBatch);
    lora.dispose();
    m.dispose();
  });
});

describe('LoRA training', () => {
  it('changes only the adapters (base weights bit-identical), keeps memory flat, and resumes from a checkpoint exactly', () => {
    // a learnable task: every sequence ends with the answer tokens 7, 9
    const seqs = randomSeqs(new Rng(8), 8, 64).map((s) => ({ ...s, ids: [...s.ids.slice(0, -2), 7, 9] }));
    const batches = () => [makeLmBatch(seqs.slice(0, 4)), makeLmBatch(seqs.slice(4))];
    const run = (resumeAt?: number) => {
      const m = Llama.random(cfg, 9);
      const base = Object.fromEntries(m.weightNames().map((n) => [n, m.getWeight(n).dataSync().slice()]));
      let lora = applyLora(m, { r: 4, alpha: 16, dropout: 0.1, targetModules: ['q_proj', 'v_proj', 'up_proj'], seed: 3 });
      let opt = new AdamW(lora.trainableVariables(), { lr: 3e-2 });
      const mbs = batches();
      const losses: number[] = [];
      const counts: number[] = [];
      for (let step = 0; step < 6; step++) {
        if (step === resumeAt) {
          const ck = join(dir, `ck-${step}`);
          saveAdapter(lora, ck);
          const optState = opt.saveState();
          const rngState = lora.rngState;
          opt.dispose();
          lora.dispose();
          lora = loadAdapter(m, ck);
          lora.rngState = rngState;
          opt = new AdamW(lora.trainableVariables());
          opt.loadStateFrom(optState);
        }
        const r = trainLmStep(m, opt, mbs, { clipNorm: 1 });
        losses.push(r.loss);
        expect(r.gradNorm).toBeGreaterThan(0);
        counts.push(tf.memory().numTensors);
      }
      for (const n of m.weightNames()) expect(Array.from(m.getWeight(n).dataSync())).toEqual(Array.from(base[n]));
      const adapters = Object.fromEntries(Object.entries(lora.trainableVariables()).map(([k, v]) => [k, Array.from(v.dataSync())]));
      mbs.forEach(disposeBatch);
      opt.dispose();
      lora.dispose();
      m.dispose();
      return { losses, counts, adapters };
    };
    const straight = run();
    expect(straight.losses[5]).toBeLessThan(straight.losses[0]);
    expect(straight.counts[5]).toBe(straight.counts[1]); // no tensors left behind per step
    const resumed = run(3);
    expect(resumed.losses).toEqual(straight.losses);
    expect(resumed.adapters).toEqual(straight.adapters);
  });

  it('full fine-tuning (the ablation) trains every weight, including the embedding, and lowers the loss', () => {
    const m = Llama.random(cfg, 12);
    const before = Object.fromEntries(m.weightNames().map((n) => [n, m.getWeight(n).dataSync().slice()]));
    const opt = new AdamW(fullFineTuning(m), { lr: 1e-2, weightDecay: 0 }); // no decay: a change means a gradient
    const seqs = randomSeqs(new Rng(13), 6, 64).map((s) => ({ ...s, ids: [...s.ids.slice(0, -2), 7, 9] }));
    const b = makeLmBatch(seqs);
    const losses = [0, 1, 2, 3].map(() => trainLmStep(m, opt, [b]).loss);
    expect(losses[3]).toBeLessThan(losses[0]);
    for (const n of m.weightNames()) expect(Array.from(m.getWeight(n).dataSync())).not.toEqual(Array.from(before[n]));
    disposeBatch(b);
    opt.dispose();
    m.dispose();
  });
});

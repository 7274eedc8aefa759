import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng, tf } from '@llmar/tensor';
import { AdamW, lrSchedule } from './optim';

beforeAll(async () => {
  await initBackend();
});

/** Float64 AdamW written from the paper / torch.optim.AdamW docs, one parameter vector. */
function refAdamW(p0: number[], grads: number[][], o: { lr: number; b1: number; b2: number; eps: number; wd: number }) {
  const p = p0.slice();
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - o.lr * o.wd;
      m[i] = o.b1 * m[i] + (1 - o.b1) * g[i];
      v[i] = o.b2 * v[i] + (1 - o.b2) * g[i] * g[i];
      const mh = m[i] / (1 - o.b1 ** t);
      const vh = v[i] / (1 - o.b2 ** t);
      p[i] -= (o.lr * mh) / (Math.sqrt(vh) + o.eps);
    }
  });
  return p;
}

function randn(rng: Rng, n: number, scale = 1) {
  return Array.from({ length: n }, () => rng.normal() * scale);
}

describe('AdamW', () => {
  it('matches a float64 reference over 6 steps (decoupled decay, bias correction) within 2e-6', () => {
    const rng = new Rng(3);
    const p0 = randn(rng, 12);
    const grads = Array.from({ length: 6 }, (_, k) => randn(rng, 12, k === 2 ? 1e-3 : 1));
    const o = { lr: 3e-3, b1: 0.9, b2: 0.95, eps: 1e-8, wd: 0.1 };
    const w = tf.variable(tf.tensor2d(p0, [3, 4]));
    const opt = new AdamW({ w }, { lr: o.lr, beta1: o.b1, beta2: o.b2, eps: o.eps, weightDecay: o.wd });
    for (const g of grads) tf.tidy(() => opt.apply({ w: tf.tensor2d(g, [3, 4]) }));
    const want = refAdamW(p0, grads, o);
    const got = Array.from(w.dataSync());
    for (let i = 0; i < 12; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(2e-6);
    // the update is not trivial: parameters moved by about lr per step
    expect(Math.abs(got[0] - p0[0])).toBeGreaterThan(1e-3);
    opt.dispose();
    w.dispose();
  });

  it('skips variables without a gradient (no decay, own step count) and folds scale + clipping in, as PyTorch (<= 2e-6)', () => {
    const rng = new Rng(4);
    const a0 = randn(rng, 6);
    const b0 = randn(rng, 3);
    const o = { lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.05 };
    const ga = Array.from({ length: 3 }, () => randn(rng, 6));
    const gb = [randn(rng, 3), randn(rng, 3)]; // b has no gradient in the middle step
    const a = tf.variable(tf.tensor1d(a0));
    const b = tf.variable(tf.tensor2d(b0, [1, 3]));
    const opt = new AdamW({ a, b }, { lr: o.lr, beta1: o.b1, beta2: o.b2, eps: o.eps, weightDecay: o.wd });
    // step 1: gradients scaled by 0.5, then clipped to norm 1 (torch: g *= max_norm / (norm + 1e-6))
    const scaled = [...ga[0], ...gb[0]].map((x) => 0.5 * x);
    const norm = Math.sqrt(scaled.reduce((s2, x) => s2 + x * x, 0));
    const f = 1 / (norm + 1e-6);
    expect(norm).toBeGreaterThan(1);
    const got = tf.tidy(() => opt.apply({ a: tf.tensor1d(ga[0]), b: tf.tensor2d(gb[0], [1, 3]) }, { scale: 0.5, clipNorm: 1 }));
    expect(Math.abs(got - norm)).toBeLessThanOrEqual(1e-5 * norm);
    tf.tidy(() => opt.apply({ a: tf.tensor1d(ga[1]) }));
    const bMid = Array.from(b.dataSync());
    tf.tidy(() => opt.apply({ a: tf.tensor1d(ga[2]), b: tf.tensor2d(gb[1], [1, 3]) }));
    const clipA = ga[0].map((x) => 0.5 * x * f);
    const clipB = gb[0].map((x) => 0.5 * x * f);
    const wantA = refAdamW(a0, [clipA, ga[1], ga[2]], o);
    const wantB = refAdamW(b0, [clipB, gb[1]], o); // b's own steps: 1 and 2
    const wantBMid = refAdamW(b0, [clipB], o);
    Array.from(a.dataSync()).forEach((x, i) => expect(Math.abs(x - wantA[i])).toBeLessThanOrEqual(2e-6));
    Array.from(b.dataSync()).forEach((x, i) => expect(Math.abs(x - wantB[i])).toBeLessThanOrEqual(2e-6));
    bMid.forEach((x, i) => expect(Math.abs(x - wantBMid[i])).toBeLessThanOrEqual(2e-6));
    expect(opt.state().steps).toEqual({ a: 3, b: 2 });
    opt.dispose();
    tf.dispose([a, b]);
  });

  it('saves and restores its state so a resumed run is bit-identical; memory stays flat', () => {
    const rng = new Rng(9);
    const p0 = randn(rng, 8);
    const grads = Array.from({ length: 6 }, () => randn(rng, 8));
    const run = (split: number | undefined) => {
      let w = tf.tidy(() => tf.variable(tf.tensor1d(p0)));
      let opt = new AdamW({ w }, { lr: 1e-2 });
      grads.forEach((g, k) => {
        if (k === split) {
          const buf = opt.saveState();
          const weights = w.dataSync().slice();
          opt.dispose();
          w.dispose();
          w = tf.tidy(() => tf.variable(tf.tensor1d(weights)));
          opt = new AdamW({ w }, { lr: 5 }); // lr is restored from the state
          opt.loadStateFrom(buf);
        }
        tf.tidy(() => opt.apply({ w: tf.tensor1d(g) }));
      });
      const out = Array.from(w.dataSync());
      expect(opt.step).toBe(6);
      opt.dispose();
      w.dispose();
      return out;
    };
    const before = tf.memory().numTensors;
    const straight = run(undefined);
    expect(run(3)).toEqual(straight);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options and foreign gradients', () => {
    const w = tf.variable(tf.zeros([2]));
    expect(() => new AdamW({ w }, { beta1: 1 })).toThrow(/BAD_OPTION.*beta1/);
    expect(() => new AdamW({ w }, { lr: -1 })).toThrow(/BAD_OPTION.*lr/);
    const opt = new AdamW({ w });
    expect(() => tf.tidy(() => opt.apply({ other: tf.zeros([2]) }))).toThrow(/"other"/);
    expect(() => tf.tidy(() => opt.apply({ w: tf.zeros([3]) }))).toThrow(/SHAPE_MISMATCH.*"w"/);
    opt.dispose();
    w.dispose();
  });
});

describe('lrSchedule', () => {
  it('warms up linearly then follows cosine / linear decay to the floor', () => {
    const cos = lrSchedule({ peak: 1, warmupSteps: 4, totalSteps: 14, decay: 'cosine', minLr: 0.1 });
    expect([0, 1, 2, 3].map(cos)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(cos(4)).toBeCloseTo(1, 12);
    expect(cos(9)).toBeCloseTo(0.1 + 0.9 * 0.5, 12); // half way: cos(pi/2) = 0
    expect(cos(14)).toBeCloseTo(0.1, 12);
    expect(cos(100)).toBeCloseTo(0.1, 12);
    const lin = lrSchedule({ peak: 2, totalSteps: 10, decay: 'linear' });
    expect(lin(0)).toBe(2);
    expect(lin(5)).toBeCloseTo(1, 12);
    expect(lrSchedule({ peak: 3, warmupSteps: 2, decay: 'constant' })(50)).toBe(3);
    expect(() => lrSchedule({ peak: 1, warmupSteps: 5, totalSteps: 5 })).toThrow(/totalSteps/);
  });
});

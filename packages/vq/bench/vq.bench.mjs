// Benchmark of @llmar/vq (built package): one hyperbolic quantizer step, forward + backward, at the paper's
// codebook size U = 512 and a 512-wide token, N = 4096 feature vectors (e.g. B = 256 sentences of W = 16 tokens).
// Prints one JSON line per config: {"name", "backend", "ms_per_step", ...}. Median of timed steps after warm-up.
import { tf, initBackend } from '@llmar/tensor';
import { HyperbolicVectorQuantizer, VectorQuantizer, gumbelUsage } from '@llmar/vq';

const info = await initBackend();
const CONFIGS = [
  { name: 'vq-hyperbolic-step', kind: 'hyperbolic', N: 4096, U: 512, d: 512 },
  { name: 'vq-euclidean-step', kind: 'euclidean', N: 4096, U: 512, d: 512 },
];
const only = process.argv.slice(2);
const warm = Number(process.env.BENCH_WARMUP ?? 1);
const steps = Number(process.env.BENCH_STEPS ?? 3);

for (const c of CONFIGS) {
  if (only.length && !only.includes(c.name)) continue;
  const opts = { dim: c.d, codebookSize: c.U, seed: 1 };
  const q = c.kind === 'hyperbolic' ? new HyperbolicVectorQuantizer(opts) : new VectorQuantizer(opts);
  const f = tf.variable(tf.randomNormal([c.N, c.d], 0, 0.05, 'float32', 2));
  const times = [];
  let loss = NaN;
  for (let i = 0; i < warm + steps; i++) {
    const t0 = performance.now();
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const r = q.forward(f);
        const n = gumbelUsage(tf.neg(r.distances).reshape([c.N / 16, 16, c.U]), { seed: i });
        return tf.add(r.loss.total, tf.mul(tf.mean(tf.square(tf.sub(r.quantized, f))), 1)).add(tf.mul(tf.mean(n), 0));
      }, [f, q.codebook]);
      // reading the gradients forces the backward pass to finish
      for (const g of Object.values(grads)) g.dataSync();
      loss = value.dataSync()[0];
    });
    if (i >= warm) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ name: c.name, backend: info.label, ms_per_step: Math.round(med * 10) / 10, N: c.N, U: c.U, d: c.d, steps, loss }));
  f.dispose();
  q.dispose();
}

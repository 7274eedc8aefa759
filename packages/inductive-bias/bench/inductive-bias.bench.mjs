// Benchmark of @llmar/inductive-bias (built package): L_bias = L_zipf + L_context + MMD² forward + backward at the
// paper's codebook size U = 512, token width d = 512, B = 256 sentences, with the MMD against 512 word embeddings
// sampled from a 4096-row vocabulary. Prints one JSON line per config: {"name", "backend", "ms_per_step", ...}.
import { tf, initBackend, Rng } from '@llmar/tensor';
import { biasLoss, pairedTokenPermutation } from '@llmar/inductive-bias';

const info = await initBackend();
const CONFIGS = [
  { name: 'bias-loss-step', B: 256, W: 16, U: 512, d: 512, vocab: 4096, estimator: 'unbiased' },
  { name: 'bias-loss-step-linear-mmd', B: 256, W: 16, U: 512, d: 512, vocab: 4096, estimator: 'linear' },
];
const only = process.argv.slice(2);
const warm = Number(process.env.BENCH_WARMUP ?? 1);
const steps = Number(process.env.BENCH_STEPS ?? 3);

for (const c of CONFIGS) {
  if (only.length && !only.includes(c.name)) continue;
  const usage = tf.variable(tf.randomUniform([c.B, c.U], 0, (2 * c.W) / c.U, 'float32', 1));
  const codebook = tf.variable(tf.randomNormal([c.U, c.d], 0, 0.1, 'float32', 2));
  const words = tf.randomNormal([c.vocab, c.d], 0, 0.02, 'float32', 3);
  const pairing = pairedTokenPermutation(c.U, 0);
  const rng = new Rng(4);
  const times = [];
  let loss = NaN;
  for (let i = 0; i < warm + steps; i++) {
    const t0 = performance.now();
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => biasLoss({ usage, pairing, codebookEuclidean: codebook, wordEmbeddings: words, rng }, { mmd: { sampleSize: c.U, estimator: c.estimator } }).total,
        [usage, codebook],
      );
      for (const g of Object.values(grads)) g.dataSync();
      loss = value.dataSync()[0];
    });
    if (i >= warm) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ name: c.name, backend: info.label, ms_per_step: Math.round(med * 10) / 10, B: c.B, U: c.U, d: c.d, estimator: c.estimator, steps, loss }));
  tf.dispose([usage, codebook, words]);
}

// Stage-1 training step benchmark: the action VQ-VAE (T2M-GPT 1-D conv design) with a hyperbolic codebook, every
// stage-1 loss (SmoothL1, codebook, commitment, Zipf, context, MMD) and one AdamW step — the model of
// /work/shared/bench/stage1_torch.py. Prints one JSON line per config: {name, backend, ms_per_step, cpu_ms_per_step,
// samples_per_s}: the median wall time of the timed steps, and the process CPU time (all threads) per timed step, which
// shows the work done when other jobs share the machine. Like the PyTorch peer: 3 warm-up steps (the first steps touch
// fresh wasm heap pages: at paper width AdamW alone took 140-280 ms in steps 1-3 and 12 ms after), then 8 timed steps;
// LLMAR_BENCH_STEPS=n times n steps instead, e.g. to difference two runs' hardware counters (`perf stat -e instructions:u`);
// LLMAR_BENCH_WARMUP=n runs n warm-up steps (V8 is still compiling the hot code for the first ~15 steps).
import { initBackend, tf, Rng } from '@llmar/tensor';
import { AdamW } from '@llmar/llm-lora';
import { ActionTokenizer } from '@llmar/llmar';

const CONFIGS = {
  // name: [B, V, D, width, d, U, vocab]
  'stage1-cpu-small': [32, 64, 150, 128, 64, 128, 512],
  'stage1-paper-width': [8, 64, 150, 512, 512, 512, 32000],
};

const info = await initBackend();
const only = process.argv.slice(2);
for (const [name, [B, V, D, width, d, U, vocab]] of Object.entries(CONFIGS)) {
  if (only.length && !only.includes(name)) continue;
  const tok = new ActionTokenizer({ inputDim: D, codeDim: d, width, codebookSize: U, seed: 0 });
  const T = tf.randomNormal([vocab, d], 0, 0.02, 'float32', 1);
  const x = tf.randomNormal([B, V, D], 0, 0.3, 'float32', 2);
  const vars = tok.variables();
  const opt = new AdamW(vars, { lr: 2e-4, weightDecay: 0 });
  const nameOf = new Map([...vars].map(([k, v]) => [v.name, k]));
  const rng = new Rng(0);
  const step = () => {
    const grads = tf.tidy(() => {
      const { value, grads: g } = tf.variableGrads(
        () => tok.lossTerms(x, { wordEmbeddings: T, mmdSamples: U, seed: rng.seed(), rng }).total,
        [...vars.values()],
      );
      value.dataSync();
      return Object.fromEntries(Object.entries(g).map(([k, v]) => [nameOf.get(k), v]));
    });
    opt.apply(grads);
    tf.dispose(Object.values(grads));
    tok.afterStep();
  };
  const warm = process.env.LLMAR_BENCH_WARMUP ? Number(process.env.LLMAR_BENCH_WARMUP) : 3;
  const steps = Number(process.env.LLMAR_BENCH_STEPS) || 8;
  for (let i = 0; i < warm; i++) step();
  const ts = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    step();
    ts.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
  ts.sort((a, b) => a - b);
  const med = ts[Math.floor(ts.length / 2)];
  console.log(JSON.stringify({ name, backend: info.label, ms_per_step: Math.round(med * 10) / 10, cpu_ms_per_step: Math.round(cpuMs * 10) / 10, samples_per_s: Math.round((B / med) * 1e4) / 10, warmup: warm, B, V, D, width, d, U, vocab }));
  tok.dispose();
  opt.dispose();
  tf.dispose([T, x]);
}

// Per-kernel profile of one stage-1 training step (the model of stage1.bench.mjs): every kernel registered on the active
// backend is wrapped with a timer, then a few steps run after warm-up. Prints a table sorted by total time, the share of
// the step spent outside kernels (tape, tidy, JavaScript), and one JSON line. Not a benchmark (`npm run bench` skips it).
//   node packages/llmar/bench/stage1.profile.mjs [stage1-cpu-small|stage1-paper-width] [--shapes]
import { initBackend, tf, Rng } from '@llmar/tensor';
import { AdamW } from '@llmar/llm-lora';
import { ActionTokenizer } from '@llmar/llmar';
import { addTime, inputShapes, perStep, timeKernels } from '../../../scripts/bench-utils.mjs';

const CONFIGS = {
  'stage1-cpu-small': [32, 64, 150, 128, 64, 128, 512],
  'stage1-paper-width': [8, 64, 150, 512, 512, 512, 32000],
};
const args = process.argv.slice(2);
const name = args.find((a) => a in CONFIGS) ?? 'stage1-cpu-small';
const byShape = args.includes('--shapes');
const [B, V, D, width, d, U, vocab] = CONFIGS[name];

const info = await initBackend();
let recording = false;
let phase = 'other';
const phases = new Map();
const stats = timeKernels(tf, tf.getBackend(), {
  recording: () => recording,
  keyOf: (kernel, a) =>
    (args.includes('--phases') ? phase.padEnd(14) + ' ' : '') + kernel + (byShape ? ' ' + inputShapes(a) : ''),
  onCall: (ms) => addTime(phases, phase, ms),
});

const tok = new ActionTokenizer({ inputDim: D, codeDim: d, width, codebookSize: U, seed: 0 });
const T = tf.randomNormal([vocab, d], 0, 0.02, 'float32', 1);
const x = tf.randomNormal([B, V, D], 0, 0.3, 'float32', 2);
const vars = tok.variables();
const opt = new AdamW(vars, { lr: 2e-4, weightDecay: 0 });
const nameOf = new Map([...vars].map(([k, v]) => [v.name, k]));
const rng = new Rng(0);
// phases: wrap the model's parts so each kernel call is charged to the part that ran it
const wrap = (obj, key, label) => {
  const f = obj[key].bind(obj);
  obj[key] = (...a) => {
    const prev = phase;
    phase = label;
    try {
      return f(...a);
    } finally {
      phase = prev;
    }
  };
};
wrap(tok.net, 'encode', 'encode');
wrap(tok.net, 'decode', 'decode');
wrap(tok.quantizer, 'forward', 'quantize');
wrap(tok.quantizer, 'usage', 'gumbel usage');
wrap(tok.quantizer, 'codebookEuclidean', 'codebook log0');
wrap(tok, 'lossTerms', 'losses (rest)');
wrap(opt, 'apply', 'AdamW');
wrap(tok, 'afterStep', 'afterStep');
const vg = tf.variableGrads;
const variableGrads = (f, v) => vg(() => { const r = f(); phase = 'backward'; return r; }, v);
const step = () => {
  const grads = tf.tidy(() => {
    const { value, grads: g } = variableGrads(
      () => tok.lossTerms(x, { wordEmbeddings: T, mmdSamples: U, seed: rng.seed(), rng }).total,
      [...vars.values()],
    );
    phase = 'other';
    value.dataSync();
    return Object.fromEntries(Object.entries(g).map(([k, v]) => [nameOf.get(k), v]));
  });
  opt.apply(grads);
  tf.dispose(Object.values(grads));
  tok.afterStep();
};
for (let i = 0; i < 10; i++) step();
const steps = 10;
recording = true;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const wall = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(cpu0);
recording = false;
const rows = perStep(stats, steps);
const inKernels = rows.reduce((a, r) => a + r.ms, 0);
const top = rows.slice(0, byShape || args.includes('--phases') ? 60 : 30);
for (const r of top) console.log(`${r.ms.toFixed(1).padStart(8)} ms ${String(r.calls).padStart(5)}x  ${r.key}`);
console.log(`${inKernels.toFixed(1).padStart(8)} ms in ${rows.reduce((a, r) => a + r.calls, 0)} kernel calls; ${(wall - inKernels).toFixed(1)} ms outside kernels`);
for (const [k, p] of [...phases].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`phase ${k.padEnd(14)} ${(p.ms / steps).toFixed(1).padStart(7)} ms in kernels, ${String(p.calls / steps).padStart(5)} calls`);
}
console.log(JSON.stringify({ name, backend: info.label, ms_per_step: Math.round(wall * 10) / 10, cpu_ms_per_step: Math.round((cpu.user + cpu.system) / 1000 / steps), kernel_ms: Math.round(inKernels) }));
tok.dispose();
opt.dispose();
tf.dispose([T, x]);

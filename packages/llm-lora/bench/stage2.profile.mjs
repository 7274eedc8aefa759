// Per-kernel profile of one stage-2 training step (the models of lora.bench.mjs): every kernel registered on the active
// backend is wrapped with a timer, then a few steps run after warm-up. Prints a table sorted by total time and the share
// of the step spent outside kernels (tape, tidy, JavaScript). Not a benchmark (`npm run bench` skips *.profile.mjs).
//   node packages/llm-lora/bench/stage2.profile.mjs [stage2-15M-lora|stage2-stories260K-lora] [--shapes]
import { initBackend, tf, Rng } from '@llmar/tensor';
import { AdamW, Llama, applyLora, disposeBatch, makeConfig, makeLmBatch, trainLmStep } from '@llmar/llm-lora';

const CONFIGS = {
  'stage2-stories260K-lora': [64, 5, 8, 4, 172, 512, 8, 64, 8, 16],
  'stage2-15M-lora': [288, 6, 6, 6, 768, 32000, 8, 64, 8, 16],
};
const args = process.argv.slice(2);
const name = args.find((a) => a in CONFIGS) ?? 'stage2-15M-lora';
const byShape = args.includes('--shapes');
const info = await initBackend();
const backendName = tf.getBackend();
const stats = new Map();
let recording = false;
for (const k of tf.getKernelsForBackend(backendName)) {
  const f = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, backendName);
  tf.registerKernel({
    ...k,
    kernelFunc: (a) => {
      if (!recording) return f(a);
      const t = performance.now();
      const out = f(a);
      const dt = performance.now() - t;
      let key = k.kernelName;
      if (byShape) {
        key += ' ' + Object.values(a.inputs).filter(Boolean).map((x) => `[${x.shape}]`).join('');
        const at = a.attrs ?? {};
        if (at.transposeA || at.transposeB) key += ` t${at.transposeA ? 'A' : ''}${at.transposeB ? 'B' : ''}`;
      }
      const s = stats.get(key) ?? { ms: 0, calls: 0 };
      s.ms += dt;
      s.calls += 1;
      stats.set(key, s);
      return out;
    },
  });
}
const [dim, nLayers, nHeads, nKvHeads, hiddenDim, vocabSize, B, T, r, alpha] = CONFIGS[name];
const config = makeConfig({ dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen: T + 1, ropeStyle: 'adjacent', tiedEmbeddings: true });
const model = Llama.random(config, 0);
const lora = applyLora(model, { r, alpha, dropout: 0, targetModules: ['q_proj', 'v_proj'], seed: 0 });
const opt = new AdamW(lora.trainableVariables(), { lr: 3e-3 });
const rng = new Rng(0);
const batch = makeLmBatch(Array.from({ length: B }, () => ({ ids: Array.from({ length: T + 1 }, () => rng.int(vocabSize)) })));
const warm = 2, steps = name === 'stage2-15M-lora' ? 3 : 10;
let wall = 0;
for (let i = 0; i < warm + steps; i++) {
  recording = i >= warm;
  const t0 = performance.now();
  trainLmStep(model, opt, [batch]);
  if (recording) wall += performance.now() - t0;
}
const rows = [...stats].map(([k, s]) => ({ k, ms: s.ms / steps, calls: s.calls / steps })).sort((a, b) => b.ms - a.ms);
const inKernels = rows.reduce((a, b) => a + b.ms, 0);
console.log(`${name} on ${info.label}: ${(wall / steps).toFixed(1)} ms/step, ${inKernels.toFixed(1)} ms in kernels, ${(wall / steps - inKernels).toFixed(1)} ms outside`);
for (const x of rows.slice(0, byShape ? 40 : 25)) console.log(`${x.ms.toFixed(2).padStart(9)} ms ${String(x.calls).padStart(5)}x  ${x.k}`);
disposeBatch(batch);
opt.dispose();
lora.dispose();
model.dispose();

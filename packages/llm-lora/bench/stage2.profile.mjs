// Per-kernel profile of one stage-2 training step (the models of lora.bench.mjs): every kernel registered on the active
// backend is wrapped with a timer, then a few steps run after warm-up. Prints a table sorted by total time and the share
// of the step spent outside kernels (tape, tidy, JavaScript). Not a benchmark (`npm run bench` skips *.profile.mjs).
//   node packages/llm-lora/bench/stage2.profile.mjs [stage2-15M-lora|stage2-stories260K-lora] [--shapes]
import { initBackend, tf } from '@llmar/tensor';
import { trainLmStep } from '@llmar/llm-lora';
import { inputShapes, perStep, timeKernels } from '../../../scripts/bench-utils.mjs';
import { STAGE2_CONFIGS, makeStage2 } from './stage2-setup.mjs';

const args = process.argv.slice(2);
const name = args.find((a) => a in STAGE2_CONFIGS) ?? 'stage2-15M-lora';
const byShape = args.includes('--shapes');
const info = await initBackend();
let recording = false;
const stats = timeKernels(tf, tf.getBackend(), {
  recording: () => recording,
  keyOf: (kernel, a) => {
    if (!byShape) return kernel;
    const at = a.attrs ?? {};
    const t = at.transposeA || at.transposeB ? ` t${at.transposeA ? 'A' : ''}${at.transposeB ? 'B' : ''}` : '';
    return `${kernel} ${inputShapes(a)}${t}`;
  },
});
const { model, opt, batch, dispose } = makeStage2(name);
const warm = 2, steps = name === 'stage2-15M-lora' ? 3 : 10;
let wall = 0;
for (let i = 0; i < warm + steps; i++) {
  recording = i >= warm;
  const t0 = performance.now();
  trainLmStep(model, opt, [batch]);
  if (recording) wall += performance.now() - t0;
}
const rows = perStep(stats, steps);
const inKernels = rows.reduce((a, b) => a + b.ms, 0);
console.log(`${name} on ${info.label}: ${(wall / steps).toFixed(1)} ms/step, ${inKernels.toFixed(1)} ms in kernels, ${(wall / steps - inKernels).toFixed(1)} ms outside`);
for (const x of rows.slice(0, byShape ? 40 : 25)) console.log(`${x.ms.toFixed(2).padStart(9)} ms ${String(x.calls).padStart(5)}x  ${x.key}`);
dispose();

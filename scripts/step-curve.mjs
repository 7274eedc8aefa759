#!/usr/bin/env node
/**
 * The time and page faults of each training step from the first one, for one bench config: shows how long a run
 * takes to reach its steady speed (V8 compiles the hot tfjs code for ~20 steps; fresh memory faults page by page).
 *
 *   node scripts/step-curve.mjs <stage1-cpu-small | stage2-stories260K-lora | ...> [steps = 40]
 *
 * Prints one JSON line: {name, backend, ms: [...], faults: [...]} (faults: process minor page faults during the step).
 * Run `npm run build` first.
 */
import { initBackend, tf, Rng } from '@llmar/tensor';
import { AdamW, trainLmStep } from '@llmar/llm-lora';
import { ActionTokenizer } from '@llmar/llmar';
import { STAGE2_CONFIGS, makeStage2 } from '../packages/llm-lora/bench/stage2-setup.mjs';

const STAGE1 = { 'stage1-cpu-small': [32, 64, 150, 128, 64, 128, 512], 'stage1-paper-width': [8, 64, 150, 512, 512, 512, 32000] };
const [name, stepsArg] = process.argv.slice(2);
const steps = Number(stepsArg ?? 40);
if (!(name in STAGE1) && !(name in STAGE2_CONFIGS)) {
  console.error(`step-curve: unknown config "${name}"; known: ${[...Object.keys(STAGE1), ...Object.keys(STAGE2_CONFIGS)].join(', ')}`);
  process.exit(2);
}
if (!Number.isInteger(steps) || steps < 1) {
  console.error(`step-curve: steps must be a positive integer, got ${stepsArg}`);
  process.exit(2);
}
const info = await initBackend();

/** The step function of a stage-1 config (the model of packages/llmar/bench/stage1.bench.mjs). */
function stage1([B, V, D, width, d, U, vocab]) {
  const tok = new ActionTokenizer({ inputDim: D, codeDim: d, width, codebookSize: U, seed: 0 });
  const T = tf.randomNormal([vocab, d], 0, 0.02, 'float32', 1);
  const x = tf.randomNormal([B, V, D], 0, 0.3, 'float32', 2);
  const vars = tok.variables();
  const opt = new AdamW(vars, { lr: 2e-4, weightDecay: 0 });
  const nameOf = new Map([...vars].map(([k, v]) => [v.name, k]));
  const rng = new Rng(0);
  return () => {
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
}

let step;
if (name in STAGE1) step = stage1(STAGE1[name]);
else {
  const { model, opt, batch } = makeStage2(name);
  step = () => trainLmStep(model, opt, [batch]);
}
const faults = () => process.resourceUsage().minorPageFault;
const ms = [], pf = [];
for (let i = 0; i < steps; i++) {
  const f0 = faults();
  const t0 = performance.now();
  step();
  ms.push(Math.round(performance.now() - t0));
  pf.push(faults() - f0);
}
console.log(JSON.stringify({ name, backend: info.label, ms, faults: pf }));

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmar/tensor';
import { loadLlama2c } from './llama2c';
import { loadLlama2cTokenizer } from './tokenizer';
import { applyLora } from './lora';
import { AdamW, lrSchedule } from './optim';
import { disposeBatch, lmLossSum, makeLmBatch, trainLmStep } from './train';
import { scoreCandidates } from './score';
import type { Llama } from './model';

const FIX = process.env.LLMAR_FIXTURES;
if (!FIX) console.warn('lora-task.test: LLMAR_FIXTURES is unset, skipping the stories260K LoRA toy task');

beforeAll(async () => {
  await initBackend();
});

/**
 * A toy "recognition" task the pretrained story model does not do: after "<animal> said the word", answer an arbitrary
 * fixed word per animal. Scored like the paper's recognition: rank the four answers by log-likelihood.
 */
const TASK: [string, string][] = [
  ['Once upon a time the cat said the word', ' moon'],
  ['Once upon a time the dog said the word', ' box'],
  ['Once upon a time the bird said the word', ' frog'],
  ['Once upon a time the fish said the word', ' blue'],
];

describe.skipIf(!FIX)('LoRA on stories260K learns a task the frozen model does not do', () => {
  it('frozen: ~chance accuracy and high answer loss; LoRA-tuned (q, v; r 8): 4/4 and low loss; base weights untouched', () => {
    const dir = join(FIX!, 'llama2c/stories260K');
    const model = loadLlama2c(join(dir, 'stories260K.bin'));
    const tok = loadLlama2cTokenizer(join(dir, 'tok512.bin'), model.config.vocabSize);
    const prompts = TASK.map(([p]) => tok.encode(p));
    const answers = TASK.map(([, a]) => tok.encode(a, { bos: false, prefixSpace: false }));
    const seqs = prompts.map((p, i) => ({ ids: [...p, ...answers[i]], lossMask: [...p.map(() => 0), ...answers[i].map(() => 1)] }));
    const batch = makeLmBatch(seqs);

    const evaluate = (m: Llama) => {
      const r = lmLossSum(m, batch, false);
      const loss = r.sum.dataSync()[0] / r.count;
      r.sum.dispose();
      let correct = 0;
      prompts.forEach((p, i) => {
        const scores = scoreCandidates(m, p, answers).map((s) => s.sum);
        if (scores.indexOf(Math.max(...scores)) === i) correct++;
      });
      return { loss, correct };
    };
    const frozen = evaluate(model);
    const n0 = tf.memory().numTensors; // after a first pass: the model's own caches (stock wasm transposed copies) exist
    const q0 = model.getWeight('model.layers.2.self_attn.q_proj.weight').dataSync().slice();

    const lora = applyLora(model, { r: 8, alpha: 16, dropout: 0.05, seed: 1 });
    const opt = new AdamW(lora.trainableVariables(), { lr: 1e-2, weightDecay: 0 });
    const steps = 30;
    const lr = lrSchedule({ peak: 1e-2, warmupSteps: 4, totalSteps: steps, decay: 'cosine', minLr: 1e-3 });
    for (let s = 0; s < steps; s++) trainLmStep(model, opt, [batch], { lr: lr(s), clipNorm: 1 });
    const tuned = evaluate(model);
    console.log(`stories260K toy task: frozen loss ${frozen.loss.toFixed(3)}, ${frozen.correct}/4; LoRA loss ${tuned.loss.toFixed(3)}, ${tuned.correct}/4`);

    expect(frozen.loss).toBeGreaterThan(3);
    expect(frozen.correct).toBeLessThanOrEqual(2);
    expect(tuned.correct).toBe(4);
    expect(tuned.loss).toBeLessThan(frozen.loss / 4);
    expect(Array.from(model.getWeight('model.layers.2.self_attn.q_proj.weight').dataSync())).toEqual(Array.from(q0));
    // without the adapters the model is the frozen one again
    lora.dispose();
    expect(Math.abs(evaluate(model).loss - frozen.loss)).toBeLessThanOrEqual(1e-5);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(n0); // training, scoring and the adapters left nothing behind
    disposeBatch(batch);
    model.dispose();
  });
});

import { tf, Rng } from '@llmar/tensor';
import { AdamW, lrSchedule, applyLora, fullFineTuning, type LoraModel, type LoraTarget } from '@llmar/llm-lora';
import type { RunConfig } from './config';
import type { LanguageModel } from './llm';
import { SequenceBuilder, maskedCrossEntropy, type ActionInputs } from './sequences';
import { hasCheckpoint, readCheckpoint, writeCheckpoint, type NamedArray } from './checkpoint';
import { assignArrays, optimizerFromArrays, optimizerToArrays, variablesToArrays } from './state';
import { silentReporter, type Reporter } from './progress';
import { LlmarError } from './errors';

/** One logged step of stage 2. */
export interface Stage2Row {
  step: number;
  lr: number;
  loss: number;
}

/** The trainable part of the LLM: LoRA adapters (paper) or every weight (ablation). */
export interface Adaptation {
  mode: 'lora' | 'full';
  lora?: LoraModel;
  variables: Map<string, tf.Variable>;
}

/** Install the stage-2 adaptation on the model: LoRA adapters (`stage2.lora`) or full fine-tuning. */
export function adaptModel(lm: LanguageModel, c: RunConfig): Adaptation {
  if (c.stage2.mode === 'full') return { mode: 'full', variables: new Map(Object.entries(fullFineTuning(lm.model))) };
  const l = c.stage2.lora;
  const lora = applyLora(lm.model, { r: l.r, alpha: l.alpha, dropout: l.dropout, targetModules: l.targetModules as LoraTarget[], seed: c.seed + 3 });
  return { mode: 'lora', lora, variables: new Map(Object.entries(lora.trainableVariables())) };
}

/** Options of {@link trainStage2}. */
export interface Stage2Options {
  config: RunConfig;
  lm: LanguageModel;
  adaptation: Adaptation;
  builder: SequenceBuilder;
  inputs: ActionInputs;
  labels: Int32Array;
  /** Answer ids per class (class name + EOS). */
  answers: number[][];
  checkpointFile?: string;
  reporter?: Reporter;
  /** Stop after this step without the final checkpoint (simulated kill). */
  stopAfterStep?: number;
  /** Extra fields that must match for a checkpoint to be resumed. */
  fingerprint?: string;
}

export interface Stage2Result {
  steps: number;
  resumedFrom: number;
  history: Stage2Row[];
  seconds: number;
}

interface Stage2Meta {
  kind: 'stage2';
  step: number;
  rngState: number;
  /** State of the LoRA dropout-mask generator (absent in checkpoints of older versions). */
  loraRngState?: number;
  history: Stage2Row[];
  optimizer: Omit<ReturnType<AdamW['state']>, 'm' | 'v'>;
  fingerprint: string;
  done: boolean;
}

/**
 * Stage 2: the tokenizer is frozen; the LLM reads the instruction around each action sentence and learns to answer
 * with the class name, the next-token loss on the answer only (eq. 13). Micro-batches accumulate gradients up to
 * `stage2.batchSize`; AdamW with linear warm-up and cosine decay. Resumable and NaN-guarded like stage 1.
 */
export function trainStage2(o: Stage2Options): Stage2Result {
  const t0 = Date.now();
  const s2 = o.config.stage2;
  const rep = o.reporter ?? silentReporter;
  const vars = o.adaptation.variables;
  const opt = new AdamW(vars, { lr: s2.lr, weightDecay: s2.weightDecay });
  const sched = s2.steps > s2.warmup ? lrSchedule({ peak: s2.lr, warmupSteps: s2.warmup, totalSteps: s2.steps, decay: 'cosine', minLr: s2.lr * 0.05 }) : () => s2.lr;
  const rng = new Rng(o.config.seed * 104729 + 17);
  const fp = JSON.stringify({ s2, seed: o.config.seed, n: o.labels.length, extra: o.fingerprint ?? '' });
  let step = 0;
  let history: Stage2Row[] = [];
  if (o.checkpointFile && hasCheckpoint(o.checkpointFile)) {
    const ck = readCheckpoint<Stage2Meta>(o.checkpointFile);
    if (ck.meta.kind !== 'stage2') throw new LlmarError('CHECKPOINT', `${o.checkpointFile} is not a stage-2 checkpoint`);
    if (ck.meta.fingerprint !== fp) throw new LlmarError('CHECKPOINT', `${o.checkpointFile} was written with other stage-2 settings; use another --out or delete it`);
    assignArrays(vars, ck.tensors, 'llm.', o.checkpointFile);
    opt.loadState(optimizerFromArrays(ck.meta.optimizer, ck.tensors, 'opt.'));
    rng.state = ck.meta.rngState;
    if (o.adaptation.lora && ck.meta.loraRngState !== undefined) o.adaptation.lora.rngState = ck.meta.loraRngState;
    step = ck.meta.step;
    history = ck.meta.history;
  }
  const resumedFrom = step;
  const save = (done: boolean) => {
    if (!o.checkpointFile) return;
    const { scalars, arrays } = optimizerToArrays(opt.state(), 'opt.');
    const tensors = new Map<string, NamedArray>([...variablesToArrays(vars, 'llm.'), ...arrays]);
    writeCheckpoint<Stage2Meta>(o.checkpointFile, { meta: { kind: 'stage2', step, rngState: rng.state, loraRngState: o.adaptation.lora?.rngState, history, optimizer: scalars, fingerprint: fp, done }, tensors });
  };
  const varList = [...vars.values()];
  const nameOf = new Map([...vars].map(([k, v]) => [v.name, k]));
  const n = o.labels.length;
  const micro = Math.min(s2.microBatch, s2.batchSize);
  const chunks = Math.ceil(s2.batchSize / micro);
  rep.start('stage 2', s2.steps, step);
  while (step < s2.steps) {
    const lr = sched(step);
    opt.lr = lr;
    let acc: Record<string, tf.Tensor> | undefined;
    let lossSum = 0;
    for (let ch = 0; ch < chunks; ch++) {
      const rows = Array.from({ length: micro }, () => {
        const sample = rng.int(n);
        return { sample, answer: o.answers[o.labels[sample]] };
      });
      // the batch is built inside the tape so that full fine-tuning also trains the input embeddings
      const { value, grads } = tf.tidy(() => tf.variableGrads(() => {
        const b = o.builder.batch(o.inputs, rows);
        const logits = o.lm.model.forward({ embeds: b.embeds }, { training: true }) as tf.Tensor3D;
        return maskedCrossEntropy(logits, b.targets, b.lossMask);
      }, varList));
      lossSum += value.dataSync()[0];
      value.dispose();
      if (!acc) acc = grads;
      else {
        const prev: Record<string, tf.Tensor> = acc;
        acc = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.add(prev[k], g)])));
        tf.dispose(Object.values(prev));
        tf.dispose(Object.values(grads));
      }
    }
    const loss = lossSum / chunks;
    if (!Number.isFinite(loss)) {
      tf.dispose(Object.values(acc!));
      rep.end();
      throw new LlmarError('NON_FINITE_LOSS', `stage 2: the answer loss is ${loss} at step ${step + 1}; the run stopped and the last good checkpoint${o.checkpointFile ? ` (${o.checkpointFile})` : ''} was kept`);
    }
    const named: Record<string, tf.Tensor> = {};
    tf.tidy(() => {
      for (const [vn, g] of Object.entries(acc!)) named[nameOf.get(vn) ?? vn] = tf.keep(chunks > 1 ? tf.div(g, chunks) : g.clone());
    });
    tf.dispose(Object.values(acc!));
    opt.apply(named);
    tf.dispose(Object.values(named));
    step += 1;
    if (step % o.config.run.logEvery === 0 || step === s2.steps || step === 1) history.push({ step, lr, loss });
    rep.tick(step, `loss ${loss.toFixed(4)}`);
    if (o.stopAfterStep !== undefined && step >= o.stopAfterStep) {
      rep.end('stopped');
      opt.dispose();
      return { steps: step, resumedFrom, history, seconds: (Date.now() - t0) / 1000 };
    }
    if (step % o.config.run.checkpointEvery === 0 && step < s2.steps) save(false);
  }
  save(true);
  rep.end();
  opt.dispose();
  return { steps: step, resumedFrom, history, seconds: (Date.now() - t0) / 1000 };
}

import { tf, Rng } from '@llmar/tensor';
import { AdamW, lrSchedule } from '@llmar/llm-lora';
import type { RunConfig } from './config';
import type { SequenceSet } from './data';
import { gatherBatch, augments } from './data';
import type { ActionTokenizer } from './tokenizer';
import { hasCheckpoint, readCheckpoint, writeCheckpoint, type NamedArray } from './checkpoint';
import { optimizerFromArrays, optimizerToArrays } from './state';
import { tokenHealth, type TokenHealth } from './health';
import { silentReporter, type Reporter } from './progress';
import { LlmarError } from './errors';

/** One logged step of stage 1 (unweighted terms; absent terms are switched off). */
export interface Stage1Row {
  step: number;
  lr: number;
  total: number;
  rec: number;
  emb: number;
  commit: number;
  bias: number;
  zipf?: number;
  context?: number;
  mmd?: number;
  /** Token perplexity of the step's batch. */
  perplexity: number;
}

/** Options of {@link trainStage1}. */
export interface Stage1Options {
  config: RunConfig;
  train: SequenceSet;
  tokenizer: ActionTokenizer;
  /** The LLM's input word embeddings T [vocab, d] (for MMD). */
  wordEmbeddings?: tf.Tensor2D;
  /** Checkpoint file (written atomically every `run.checkpointEvery` steps and at the end; resumed from when present). */
  checkpointFile?: string;
  /** @default silent */
  reporter?: Reporter;
  /** Stop after this step without the final checkpoint (simulates a killed run in tests). */
  stopAfterStep?: number;
}

/** What {@link trainStage1} returns. */
export interface Stage1Result {
  steps: number;
  /** The step training resumed from (0 for a fresh run). */
  resumedFrom: number;
  history: Stage1Row[];
  /** Wall time of this call, seconds. */
  seconds: number;
  /** Token-usage health on the training set at the end. */
  health: TokenHealth;
}

interface Stage1Meta {
  kind: 'stage1';
  step: number;
  rngState: number;
  history: Stage1Row[];
  optimizer: Omit<ReturnType<AdamW['state']>, 'm' | 'v'>;
  fingerprint: string;
  done: boolean;
  quantizer: { rngState: number; usageEma?: number[] };
}

/** What must match for a checkpoint to be resumed: the settings that shape the model and the data order. */
export function stage1Fingerprint(c: RunConfig, n: number, dim: number): string {
  return JSON.stringify({ seed: c.seed, tok: c.tokenizer, llm: c.llm, frames: c.data.frames, align: c.data.align, augment: c.data.augment, n, dim });
}

const TERMS = ['total', 'rec', 'emb', 'commit', 'bias', 'zipf', 'context', 'mmd'] as const;

/**
 * Stage 1: train the action tokenizer with L_rec + L_emb + λ1 L_commit + λ2 L_bias (AdamW, linear warm-up then cosine
 * decay to 10 % of `tokenizer.lr`). Resumes from `checkpointFile` with the same weights, optimiser state, step, random
 * state and history, so a killed run continues exactly. A non-finite term stops the run with `NON_FINITE_LOSS` naming
 * the step and the term, before the bad update; the last good checkpoint stays on disk.
 */
export function trainStage1(o: Stage1Options): Stage1Result {
  const t0 = Date.now();
  const c = o.config;
  const tc = c.tokenizer;
  const tok = o.tokenizer;
  const rep = o.reporter ?? silentReporter;
  const vars = tok.variables();
  const opt = new AdamW(vars, { lr: tc.lr, weightDecay: tc.weightDecay });
  const warm = Math.min(50, Math.floor(tc.steps / 10));
  const sched = tc.steps > warm ? lrSchedule({ peak: tc.lr, warmupSteps: warm, totalSteps: tc.steps, decay: 'cosine', minLr: tc.lr * 0.1 }) : () => tc.lr;
  const rng = new Rng(c.seed * 7919 + 11);
  const fp = stage1Fingerprint(c, o.train.n, o.train.dim);
  let step = 0;
  let history: Stage1Row[] = [];
  if (o.checkpointFile && hasCheckpoint(o.checkpointFile)) {
    const ck = readCheckpoint<Stage1Meta>(o.checkpointFile);
    if (ck.meta.kind !== 'stage1') throw new LlmarError('CHECKPOINT', `${o.checkpointFile} is not a stage-1 checkpoint`);
    if (ck.meta.fingerprint !== fp) {
      throw new LlmarError('CHECKPOINT', `${o.checkpointFile} was written with other stage-1 settings or data; use another --out or delete it`);
    }
    tok.loadArrays(ck.tensors, 'tok.', o.checkpointFile);
    opt.loadState(optimizerFromArrays(ck.meta.optimizer, ck.tensors, 'opt.'));
    rng.state = ck.meta.rngState;
    tok.quantizer.loadState(ck.meta.quantizer);
    step = ck.meta.step;
    history = ck.meta.history;
  }
  const resumedFrom = step;
  const save = (done: boolean) => {
    if (!o.checkpointFile) return;
    const { scalars, arrays } = optimizerToArrays(opt.state(), 'opt.');
    const tensors = new Map<string, NamedArray>([...tok.toArrays('tok.'), ...arrays]);
    writeCheckpoint<Stage1Meta>(o.checkpointFile, { meta: { kind: 'stage1', step, rngState: rng.state, history, optimizer: scalars, fingerprint: fp, done, quantizer: tok.quantizer.saveState() }, tensors });
  };
  const varList = [...vars.values()];
  const nameOf = new Map([...vars].map(([k, v]) => [v.name, k]));
  const W = tok.tokensFor(c.data.frames);
  const { train } = o;
  const B = Math.min(tc.batchSize, train.n);
  const kmK = Math.min(train.n, Math.max(B, Math.ceil((4 * tok.options.codebookSize) / W)));
  if (step === 0 && tc.kmeansInit && tc.steps > 0 && kmK * W < tok.options.codebookSize) {
    rep.log(`stage 1: ${kmK * W} encoder features are too few for a k-means initialisation of ${tok.options.codebookSize} codes; the codebook keeps its random initialisation`);
  } else if (step === 0 && tc.kmeansInit && tc.steps > 0) {
    const k = kmK;
    const idx = Array.from({ length: k }, () => rng.int(train.n));
    const x = tf.tensor3d(gatherBatch(train, idx), [k, c.data.frames, train.dim]);
    const err = tok.initCodebook(x);
    x.dispose();
    rep.log(`stage 1: k-means codebook initialisation on ${k * W} features (error ${err.toExponential(3)})`);
  }
  rep.start('stage 1', tc.steps, step);
  while (step < tc.steps) {
    const idx = Array.from({ length: B }, () => rng.int(train.n));
    const xb = gatherBatch(train, idx, augments(c.data.augment) ? { ...c.data.augment, next: () => rng.next() } : undefined);
    const seed = rng.seed();
    const lr = sched(step);
    opt.lr = lr;
    let vals: Float32Array;
    let idxVals: Int32Array;
    let idxT: tf.Tensor | undefined;
    let featT: tf.Tensor | undefined;
    const present: string[] = [];
    const grads = tf.tidy(() => {
      const x = tf.tensor3d(xb, [B, c.data.frames, train.dim]);
      let kept: tf.Tensor[] = [];
      let indices: tf.Tensor | undefined;
      let feats: tf.Tensor | undefined;
      const { grads: g } = tf.variableGrads(() => {
        const t = tok.lossTerms(x, {
          lambda2: tc.lambda2, bias: tc.bias, wordEmbeddings: o.wordEmbeddings, mmdSamples: tc.mmdSamples, gumbelTau: tc.gumbelTau, seed, rng,
        });
        kept = [];
        present.length = 0;
        for (const k of TERMS) {
          const v = t[k];
          if (v) {
            kept.push(tf.keep(v));
            present.push(k);
          }
        }
        indices = tf.keep(t.indices);
        feats = tf.keep(t.features);
        return t.total;
      }, varList);
      vals = tf.stack(kept).dataSync() as Float32Array;
      idxVals = indices!.dataSync() as Int32Array;
      for (const k of kept) k.dispose();
      idxT = tf.keep(indices!);
      featT = tf.keep(feats!);
      const named: Record<string, tf.Tensor> = {};
      for (const [vn, gt] of Object.entries(g)) named[nameOf.get(vn) ?? vn] = gt;
      return named;
    });
    const values = vals!;
    const nonFinite = (k: string) => !Number.isFinite(values[present.indexOf(k)]);
    // name the component term first (total and bias are sums of the others)
    const order = present.filter((k) => k !== 'total' && k !== 'bias').concat(['bias', 'total']);
    const badTerm = order.find(nonFinite);
    const bad = badTerm === undefined ? -1 : present.indexOf(badTerm);
    const cleanup = () => tf.dispose([idxT!, featT!]);
    if (bad >= 0) {
      for (const gt of Object.values(grads)) gt.dispose();
      cleanup();
      rep.end();
      throw new LlmarError('NON_FINITE_LOSS', `stage 1: the ${present[bad]} loss is ${values[bad]} at step ${step + 1}; the run stopped and the last good checkpoint${o.checkpointFile ? ` (${o.checkpointFile})` : ''} was kept`);
    }
    opt.apply(grads);
    for (const gt of Object.values(grads)) gt.dispose();
    tok.afterStep(featT, idxT);
    cleanup();
    step += 1;
    const row: Record<string, number> = { step, lr };
    present.forEach((k, i) => (row[k] = values[i]));
    row.perplexity = tokenHealth(idxVals!, W, tok.options.codebookSize).perplexity;
    if (step % c.run.logEvery === 0 || step === tc.steps || step === 1) history.push(row as unknown as Stage1Row);
    rep.tick(step, `loss ${values[0].toFixed(4)} rec ${row.rec.toFixed(4)} ppl ${row.perplexity.toFixed(1)}`);
    if (o.stopAfterStep !== undefined && step >= o.stopAfterStep) {
      rep.end('stopped');
      opt.dispose();
      return { steps: step, resumedFrom, history, seconds: (Date.now() - t0) / 1000, health: trainHealth(tok, train, c) };
    }
    if (step % c.run.checkpointEvery === 0 && step < tc.steps) save(false);
  }
  save(true);
  rep.end();
  opt.dispose();
  return { steps: step, resumedFrom, history, seconds: (Date.now() - t0) / 1000, health: trainHealth(tok, train, c) };
}

/** Hard tokens of every sequence of a set, [N·W] (batched inference). */
export function tokenizeSet(tok: ActionTokenizer, s: SequenceSet, batchSize = 64): Int32Array {
  const W = tok.tokensFor(s.frames);
  const out = new Int32Array(s.n * W);
  for (let i = 0; i < s.n; i += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, s.n - i) }, (_, k) => i + k);
    const ids = tf.tidy(() => tok.tokenize(tf.tensor3d(gatherBatch(s, idx), [idx.length, s.frames, s.dim])));
    out.set(ids.dataSync() as Int32Array, i * W);
    ids.dispose();
  }
  return out;
}

function trainHealth(tok: ActionTokenizer, s: SequenceSet, c: RunConfig): TokenHealth {
  const ids = tokenizeSet(tok, s);
  return tokenHealth(ids, tok.tokensFor(c.data.frames), tok.options.codebookSize, tok.pairing);
}

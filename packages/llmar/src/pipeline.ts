import { mkdirSync, writeFileSync, readFileSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { tf, Rng } from '@llmar/tensor';
import { heldOutClassSplit } from '@llmar/skeleton-datasets';
import type { RunConfig } from './config';
import { subset, augmentSet, type SequenceSet } from './data';
import { loadSplitData } from './dataset';
import { loadLanguageModel, wordEmbeddings, type LanguageModel } from './llm';
import { ActionTokenizer } from './tokenizer';
import { trainStage1, tokenizeSet, type Stage1Result } from './stage1';
import { trainStage2, adaptModel, type Stage2Result } from './stage2';
import { SequenceBuilder, type ActionInputs } from './sequences';
import { scoreCandidates, metricsFromScores, generationAccuracy, type Metrics } from './evaluate';
import { tokenHealth, type TokenHealth } from './health';
import { gatherBatch } from './data';
import { silentReporter, type Reporter } from './progress';

/** What {@link trainAndEvaluate} returns and writes to `<out>/metrics.json`. */
export interface RunResult {
  name: string;
  dataset: string;
  llm: string;
  llmPretrained: boolean;
  classNames: string[];
  /** Candidate classes of the test side (all classes, or the held-out ones). */
  testClasses: string[];
  trainSamples: number;
  testSamples: number;
  metrics: Metrics;
  trainHealth: TokenHealth;
  testHealth: TokenHealth;
  stage1: Omit<Stage1Result, 'health'>;
  stage2: Stage2Result;
  seconds: { data: number; stage1: number; stage2: number; evaluation: number; total: number };
  backend?: string;
}

/** The saved description of a trained run (run.json) that the Recognizer loads. */
export interface RunManifest {
  version: 1;
  config: RunConfig;
  classNames: string[];
  /** Classes the stage-2 instruction lists (unseen protocol), else null. */
  candidates: string[] | null;
  inputDim: number;
  codeDim: number;
  pieces?: string[];
}

/** Options of {@link trainAndEvaluate}. */
export interface TrainOptions {
  config: RunConfig;
  /** Run directory (checkpoints, run.json, metrics.json). */
  outDir: string;
  reporter?: Reporter;
  /** Stop inside stage 1 or 2 after this step (simulated kill, tests). */
  stopAfter?: { stage: 1 | 2; step: number };
  /** Train stage 1 only: ends by throwing {@link Stage1Done} with the stage-1 result. @default false */
  onlyStage1?: boolean;
  backend?: string;
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, file);
}

/** Action inputs of a set for stage 2: hard tokens, or continuous features (no discretisation). */
export function actionInputs(tok: ActionTokenizer, s: SequenceSet, discretize: boolean): ActionInputs {
  const W = tok.tokensFor(s.frames);
  if (discretize) return { kind: 'tokens', ids: tokenizeSet(tok, s), W };
  const d = tok.options.codeDim;
  const data = new Float32Array(s.n * W * d);
  for (let i = 0; i < s.n; i += 64) {
    const idx = Array.from({ length: Math.min(64, s.n - i) }, (_, k) => i + k);
    const f = tf.tidy(() => tok.features(tf.tensor3d(gatherBatch(s, idx), [idx.length, s.frames, s.dim])));
    data.set(f.dataSync(), i * W * d);
    f.dispose();
  }
  return { kind: 'features', data, W, d };
}

/** Build the tokenizer of a run (the code width follows the LLM unless set). */
export function makeTokenizer(c: RunConfig, inputDim: number, llmDim: number): ActionTokenizer {
  const t = c.tokenizer;
  return new ActionTokenizer({
    inputDim, codeDim: t.codeDim ?? llmDim, width: t.width, depth: t.depth, dilationGrowth: t.dilationGrowth, downsamples: t.downsamples,
    codebookSize: t.codebookSize, curvature: t.curvature, codebook: t.codebook, lambda1: t.lambda1, deadCodeThreshold: t.deadCodeThreshold, seed: c.seed,
  });
}

/**
 * Train both stages on `train`, evaluate on `test` and save the run to `outDir` (resumable: rerunning the same
 * command continues from the checkpoints). `candidates` (unseen protocol) restricts the test classes and is written
 * into the instruction; training then lists the seen classes.
 */
export function trainOnSplit(
  o: TrainOptions, train: SequenceSet, test: SequenceSet, classNames: string[], description: string,
  unseen?: { seen: number[]; unseen: number[] },
): RunResult {
  const t0 = Date.now();
  const c = o.config;
  const rep = o.reporter ?? silentReporter;
  mkdirSync(o.outDir, { recursive: true });
  const lm = loadLanguageModel(c, classNames);
  rep.log(`llm: ${lm.description}`);
  const tok = makeTokenizer(c, train.dim, lm.model.config.dim);
  const T = wordEmbeddings(lm);
  try {
    const t1 = Date.now();
    const s1 = trainStage1({
      config: c, train, tokenizer: tok, wordEmbeddings: T, checkpointFile: join(o.outDir, 'stage1.ckpt'), reporter: rep,
      stopAfterStep: o.stopAfter?.stage === 1 ? o.stopAfter.step : undefined,
    });
    const stage1Seconds = (Date.now() - t1) / 1000;
    if (o.stopAfter?.stage === 1) throw new StoppedForTest();
    if (o.onlyStage1) throw new Stage1Done(s1);
    const seenNames = unseen ? unseen.seen.map((k) => classNames[k]) : null;
    const testNames = unseen ? unseen.unseen.map((k) => classNames[k]) : classNames;
    const manifest: RunManifest = {
      version: 1, config: c, classNames, candidates: unseen ? testNames : null, inputDim: train.dim, codeDim: tok.options.codeDim, pieces: lm.pieces,
    };
    writeJsonAtomic(join(o.outDir, 'run.json'), manifest);
    const t2 = Date.now();
    const codeEmb = tok.codeEmbeddings();
    const s2rng = new Rng(c.seed * 31 + 5);
    const train2 = augmentSet(train, c.stage2.augmentCopies, c.data.augment, () => s2rng.next());
    const trainInputs = actionInputs(tok, train2, c.stage2.discretize);
    const adaptation = adaptModel(lm, c);
    const trainBuilder = new SequenceBuilder({ tokenizer: lm.tokenizer, model: lm.model, mode: c.stage2.input, codeEmbeddings: codeEmb, candidates: seenNames ?? undefined });
    const trainLabels = unseen ? Int32Array.from(train2.labels, (l) => unseen.seen.indexOf(l)) : train2.labels;
    const answersTrain = trainBuilder.answers(seenNames ?? classNames);
    const s2 = trainStage2({
      config: c, lm, adaptation, builder: trainBuilder, inputs: trainInputs, labels: trainLabels, answers: answersTrain,
      checkpointFile: join(o.outDir, 'stage2.ckpt'), reporter: rep, stopAfterStep: o.stopAfter?.stage === 2 ? o.stopAfter.step : undefined,
      fingerprint: JSON.stringify({ tok: c.tokenizer, llm: c.llm, augment: c.data.augment, classNames, seenNames }),
    });
    const stage2Seconds = (Date.now() - t2) / 1000;
    if (o.stopAfter?.stage === 2) throw new StoppedForTest();
    const t3 = Date.now();
    const testInputs = actionInputs(tok, test, c.stage2.discretize);
    const builder = new SequenceBuilder({ tokenizer: lm.tokenizer, model: lm.model, mode: c.stage2.input, codeEmbeddings: codeEmb, candidates: unseen ? testNames : undefined });
    const labels = unseen ? Int32Array.from(test.labels, (l) => unseen.unseen.indexOf(l)) : test.labels;
    const n = c.eval.maxSamples > 0 ? Math.min(c.eval.maxSamples, test.n) : test.n;
    const lab = labels.subarray(0, n);
    const answers = builder.answers(testNames);
    const scores = scoreCandidates(builder, testInputs, n, answers, { batchSize: c.eval.batchSize, reporter: rep });
    const metrics = metricsFromScores(scores, lab, testNames.length);
    if (c.eval.method !== 'score') {
      const g = generationAccuracy(builder, testInputs, lab, testNames, rep);
      metrics.generationAccuracy = g.accuracy;
      metrics.generationInvalid = g.invalid;
    }
    if (c.eval.method === 'generate') metrics.top1 = metrics.generationAccuracy ?? metrics.top1;
    const evalSeconds = (Date.now() - t3) / 1000;
    const W = tok.tokensFor(c.data.frames);
    const testHealth = trainInputs.kind === 'tokens' && testInputs.kind === 'tokens'
      ? tokenHealth(testInputs.ids, W, tok.options.codebookSize, tok.pairing) : tokenHealth(tokenizeSet(tok, test), W, tok.options.codebookSize, tok.pairing);
    codeEmb.dispose();
    adaptation.lora?.dispose();
    const { health, ...s1rest } = s1;
    const result: RunResult = {
      name: c.name, dataset: description, llm: lm.description, llmPretrained: lm.pretrained, classNames, testClasses: testNames,
      trainSamples: train.n, testSamples: n, metrics, trainHealth: health, testHealth, stage1: s1rest, stage2: s2,
      seconds: { data: 0, stage1: stage1Seconds, stage2: stage2Seconds, evaluation: evalSeconds, total: (Date.now() - t0) / 1000 },
      backend: o.backend,
    };
    writeJsonAtomic(join(o.outDir, 'metrics.json'), result);
    return result;
  } finally {
    T.dispose();
    tok.dispose();
    lm.model.dispose();
  }
}

/** Thrown by {@link trainOnSplit} with `onlyStage1` once stage 1 is complete (carries its result). */
export class Stage1Done extends Error {
  constructor(readonly result: Stage1Result) {
    super('stage 1 done');
  }
}

/** Thrown by {@link trainOnSplit} after a simulated kill (`stopAfter`). */
export class StoppedForTest extends Error {
  constructor() {
    super('stopped for test');
  }
}

/** Load the configured data, then train and evaluate (one run, or every draw of the unseen-class protocol, averaged). */
export function trainAndEvaluate(o: TrainOptions): RunResult & { draws?: RunResult[] } {
  const t0 = Date.now();
  const c = o.config;
  const data = loadSplitData(c);
  const dataSeconds = (Date.now() - t0) / 1000;
  (o.reporter ?? silentReporter).log(`data: ${data.description}; ${data.train.n} train / ${data.test.n} test`);
  if (c.data.unseen.classes <= 0) {
    const r = trainOnSplit(o, data.train, data.test, data.classNames, data.description);
    r.seconds.data = dataSeconds;
    r.seconds.total += dataSeconds;
    return r;
  }
  const draws: RunResult[] = [];
  const trainIdx = new Set(data.train.ids);
  const base = { train: [] as number[], test: [] as number[] };
  for (let i = 0; i < data.all.n; i++) (trainIdx.has(data.all.ids[i]) ? base.train : base.test).push(i);
  for (let d = 0; d < c.data.unseen.draws; d++) {
    const h = heldOutClassSplit(data.all.labels, data.classNames.length, c.data.unseen.classes, c.seed + 1000 + d, base);
    const r = trainOnSplit({ ...o, outDir: join(o.outDir, `draw-${d + 1}`) }, subset(data.all, h.train), subset(data.all, h.test), data.classNames, data.description,
      { seen: Array.from(h.seenClasses), unseen: Array.from(h.unseenClasses) });
    draws.push(r);
  }
  const mean = (f: (r: RunResult) => number) => draws.reduce((a, r) => a + f(r), 0) / draws.length;
  const first = draws[0];
  const avg: RunResult & { draws: RunResult[] } = {
    ...first, draws,
    metrics: { ...first.metrics, top1: mean((r) => r.metrics.top1), top5: mean((r) => r.metrics.top5), meanClassAccuracy: mean((r) => r.metrics.meanClassAccuracy),
      generationAccuracy: mean((r) => r.metrics.generationAccuracy ?? NaN) },
    seconds: { data: dataSeconds, stage1: mean((r) => r.seconds.stage1) * draws.length, stage2: mean((r) => r.seconds.stage2) * draws.length,
      evaluation: mean((r) => r.seconds.evaluation) * draws.length, total: (Date.now() - t0) / 1000 },
  };
  writeJsonAtomic(join(o.outDir, 'metrics.json'), avg);
  return avg;
}

/** Read a run's manifest. */
export function readManifest(dir: string): RunManifest {
  const f = join(dir, 'run.json');
  if (!existsSync(f)) throw new Error(`no run.json in ${dir}`);
  return JSON.parse(readFileSync(f, 'utf8')) as RunManifest;
}

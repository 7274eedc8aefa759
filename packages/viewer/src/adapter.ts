import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SkeletonSample } from '@llmar/skeleton-datasets';
import type { TokenUsage, ViewerRecognizer } from './types';

/**
 * The parts of @llmar/llmar's `Recognizer` the viewer uses, typed structurally so this package does not import
 * @llmar/llmar (which sits above it). `Recognizer.load(runDir)` satisfies it.
 */
export interface LlmarRecognizerLike {
  readonly classNames: string[];
  readonly manifest: { config: { data: { frames: number } } };
  readonly tokenizer: { readonly options: { codebookSize: number }; readonly pairing: ArrayLike<number> };
  tokenize(input: SkeletonSample): { tokens: number[] };
  recognize(input: SkeletonSample): { name: string; score: number }[];
  generate?(input: SkeletonSample): string;
}

/** Options of {@link adaptLlmarRecognizer}. */
export interface AdaptOptions {
  /** Run folder whose metrics.json (testHealth.rankFrequency) gives the run's rank-frequency. @default none */
  runDir?: string;
  /** Also run greedy generation for every recognised sample. @default true */
  generate?: boolean;
}

/** Zipf target P(k) ∝ (k + β)^(−α), k = 1..U, normalised (float64; DESIGN.md eq. 2 with α = 1, β = 2.7). */
export function zipfTarget(U: number, alpha = 1, beta = 2.7): number[] {
  const p = Array.from({ length: U }, (_, k) => (k + 1 + beta) ** -alpha);
  const s = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / s);
}

/**
 * Positions of paired tokens in one sentence: with the context-loss pairing (token pairing[u] goes with
 * pairing[u + U/2]), position i points at the nearest other position holding its partner token, else undefined.
 */
export function pairedPositions(tokens: number[], pairing: ArrayLike<number>): (number | undefined)[] {
  const U = pairing.length;
  const h = U / 2;
  const partner = new Int32Array(U).fill(-1);
  for (let u = 0; u < h; u++) {
    partner[pairing[u]] = pairing[u + h];
    partner[pairing[u + h]] = pairing[u];
  }
  return tokens.map((u, i) => {
    const p = u >= 0 && u < U ? partner[u] : -1;
    if (p < 0) return undefined;
    let best: number | undefined;
    for (let j = 0; j < tokens.length; j++) {
      if (j !== i && tokens[j] === p && (best === undefined || Math.abs(j - i) < Math.abs(best - i))) best = j;
    }
    return best;
  });
}

/**
 * Wraps a trained llmar run (`Recognizer.load(runDir)`) as a {@link ViewerRecognizer}: tokens with their frame span
 * (V / W model-input frames each) and pairing, ranked classes with log-likelihood scores, greedy generation, and the
 * run's rank-frequency from metrics.json (codebook counts are then computed by the viewer over the loaded samples).
 */
export function adaptLlmarRecognizer(rec: LlmarRecognizerLike, opts: AdaptOptions = {}): ViewerRecognizer {
  const V = rec.manifest.config.data.frames;
  const U = rec.tokenizer.options.codebookSize;
  let usage: TokenUsage | undefined;
  const metrics = opts.runDir ? join(opts.runDir, 'metrics.json') : '';
  if (metrics && existsSync(metrics)) {
    try {
      const m = JSON.parse(readFileSync(metrics, 'utf8')) as { testHealth?: { rankFrequency?: number[] } };
      const rf = m.testHealth?.rankFrequency;
      if (Array.isArray(rf) && rf.length) usage = { rankFrequency: rf, zipfTarget: zipfTarget(rf.length), codebookCounts: [] };
    } catch { /* no usage from an unreadable metrics.json: the viewer computes it from the samples */ }
  }
  return {
    classNames: rec.classNames,
    codebookSize: U,
    inputFrames: V,
    usage,
    tokenize(sample) {
      const { tokens } = rec.tokenize(sample);
      return { tokens, framesPerToken: tokens.length ? V / tokens.length : V, pairedWith: pairedPositions(tokens, rec.tokenizer.pairing) };
    },
    recognize(sample) {
      const ranked = rec.recognize(sample).map(({ name, score }) => ({ name, score }));
      const generated = opts.generate !== false && rec.generate ? rec.generate(sample) : undefined;
      return { ranked, generated };
    },
  };
}

import { tf } from '@llmar/tensor';
import { generate } from '@llmar/llm-lora';
import { SequenceBuilder, targetLogProbs, type ActionInputs } from './sequences';
import { silentReporter, type Reporter } from './progress';

/** Recognition metrics. */
export interface Metrics {
  n: number;
  top1: number;
  top5: number;
  /** Mean over classes present in the test set of per-class top-1 accuracy. */
  meanClassAccuracy: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** Top-1 class of every sample (candidate scoring). */
  predictions: number[];
  /** Greedy generation with exact match of the class name (when run). */
  generationAccuracy?: number;
  /** Share of generated answers that are no class name at all (when run). */
  generationInvalid?: number;
}

/** Log-likelihood (sum over the class name and EOS) of every candidate for every sample: [n][classes]. */
export function scoreCandidates(
  builder: SequenceBuilder,
  inputs: ActionInputs,
  n: number,
  answers: number[][],
  options: { batchSize?: number; reporter?: Reporter } = {},
): Float64Array[] {
  const C = answers.length;
  const per = Math.max(1, Math.floor((options.batchSize ?? 8) * 12 / C));
  const out: Float64Array[] = [];
  const rep = options.reporter ?? silentReporter;
  rep.start('scoring', n);
  for (let i = 0; i < n; i += per) {
    const samples = Array.from({ length: Math.min(per, n - i) }, (_, k) => i + k);
    const rows = samples.flatMap((s) => answers.map((answer) => ({ sample: s, answer })));
    const sums = tf.tidy(() => {
      const b = builder.batch(inputs, rows);
      const logits = builder.o.model.forward({ embeds: b.embeds }, { training: false }) as tf.Tensor3D;
      return tf.sum(tf.mul(targetLogProbs(logits, b.targets), b.lossMask), 1);
    });
    const v = sums.dataSync();
    sums.dispose();
    samples.forEach((_, k) => out.push(Float64Array.from(v.subarray(k * C, (k + 1) * C))));
    rep.tick(Math.min(n, i + per));
  }
  rep.end();
  return out;
}

/** Classes ranked by score, best first. */
export function rank(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

/** top-1, top-5, mean per-class accuracy and the confusion matrix from scores [n][C] and true labels. */
export function metricsFromScores(scores: ArrayLike<number>[], labels: ArrayLike<number>, numClasses: number): Metrics {
  const confusion = Array.from({ length: numClasses }, () => new Array(numClasses).fill(0));
  let top1 = 0;
  let top5 = 0;
  const predictions: number[] = [];
  scores.forEach((s, i) => {
    const r = rank(s);
    predictions.push(r[0]);
    const y = labels[i];
    confusion[y][r[0]] += 1;
    if (r[0] === y) top1++;
    if (r.slice(0, 5).includes(y)) top5++;
  });
  const accs: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const tot = confusion[c].reduce((a, b) => a + b, 0);
    if (tot > 0) accs.push(confusion[c][c] / tot);
  }
  const n = scores.length;
  return { n, top1: n ? top1 / n : 0, top5: n ? top5 / n : 0, meanClassAccuracy: accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : 0, confusion, predictions };
}

/** Greedy generation of the answer for sample i (text up to EOS). */
export function generateAnswer(builder: SequenceBuilder, inputs: ActionInputs, i: number, maxNewTokens = 12): string {
  const tok = builder.o.tokenizer;
  const embeds = tf.tidy(() => {
    const L = builder.layout(inputs, i);
    // a batch of one row whose "answer" is empty: the prompt alone, then drop the last (padding) position
    const b = builder.batch(inputs, [{ sample: i, answer: [tok.eos] }]);
    return b.embeds.slice([0, 0, 0], [1, L.ids.length, b.embeds.shape[2]]) as tf.Tensor3D;
  });
  try {
    const ids = generate(builder.o.model, { embeds }, { maxNewTokens, temperature: 0, stop: [tok.eos] });
    return tok.decode(ids).trim();
  } finally {
    embeds.dispose();
  }
}

/**
 * The form in which a generated answer and a class name are compared for exact match: case and the spacing around
 * punctuation do not count (a tokenizer may decode `hat/cap` as `hat / cap`).
 */
export function answerKey(s: string): string {
  return s.toLowerCase().replace(/\s*([^\p{L}\p{N}\s])\s*/gu, '$1').replace(/\s+/g, ' ').trim();
}

/** Exact-match accuracy of greedy generation, and the share of answers that name no class. */
export function generationAccuracy(
  builder: SequenceBuilder, inputs: ActionInputs, labels: ArrayLike<number>, classNames: string[], reporter: Reporter = silentReporter,
): { accuracy: number; invalid: number; answers: string[] } {
  const norm = answerKey;
  const names = classNames.map(norm);
  let ok = 0;
  let invalid = 0;
  const answers: string[] = [];
  reporter.start('generation', labels.length);
  for (let i = 0; i < labels.length; i++) {
    const a = norm(generateAnswer(builder, inputs, i));
    answers.push(a);
    const k = names.indexOf(a);
    if (k < 0) invalid++;
    if (k === labels[i]) ok++;
    reporter.tick(i + 1);
  }
  reporter.end();
  const n = labels.length || 1;
  return { accuracy: ok / n, invalid: invalid / n, answers };
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Recognizer } from './recognizer';
import { loadSplitData } from './dataset';
import { subset } from './data';
import { metricsFromScores } from './evaluate';
import { tokenHealth } from './health';
import { tokenizeSet } from './stage1';
import type { RunResult } from './pipeline';
import { silentReporter, type Reporter } from './progress';

/**
 * Evaluate a trained run directory on the test split of its own data config with candidate scoring; the training-time
 * parts of the result (histories, stage times) are read from its metrics.json when present.
 */
export function evaluateRun(dir: string, reporter: Reporter = silentReporter, backend?: string): RunResult {
  const t0 = Date.now();
  const rec = Recognizer.load(dir);
  try {
    const c = rec.manifest.config;
    const data = loadSplitData(c);
    let test = data.test;
    let labels = test.labels;
    const cands = rec.manifest.candidates;
    if (cands) {
      const keep: number[] = [];
      for (let i = 0; i < test.n; i++) if (cands.includes(data.classNames[test.labels[i]])) keep.push(i);
      test = subset(test, keep);
      labels = Int32Array.from(test.labels, (l) => cands.indexOf(data.classNames[l]));
    }
    const n = c.eval.maxSamples > 0 ? Math.min(c.eval.maxSamples, test.n) : test.n;
    test = subset(test, Array.from({ length: n }, (_, i) => i));
    const scores = rec.scoreSet(test, reporter);
    const metrics = metricsFromScores(scores, labels.subarray(0, n), rec.classNames.length);
    const W = rec.tokenizer.tokensFor(c.data.frames);
    const health = tokenHealth(tokenizeSet(rec.tokenizer, test), W, rec.tokenizer.options.codebookSize, rec.tokenizer.pairing);
    const prev = existsSync(join(dir, 'metrics.json')) ? (JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as RunResult) : undefined;
    const seconds = (Date.now() - t0) / 1000;
    return {
      name: c.name, dataset: data.description, llm: rec.lm.description, llmPretrained: rec.lm.pretrained, classNames: rec.manifest.classNames,
      testClasses: rec.classNames, trainSamples: prev?.trainSamples ?? data.train.n, testSamples: n, metrics,
      trainHealth: prev?.trainHealth ?? health, testHealth: health,
      stage1: prev?.stage1 ?? { steps: 0, resumedFrom: 0, history: [], seconds: 0 },
      stage2: prev?.stage2 ?? { steps: 0, resumedFrom: 0, history: [], seconds: 0 },
      seconds: { data: 0, stage1: prev?.seconds.stage1 ?? 0, stage2: prev?.seconds.stage2 ?? 0, evaluation: seconds, total: seconds },
      backend,
    };
  } finally {
    rec.dispose();
  }
}

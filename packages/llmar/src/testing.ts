import { resolveConfig, type RunConfig } from './config';

/** A tiny run config for tests (seconds on 2 cores), with optional overrides. Not exported from the package. */
export function tinyConfig(patch: Record<string, unknown> = {}): RunConfig {
  const base = resolveConfig({
    name: 'tiny',
    seed: 1,
    data: { frames: 16, synthetic: { subjects: 3, cameras: 1, repetitions: 2, classes: 4 } },
    tokenizer: { width: 16, depth: 2, codebookSize: 16, mmdSamples: 32, batchSize: 8, steps: 6, deadCodeThreshold: 0, lr: 2e-3 },
    llm: { random: { dim: 16, nLayers: 1, nHeads: 2, nKvHeads: 2, hiddenDim: 32, vocabSize: 128 } },
    stage2: { lora: { r: 4, alpha: 8, dropout: 0 }, batchSize: 8, microBatch: 4, steps: 4, warmup: 0 },
    eval: { method: 'score', batchSize: 8 },
    run: { checkpointEvery: 2, logEvery: 1 },
  }, 'cpu');
  return resolveConfig(patch, base);
}

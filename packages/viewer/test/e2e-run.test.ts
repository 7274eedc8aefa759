/**
 * End to end with a REAL trained run: trains a tiny llmar run (seconds), loads it with @llmar/llmar's Recognizer,
 * wraps it with adaptLlmarRecognizer and drives the page in headless Chromium. @llmar/llmar sits above this package,
 * so it is imported dynamically here (tests only) and the test is skipped, with the reason printed, when it cannot be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticDataset, parseNtuSkeleton, type SkeletonSample } from '@llmar/skeleton-datasets';
import { readFileSync } from 'node:fs';
import { startViewer, type RunningViewer } from '../src/server';
import { adaptLlmarRecognizer, type LlmarRecognizerLike } from '../src/adapter';
import { HAVE_CHROMIUM, OUTPUT_DIR, launch, warnNoBrowser } from './browser-helpers';

interface LlmarModule {
  resolveConfig(patch: unknown, preset: string): unknown;
  trainAndEvaluate(o: { config: unknown; outDir: string }): { metrics: { top1: number } };
  Recognizer: { load(dir: string): LlmarRecognizerLike & { dispose(): void } };
}

const names = { llmar: '@llmar/llmar', tensor: '@llmar/tensor' };
let llmar: LlmarModule | null = null;
let initBackend: (() => Promise<unknown>) | null = null;
let why = '';
try {
  llmar = (await import(/* @vite-ignore */ names.llmar)) as LlmarModule;
  initBackend = ((await import(/* @vite-ignore */ names.tensor)) as { initBackend: () => Promise<unknown> }).initBackend;
  for (const k of ['resolveConfig', 'trainAndEvaluate', 'Recognizer'] as const) if (!(k in llmar)) throw new Error(`@llmar/llmar has no ${k}`);
} catch (e) {
  why = `@llmar/llmar is not usable here (${(e as Error).message.split('\n')[0]})`;
  llmar = null;
}
if (!llmar) console.warn(`@llmar/viewer end-to-end run test skipped: ${why}`);
warnNoBrowser();

describe.skipIf(!llmar || !HAVE_CHROMIUM)('a small trained llmar run in the page', () => {
  let top: string;
  let viewer: RunningViewer;
  let rec: LlmarRecognizerLike & { dispose(): void };
  let first: SkeletonSample;
  let top1: number;

  beforeAll(async () => {
    await initBackend!();
    top = mkdtempSync(join(tmpdir(), 'llmar-view-e2e-'));
    const config = llmar!.resolveConfig({
      name: 'viewer-tiny', seed: 1,
      data: { frames: 32, synthetic: { subjects: 3, cameras: 1, repetitions: 1, classes: 4 } },
      tokenizer: { width: 16, depth: 1, codebookSize: 16, mmdSamples: 32, batchSize: 8, steps: 4, deadCodeThreshold: 0 },
      llm: { random: { dim: 16, nLayers: 1, nHeads: 2, nKvHeads: 2, hiddenDim: 32, vocabSize: 128 } },
      stage2: { lora: { r: 4, alpha: 8, dropout: 0 }, batchSize: 8, microBatch: 8, steps: 3, warmup: 0 },
      eval: { method: 'score', batchSize: 8 },
      run: { checkpointEvery: 100, logEvery: 100 },
    }, 'cpu');
    const runDir = join(top, 'run');
    top1 = llmar!.trainAndEvaluate({ config, outDir: runDir }).metrics.top1;
    rec = llmar!.Recognizer.load(runDir);
    const dataDir = join(top, 'data');
    const files = writeSyntheticDataset(dataDir, { subjects: 1, cameras: 1, repetitions: 1, classes: 4 });
    first = parseNtuSkeleton(readFileSync(files[0]), { file: files[0] });
    viewer = await startViewer({ dataDir, dataset: 'synthetic', runDir, recognizer: adaptLlmarRecognizer(rec, { runDir }) });
  });

  afterAll(async () => {
    await viewer?.close();
    rec?.dispose();
    if (top) rmSync(top, { recursive: true, force: true });
  });

  it('shows the run\'s tokens, its top-1 class, its test accuracy and its token usage', async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(viewer.url);
      await page.waitForSelector('body[data-loaded="d0"]', { timeout: 30_000 });
      const tokens = rec.tokenize(first).tokens;
      expect(tokens.length).toBe(8); // W = V / 4 = 32 / 4
      expect(await page.locator('#tokens .chip').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.token)))).toEqual(tokens);
      expect(await page.locator('#tokenNote').textContent()).toContain('4 model-input frames each');
      expect(await page.locator('#frame').textContent()).toMatch(/· preprocessed 1 \/ 32$/); // the run's V
      const ranked = rec.recognize(first);
      expect(await page.locator('#ranked li .name').first().textContent()).toBe(ranked[0].name);
      expect(await page.locator('#ranked li').count()).toBe(4);
      expect(await page.locator('#runTop1').textContent()).toBe(`${(top1 * 100).toFixed(1)} % (metrics.json)`);
      await page.waitForFunction(() => /codes used/.test(document.getElementById('usageNote')!.textContent ?? ''), null, { timeout: 20_000 });
      expect(await page.locator('#usageNote').textContent()).toMatch(/of 16 codes used \(from rank-frequency of the run; codebook counts over the first 4 loaded samples\)/);
      await page.screenshot({ path: join(OUTPUT_DIR, 'viewer-trained-run.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

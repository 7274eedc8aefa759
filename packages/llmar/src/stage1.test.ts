import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@llmar/tensor';
import { loadSplitData } from './dataset';
import { loadLanguageModel, wordEmbeddings } from './llm';
import { makeTokenizer } from './pipeline';
import { trainStage1 } from './stage1';
import { readCheckpoint } from './checkpoint';
import { tinyConfig } from './testing';
import type { RunConfig } from './config';
import type { SequenceSet } from './data';

let train: SequenceSet;
let classNames: string[];

function setup(c: RunConfig) {
  const lm = loadLanguageModel(c, classNames);
  const tok = makeTokenizer(c, train.dim, lm.model.config.dim);
  const T = wordEmbeddings(lm);
  lm.model.dispose();
  return { tok, T, done: () => { tok.dispose(); T.dispose(); } };
}

function weights(tok: ReturnType<typeof setup>['tok']): Float32Array[] {
  return [...tok.variables().values()].map((v) => v.dataSync().slice() as Float32Array);
}

describe('stage 1', () => {
  beforeAll(async () => {
    await initBackend();
    const d = loadSplitData(tinyConfig());
    train = d.train;
    classNames = d.classNames;
  });

  it('resuming after a simulated kill gives the same weights as an uninterrupted run', () => {
    const c = tinyConfig({ tokenizer: { steps: 6 }, run: { checkpointEvery: 2 } });
    const dir = mkdtempSync(join(tmpdir(), 'llmar-s1-'));
    const a = setup(c);
    const ra = trainStage1({ config: c, train, tokenizer: a.tok, wordEmbeddings: a.T });
    const wa = weights(a.tok);
    a.done();
    // killed after step 5: the last checkpoint is step 4
    const b = setup(c);
    trainStage1({ config: c, train, tokenizer: b.tok, wordEmbeddings: b.T, checkpointFile: join(dir, 's1.ckpt'), stopAfterStep: 5 });
    b.done();
    expect(readCheckpoint<{ step: number }>(join(dir, 's1.ckpt')).meta.step).toBe(4);
    const c2 = setup(c);
    const rc = trainStage1({ config: c, train, tokenizer: c2.tok, wordEmbeddings: c2.T, checkpointFile: join(dir, 's1.ckpt') });
    expect(rc.resumedFrom).toBe(4);
    const wc = weights(c2.tok);
    c2.done();
    expect(rc.history.map((h) => h.total)).toEqual(ra.history.map((h) => h.total));
    wa.forEach((w, i) => expect(Array.from(wc[i])).toEqual(Array.from(w)));
  });

  it('lowers the reconstruction loss, and every bias switch removes exactly its term', () => {
    const c = tinyConfig({ tokenizer: { steps: 25 }, run: { logEvery: 1 } });
    const s = setup(c);
    const r = trainStage1({ config: c, train, tokenizer: s.tok, wordEmbeddings: s.T });
    s.done();
    const first = r.history.slice(0, 3).reduce((a, h) => a + h.rec, 0) / 3;
    const last = r.history.slice(-3).reduce((a, h) => a + h.rec, 0) / 3;
    expect(last).toBeLessThan(first * 0.8);
    expect(r.history[0]).toHaveProperty('zipf');
    expect(r.history[0]).toHaveProperty('context');
    expect(r.history[0]).toHaveProperty('mmd');
    for (const term of ['zipf', 'context', 'mmd'] as const) {
      const ct = tinyConfig({ tokenizer: { steps: 1, bias: { zipf: term !== 'zipf', context: term !== 'context', mmd: term !== 'mmd' } } });
      const st = setup(ct);
      const rt = trainStage1({ config: ct, train, tokenizer: st.tok, wordEmbeddings: st.T });
      st.done();
      const row = rt.history[0];
      expect(row[term]).toBeUndefined();
      const others = (['zipf', 'context', 'mmd'] as const).filter((k) => k !== term);
      for (const k of others) expect(row[k]).toBeDefined();
      // the weighted sum adds up: bias = the sum of the present terms
      expect(row.bias).toBeCloseTo(others.reduce((a, k) => a + (row[k] as number), 0), 4);
      expect(row.total).toBeCloseTo(row.rec + row.emb + 0.02 * row.commit + 0.2 * row.bias, 4);
    }
  });

  it('the Euclidean switch builds a Euclidean codebook; memory stays flat over steps', () => {
    const c = tinyConfig({ tokenizer: { codebook: 'euclidean', steps: 2 } });
    const s = setup(c);
    expect(s.tok.quantizer.kind).toBe('euclidean');
    trainStage1({ config: c, train, tokenizer: s.tok, wordEmbeddings: s.T });
    const before = tf.memory().numTensors;
    trainStage1({ config: tinyConfig({ tokenizer: { codebook: 'euclidean', steps: 5, kmeansInit: false } }), train, tokenizer: s.tok, wordEmbeddings: s.T });
    expect(tf.memory().numTensors).toBe(before);
    s.done();
  });

  it('a non-finite loss stops the run naming the step and the term, keeping the last good checkpoint', () => {
    const c = tinyConfig({ tokenizer: { steps: 6 }, run: { checkpointEvery: 2 } });
    const dir = mkdtempSync(join(tmpdir(), 'llmar-nan-'));
    const f = join(dir, 's1.ckpt');
    const s = setup(c);
    trainStage1({ config: c, train, tokenizer: s.tok, wordEmbeddings: s.T, checkpointFile: f, stopAfterStep: 3 });
    expect(readCheckpoint<{ step: number }>(f).meta.step).toBe(2);
    const bad = tf.fill(s.T.shape, NaN) as tf.Tensor2D;
    expect(() => trainStage1({ config: c, train, tokenizer: s.tok, wordEmbeddings: bad, checkpointFile: f })).toThrow(/mmd loss is NaN at step 3.*last good checkpoint/);
    expect(existsSync(f)).toBe(true);
    expect(readCheckpoint<{ step: number }>(f).meta.step).toBe(2);
    bad.dispose();
    s.done();
  });
});

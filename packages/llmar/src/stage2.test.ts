import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@llmar/tensor';
import { generateSyntheticDataset, pack, writeGeneric, SYNTHETIC_CLASS_NAMES } from '@llmar/skeleton-datasets';
import { loadLanguageModel } from './llm';
import { adaptModel, trainStage2 } from './stage2';
import { SequenceBuilder, type ActionInputs } from './sequences';
import { loadSplitData } from './dataset';
import { trainAndEvaluate } from './pipeline';
import { Recognizer } from './recognizer';
import { tinyConfig } from './testing';

const names = ['wave left hand', 'sit down', 'jump'];

describe('stage 2 switches', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('LoRA trains only adapters (base weights bit-identical); full fine-tuning trains every weight', () => {
    const c = tinyConfig({ stage2: { steps: 3, batchSize: 4, microBatch: 2 } });
    const lm = loadLanguageModel(c, names);
    const before = lm.model.weightNames().map((n) => lm.model.getWeight(n).dataSync().slice());
    const ad = adaptModel(lm, c);
    expect([...ad.variables.keys()].every((k) => /:lora_[AB]$/.test(k))).toBe(true);
    expect(ad.variables.size).toBe(2 * 7 * c.llm.random.nLayers);
    const code = tf.randomNormal([c.tokenizer.codebookSize, 16], 0, 1, 'float32', 3) as tf.Tensor2D;
    const builder = new SequenceBuilder({ tokenizer: lm.tokenizer, model: lm.model, mode: 'embedding', codeEmbeddings: code });
    const inputs: ActionInputs = { kind: 'tokens', ids: Int32Array.from({ length: 6 * 4 }, (_, i) => (i * 7) % 16), W: 4 };
    const labels = Int32Array.from([0, 1, 2, 0, 1, 2]);
    const r = trainStage2({ config: c, lm, adaptation: ad, builder, inputs, labels, answers: builder.answers(names) });
    expect(r.steps).toBe(3);
    lm.model.weightNames().forEach((n, i) => expect(lm.model.getWeight(n).dataSync()).toEqual(before[i]));
    ad.lora?.dispose();
    const full = adaptModel(lm, tinyConfig({ stage2: { mode: 'full' } }));
    expect(full.mode).toBe('full');
    expect([...full.variables.keys()].sort()).toEqual(lm.model.weightNames().sort());
    trainStage2({ config: tinyConfig({ stage2: { mode: 'full', steps: 2, batchSize: 4, microBatch: 2 } }), lm, adaptation: full, builder, inputs, labels, answers: builder.answers(names) });
    const changed = lm.model.weightNames().filter((n, i) => lm.model.getWeight(n).dataSync().some((v, j) => v !== before[i][j]));
    expect(changed).toContain('model.embed_tokens.weight');
    expect(changed).toContain('model.layers.0.self_attn.q_proj.weight');
    code.dispose();
    lm.model.dispose();
  });

  it('with LoRA dropout > 0, resuming after a simulated kill gives bit-identical adapters (dropout generator restored)', () => {
    const c = tinyConfig({ stage2: { steps: 4, batchSize: 4, microBatch: 2, lora: { dropout: 0.3 } }, run: { checkpointEvery: 2 } });
    const inputs: ActionInputs = { kind: 'tokens', ids: Int32Array.from({ length: 6 * 4 }, (_, i) => (i * 5) % 16), W: 4 };
    const labels = Int32Array.from([0, 1, 2, 0, 1, 2]);
    const run = (cfg: typeof c, file?: string, stopAfterStep?: number) => {
      const lm = loadLanguageModel(cfg, names);
      const ad = adaptModel(lm, cfg);
      const code = tf.randomNormal([cfg.tokenizer.codebookSize, lm.model.config.dim], 0, 1, 'float32', 3) as tf.Tensor2D;
      const builder = new SequenceBuilder({ tokenizer: lm.tokenizer, model: lm.model, mode: 'embedding', codeEmbeddings: code });
      const r = trainStage2({ config: cfg, lm, adaptation: ad, builder, inputs, labels, answers: builder.answers(names), checkpointFile: file, stopAfterStep });
      const w = [...ad.variables.values()].map((v) => v.dataSync().slice());
      ad.lora?.dispose();
      code.dispose();
      lm.model.dispose();
      return { r, w };
    };
    const full = run(c);
    const dir = mkdtempSync(join(tmpdir(), 'llmar-s2-dropout-'));
    const f = join(dir, 's2.ckpt');
    run(c, f, 3); // checkpoint at step 2, killed after step 3
    const resumed = run(c, f);
    expect(resumed.r.resumedFrom).toBe(2);
    resumed.w.forEach((w, i) => expect(w).toEqual(full.w[i]));
    // the dropout masks matter: the same run without dropout ends elsewhere
    const noDrop = run(tinyConfig({ stage2: { steps: 4, batchSize: 4, microBatch: 2, lora: { dropout: 0 } }, run: { checkpointEvery: 2 } }));
    expect(noDrop.w.some((w, i) => w.some((v, j) => v !== full.w[i][j]))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('embedding mode feeds codebook rows, feature mode the continuous features, text mode token embeddings only', () => {
    const c = tinyConfig();
    const lm = loadLanguageModel(c, names);
    const d = lm.model.config.dim;
    const code = tf.randomNormal([16, d], 0, 1, 'float32', 4) as tf.Tensor2D;
    const ids = Int32Array.from([3, 9, 9, 1]);
    const emb = new SequenceBuilder({ tokenizer: lm.tokenizer, model: lm.model, mode: 'embedding', codeEmbeddings: code });
    const L = emb.layout({ kind: 'tokens', ids, W: 4 }, 0);
    const codeRows = code.arraySync();
    tf.tidy(() => {
      const b = emb.batch({ kind: 'tokens', ids, W: 4 }, [{ sample: 0, answer: emb.answers(names)[1] }]);
      const e = b.embeds.arraySync()[0];
      for (let j = 0; j < 4; j++) e[L.slotStart + j].forEach((v, k) => expect(v).toBeCloseTo(codeRows[ids[j]][k], 6));
      // the answer positions are the only ones in the loss: "sit down" + EOS = 3 targets
      expect(b.lossMask.sum().dataSync()[0]).toBe(3);
      const feats = Float32Array.from({ length: 4 * d }, (_, i) => Math.sin(i));
      const fb = emb.batch({ kind: 'features', data: feats, W: 4, d }, [{ sample: 0, answer: [lm.tokenizer.eos] }]).embeds.arraySync()[0];
      for (let j = 0; j < 4; j++) fb[L.slotStart + j].forEach((v, k) => expect(v).toBeCloseTo(feats[j * d + k], 6));
      const txt = new SequenceBuilder({ tokenizer: lm.tokenizer, model: lm.model, mode: 'text' });
      const tl = txt.layout({ kind: 'tokens', ids, W: 4 }, 0);
      expect(lm.tokenizer.decode(tl.ids)).toContain('tokens 3, 9, 9, 1, please');
      const tb = txt.batch({ kind: 'tokens', ids, W: 4 }, [{ sample: 0, answer: [lm.tokenizer.eos] }]);
      const ref = lm.model.embedTokens(tf.tensor2d([tl.ids], undefined, 'int32'));
      expect(tf.max(tf.abs(tf.sub(tb.embeds, ref))).dataSync()[0]).toBe(0);
      expect(() => txt.layout({ kind: 'features', data: feats, W: 4, d }, 0)).toThrow(/text mode needs discrete tokens/);
    });
    code.dispose();
    lm.model.dispose();
  });

  it('reads the generic on-disk format of @llmar/skeleton-datasets and splits it by subject', () => {
    const samples = generateSyntheticDataset({ seed: 2, subjects: 3, cameras: 1, repetitions: 1, classes: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'llmar-generic-'));
    writeGeneric(dir, pack(samples));
    const d = loadSplitData(tinyConfig({ data: { dataset: 'generic', dataDir: dir, protocol: 'xsub' } }));
    expect(d.all.n).toBe(samples.length);
    expect(d.classNames).toEqual(SYNTHETIC_CLASS_NAMES.slice(0, 3));
    expect([...new Set(d.test.subjects)]).toEqual([3]);
    expect(d.train.n + d.test.n).toBe(samples.length);
  });

  it('the unseen-class protocol holds out K classes per draw, lists them in the instruction and averages the draws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-unseen-'));
    const c = tinyConfig({ data: { unseen: { classes: 2, draws: 2 } }, tokenizer: { steps: 2 }, stage2: { steps: 2, batchSize: 4, microBatch: 4 } });
    const r = trainAndEvaluate({ config: c, outDir: dir });
    expect(r.draws).toHaveLength(2);
    for (const d of r.draws!) {
      expect(d.testClasses).toHaveLength(2);
      expect(d.metrics.confusion).toHaveLength(2);
    }
    expect(r.draws![0].testClasses).not.toEqual(r.draws![1].testClasses);
    expect(r.metrics.top1).toBeCloseTo((r.draws![0].metrics.top1 + r.draws![1].metrics.top1) / 2, 12);
    const rec = Recognizer.load(join(dir, 'draw-1'));
    expect(rec.classNames).toEqual(r.draws![0].testClasses);
    const p = rec['builder'].layout({ kind: 'tokens', ids: new Int32Array(4), W: 4 }, 0);
    expect(rec.lm.tokenizer.decode(p.ids)).toContain(`from ${r.draws![0].testClasses.join(', ')}.`);
    rec.dispose();
  });
});

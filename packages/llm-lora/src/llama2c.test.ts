import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, initBackend } from '@llmar/tensor';
import { loadLlama2c, parseLlama2cHeader } from './llama2c';
import { loadLlama2cTokenizer } from './tokenizer';
import { generate } from './generate';
import { LlmError } from './errors';
import { Llama } from './model';
import { makeConfig } from './config';
import { writeLlama2c } from './testing/llama2c-writer';
import { referenceForward, embedRows, maxRelErr, type RefWeights } from './testing/reference';

const FIX = process.env.LLMAR_FIXTURES;
if (!FIX) console.warn('LLMAR_FIXTURES is not set: llama2.c fixture tests are skipped');
const dir = (...p: string[]) => join(FIX ?? '', 'llama2c', ...p);

beforeAll(async () => {
  await initBackend();
});

describe.skipIf(!FIX)('llama2.c checkpoints (fixtures)', () => {
  it('stories260K greedy from BOS reproduces the golden text exactly', () => {
    const model = loadLlama2c(dir('stories260K', 'stories260K.bin'));
    const tok = loadLlama2cTokenizer(dir('stories260K', 'tok512.bin'), model.config.vocabSize);
    expect(model.config).toMatchObject({ dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, maxSeqLen: 512 });
    expect(model.config.tiedEmbeddings).toBe(true);
    generate(model, [tok.bos], { maxNewTokens: 2 }); // warm-up: creates the model's lazy internal copies
    const before = tf.memory().numTensors;
    const ids = generate(model, [tok.bos], { maxNewTokens: 511, stop: [tok.bos] });
    expect(tf.memory().numTensors).toBe(before);
    const text = ids.map((id, i) => (i === 0 ? tok.pieces[id].replace(/^ /, '') : tok.pieces[id])).join('');
    const golden = readFileSync(dir('stories260K', 'greedy-from-bos.txt'), 'utf8');
    expect(ids.length).toBe(345);
    expect(text).toBe(golden);
    model.dispose();
  });

  it('stories260K: KV-cache greedy decoding equals recomputing the whole prefix each step', () => {
    const model = loadLlama2c(dir('stories260K', 'stories260K.bin'));
    const withCache = generate(model, [1], { maxNewTokens: 24 });
    const ids = [1];
    for (let k = 0; k < 24; k++) {
      const next = tf.tidy(() => {
        const logits = model.forward({ ids: tf.tensor2d([ids], [1, ids.length], 'int32') });
        return tf.argMax(logits.slice([0, ids.length - 1, 0], [1, 1, -1]).reshape([-1])).dataSync()[0];
      });
      ids.push(next);
    }
    expect(withCache).toEqual(ids.slice(1));
    model.dispose();
  });

  it('aidreams260K (plain MHA, seq 128): loads, matches the float64 reference, generates readable text', () => {
    const model = loadLlama2c(dir('aidreams260K', 'aidreams260K.bin'));
    const c = model.config;
    expect(c).toMatchObject({ dim: 64, hiddenDim: 172, nLayers: 4, nHeads: 4, nKvHeads: 4, vocabSize: 512, maxSeqLen: 128, tiedEmbeddings: true });
    const tok = loadLlama2cTokenizer(dir('aidreams260K', 'tok512.bin'), c.vocabSize);
    const prompt = tok.encode('Hello, how are you');
    const got = tf.tidy(() => (model.forward({ ids: tf.tensor2d([prompt], [1, prompt.length], 'int32') }).arraySync() as number[][][])[0]);
    const w: RefWeights = {};
    for (const n of model.weightNames()) w[n] = Float64Array.from(model.getWeight(n).dataSync());
    expect(maxRelErr(got, referenceForward(c, w, embedRows(c, w, prompt)))).toBeLessThan(1e-4);
    const out = generate(model, prompt, { maxNewTokens: 80, stop: [tok.bos, tok.eos], temperature: 0 });
    const text = tok.decode(out);
    // readable: letters, digits, spaces and punctuation only; real-looking words (a vowel each, sensible lengths)
    expect(out.length).toBeGreaterThan(10);
    const odd = text.replace(/[A-Za-z0-9 .,!?'"\n:;()-]/g, '');
    expect(odd.length / text.length).toBeLessThan(0.05);
    const words = text.match(/[A-Za-z]+/g) ?? [];
    expect(words.length).toBeGreaterThanOrEqual(8);
    expect(words.filter((x) => /[aeiouy]/i.test(x)).length / words.length).toBeGreaterThan(0.8);
    const mean = words.reduce((a, x) => a + x.length, 0) / words.length;
    expect(mean).toBeGreaterThan(2);
    expect(mean).toBeLessThan(12);
    console.log(`aidreams260K: ${JSON.stringify(text)}`);
    model.dispose();
  });
});

describe('llama2.c loader: layout and bad input', () => {
  const cfg = (tied: boolean) =>
    makeConfig({ dim: 16, hiddenDim: 24, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 20, maxSeqLen: 12, ropeStyle: 'adjacent', tiedEmbeddings: tied });
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      if (e instanceof LlmError) return `${e.code}: ${e.message}`;
      return `other: ${(e as Error).message}`;
    }
    return 'none';
  };

  for (const tied of [true, false]) {
    it(`round trip of a ${tied ? 'shared' : 'unshared (negative vocab_size)'} classifier checkpoint gives identical logits`, () => {
      const src = Llama.random(cfg(tied), 3);
      const bytes = writeLlama2c(src);
      expect(parseLlama2cHeader(bytes).expectedBytes).toBe(bytes.byteLength);
      // an unaligned view of the same bytes works too
      const shifted = new Uint8Array(bytes.byteLength + 1);
      shifted.set(bytes, 1);
      const loaded = loadLlama2c(shifted.subarray(1));
      expect(loaded.config).toEqual(src.config);
      for (const n of src.weightNames()) expect(Array.from(loaded.getWeight(n).dataSync())).toEqual(Array.from(src.getWeight(n).dataSync()));
      const ids = tf.tensor2d([[1, 2, 3, 19]], [1, 4], 'int32');
      const a = src.forward({ ids });
      const b = loaded.forward({ ids });
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([ids, a, b]);
      src.dispose();
      loaded.dispose();
    });
  }

  it('truncated, oversize and contradictory files throw LlmError with the numbers', () => {
    const src = Llama.random(cfg(false), 1);
    const bytes = writeLlama2c(src);
    src.dispose();
    const n = bytes.byteLength;
    expect(code(() => loadLlama2c(bytes.slice(0, n - 4)))).toMatch(new RegExp(`^TRUNCATED: .*${n}.*${n - 4}`));
    expect(code(() => loadLlama2c(bytes.slice(0, 20)))).toMatch(/^TRUNCATED: .*20 bytes/);
    const longer = new Uint8Array(n + 8);
    longer.set(bytes);
    expect(code(() => loadLlama2c(longer))).toMatch(/^BAD_CONFIG: .*implies/);
    const edit = (i: number, v: number) => {
      const b = bytes.slice();
      new DataView(b.buffer).setInt32(4 * i, v, true);
      return b;
    };
    expect(code(() => loadLlama2c(edit(3, 5)))).toMatch(/^BAD_CONFIG: .*nHeads 5 does not divide dim 16/);
    expect(code(() => loadLlama2c(edit(4, 3)))).toMatch(/^BAD_CONFIG: .*nKvHeads 3/);
    expect(code(() => loadLlama2c(edit(0, -16)))).toMatch(/^BAD_CONFIG: .*dim = -16/);
    expect(code(() => loadLlama2c(edit(2, 0)))).toMatch(/^BAD_CONFIG: .*nLayers = 0/);
    expect(code(() => loadLlama2c(edit(5, 20)))).toMatch(/^BAD_CONFIG/); // unshared file read as shared: too long
    expect(code(() => loadLlama2c(edit(1, 2 ** 30)))).toMatch(/^TRUNCATED/); // huge header: refused before allocating
    expect(code(() => loadLlama2c('/nonexistent/model.bin'))).toMatch(/^IO/);
  });
});

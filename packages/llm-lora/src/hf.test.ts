import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmar/tensor';
import { makeConfig, weightShapes, type LlamaConfig } from './config';
import { configFromHf, exportHf, loadHf, loadModel } from './hf';
import { loadLlama2c } from './llama2c';
import { Llama } from './model';
import { applyLora } from './lora';

const FIX = process.env.LLMAR_FIXTURES;
if (!FIX) console.warn('hf.test: LLMAR_FIXTURES is unset, skipping the stories260K export test');

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'llmar-hf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** bf16 bits of a float32 by round-to-nearest-even (what torch's .to(bfloat16) does), written independently of the reader. */
function toBf16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
function bf16ToF32(b: number): number {
  return new Float32Array(new Uint32Array([b << 16]).buffer)[0];
}

/** A safetensors file of bf16 tensors, assembled by hand. Returns the bf16-rounded float32 values too. */
function writeBf16(path: string, tensors: Record<string, { data: Float32Array; shape: number[] }>) {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const blobs: Buffer[] = [];
  const rounded: Record<string, Float32Array> = {};
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const b = Buffer.alloc(t.data.length * 2);
    const r = new Float32Array(t.data.length);
    t.data.forEach((x, i) => {
      const bits = toBf16Bits(x);
      b.writeUInt16LE(bits, 2 * i);
      r[i] = bf16ToF32(bits);
    });
    header[name] = { dtype: 'BF16', shape: t.shape, data_offsets: [off, off + b.length] };
    blobs.push(b);
    rounded[name] = r;
    off += b.length;
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(path, Buffer.concat([len, h, ...blobs]));
  return rounded;
}

function hfConfigJson(c: LlamaConfig) {
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: c.dim, intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers, num_attention_heads: c.nHeads, num_key_value_heads: c.nKvHeads, vocab_size: c.vocabSize,
    max_position_embeddings: c.maxSeqLen, rms_norm_eps: c.normEps, rope_theta: c.ropeTheta, tie_word_embeddings: c.tiedEmbeddings,
    hidden_act: 'silu', torch_dtype: 'bfloat16',
  };
}

const ids = () => tf.tensor2d([[1, 7, 33, 2, 90, 5, 61, 12], [3, 3, 44, 45, 8, 19, 0, 77]], [2, 8], 'int32');

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Logits of two models on the same ids. */
function logitsDiff(m1: Llama, m2: Llama) {
  const x = ids();
  const [a, b] = [m1.forward({ ids: x as tf.Tensor2D }), m2.forward({ ids: x as tf.Tensor2D })];
  const d = maxAbsDiff(a, b);
  const scale = tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]);
  tf.dispose([x, a, b]);
  return { d, scale };
}

describe('Hugging Face export and load', () => {
  it('an adjacent-RoPE (llama2.c-style) model exported to HF reloads as rotate-half with the same logits (<= 1e-5)', () => {
    const c = makeConfig({ dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 128, maxSeqLen: 16, ropeStyle: 'adjacent', tiedEmbeddings: true });
    const m = Llama.random(c, 5);
    const out = join(dir, 'adj');
    exportHf(m, out);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ hidden_size: 32, num_key_value_heads: 2, tie_word_embeddings: true, model_type: 'llama' });
    const back = loadModel(out);
    expect(back.config.ropeStyle).toBe('rotate-half');
    // the q/k rows really were permuted (otherwise the comparison would be vacuous)
    const q0 = m.getWeight('model.layers.0.self_attn.q_proj.weight');
    expect(maxAbsDiff(q0, back.getWeight('model.layers.0.self_attn.q_proj.weight'))).toBeGreaterThan(1e-3);
    const { d } = logitsDiff(m, back);
    expect(d).toBeLessThanOrEqual(1e-5);
    m.dispose();
    back.dispose();
  });

  it('a LoRA-adapted model, merged, exports to HF with the adaptation folded in (<= 1e-5)', () => {
    const c = makeConfig({ dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 128, maxSeqLen: 16, ropeStyle: 'adjacent' });
    const m = Llama.random(c, 8);
    const lora = applyLora(m, { r: 4, alpha: 8, targetModules: ['q_proj', 'k_proj', 'v_proj', 'down_proj'] });
    for (const a of lora.adapters.values()) tf.tidy(() => a.Bt.assign(tf.randomNormal(a.Bt.shape, 0, 0.3, 'float32', 2)));
    const x = ids();
    const adapted = m.forward({ ids: x as tf.Tensor2D });
    lora.merge();
    const out = join(dir, 'merged');
    exportHf(m, out);
    lora.dispose(); // unmerges: m is the base model again
    const back = loadModel(out);
    const y = back.forward({ ids: x as tf.Tensor2D });
    const base = m.forward({ ids: x as tf.Tensor2D });
    expect(maxAbsDiff(y, adapted)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(base, adapted)).toBeGreaterThan(1e-3);
    tf.dispose([x, adapted, y, base]);
    m.dispose();
    back.dispose();
  });

  it.skipIf(!FIX)('stories260K (llama2.c) → HF export → reload gives the same logits (<= 1e-5)', () => {
    const m = loadLlama2c(join(FIX!, 'llama2c/stories260K/stories260K.bin'));
    const out = join(dir, 'stories');
    exportHf(m, out);
    const back = loadModel(out);
    const { d, scale } = logitsDiff(m, back);
    expect(scale).toBeGreaterThan(1);
    expect(d).toBeLessThanOrEqual(1e-5);
    // loadModel also takes the .bin
    const again = loadModel(join(FIX!, 'llama2c/stories260K/stories260K.bin'));
    expect(logitsDiff(m, again).d).toBe(0);
    [m, back, again].forEach((x) => x.dispose());
  });

  it('a synthetic rotate-half HF directory with bf16 tensors (sharded) loads and matches the float32 original', () => {
    const c = makeConfig({ dim: 32, hiddenDim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 96, maxSeqLen: 16, normEps: 1e-6, ropeTheta: 5e5 });
    const orig = Llama.random(c, 11);
    const src = join(dir, 'bf16');
    mkdirSync(src);
    writeFileSync(join(src, 'config.json'), JSON.stringify(hfConfigJson(c)));
    const all: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (const [n, shape] of weightShapes(c)) {
      const data = orig.getWeight(n).dataSync().slice() as Float32Array;
      if (shape.length === 1) data.forEach((_, i) => (data[i] = 1 + 0.1 * Math.sin(i))); // non-trivial norms
      all[n] = { data, shape };
    }
    const names = Object.keys(all);
    const half = Math.floor(names.length / 2);
    const pick = (ns: string[]) => Object.fromEntries(ns.map((n) => [n, all[n]]));
    const r1 = writeBf16(join(src, 'model-00001-of-00002.safetensors'), pick(names.slice(0, half)));
    const r2 = writeBf16(join(src, 'model-00002-of-00002.safetensors'), pick(names.slice(half)));
    const weightMap = Object.fromEntries(names.map((n, i) => [n, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
    writeFileSync(join(src, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    const loaded = loadHf(src);
    expect(loaded.config).toEqual(c);
    // exact: the loaded weights are the bf16-rounded values
    const rounded = { ...r1, ...r2 };
    const w = 'model.layers.1.mlp.down_proj.weight';
    expect(Array.from(loaded.getWeight(w).dataSync())).toEqual(Array.from(rounded[w]));
    const build = (vals: Record<string, Float32Array>) => {
      const ws = Object.fromEntries(names.map((n) => [n, tf.tensor(vals[n], all[n].shape)]));
      const model = Llama.fromWeights(c, ws);
      tf.dispose(Object.values(ws));
      return model;
    };
    const f32 = build(Object.fromEntries(names.map((n) => [n, all[n].data])));
    const bfRef = build(rounded);
    // identical weights → identical computation up to float32 reassociation
    expect(logitsDiff(loaded, bfRef).d).toBeLessThanOrEqual(1e-5);
    // bf16 keeps 8 significant bits: each weight moves by <= 2^-9 relative; logits of order 0.4 moved by 1.6e-3 here
    // (wasm); the bound 8e-3 is 5x that and 2% of the logits' scale, far below a wrong-weights difference.
    const { d, scale } = logitsDiff(loaded, f32);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThanOrEqual(8e-3);
    expect(scale).toBeGreaterThan(0.1);
    [orig, loaded, f32, bfRef].forEach((x) => x.dispose());
  });

  it('refuses a missing tensor, an unsupported dtype, a shape contradicting config.json and a too-large model, clearly', () => {
    const c = makeConfig({ dim: 16, hiddenDim: 24, nLayers: 1, nHeads: 2, vocabSize: 32, maxSeqLen: 8, tiedEmbeddings: true });
    const m = Llama.random(c, 2);
    const good = join(dir, 'good');
    exportHf(m, good);
    const variant = (name: string, edit: (header: Record<string, { dtype: string; shape: number[] }>) => void) => {
      const d = join(dir, name);
      mkdirSync(d);
      copyFileSync(join(good, 'config.json'), join(d, 'config.json'));
      const buf = readFileSync(join(good, 'model.safetensors'));
      const n = Number(buf.readBigUInt64LE(0));
      const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
      edit(header);
      let h = JSON.stringify(header);
      h += ' '.repeat(Math.max(0, n - h.length));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(h.length));
      writeFileSync(join(d, 'model.safetensors'), Buffer.concat([len, Buffer.from(h), buf.subarray(8 + n)]));
      return d;
    };
    const missing = variant('missing', (h) => delete h['model.layers.0.mlp.up_proj.weight']);
    expect(() => loadHf(missing)).toThrow(/MISSING_TENSOR.*"model\.layers\.0\.mlp\.up_proj\.weight".*\[24,16\]/);
    const dtype = variant('dtype', (h) => (h['model.norm.weight'].dtype = 'U32'));
    expect(() => loadHf(dtype)).toThrow(/UNSUPPORTED_DTYPE.*"model\.norm\.weight".*U32/);
    const shape = variant('shape', (h) => (h['model.layers.0.self_attn.v_proj.weight'].shape = [8, 32]));
    expect(() => loadHf(shape)).toThrow(/SHAPE_MISMATCH.*"model\.layers\.0\.self_attn\.v_proj\.weight".*\[8,32\].*\[16,16\]/);
    const cfg = JSON.parse(readFileSync(join(good, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'shape', 'config.json'), JSON.stringify({ ...cfg, rope_scaling: { type: 'linear', factor: 2 } }));
    expect(() => loadHf(shape)).toThrow(/BAD_CONFIG.*rope_scaling/);
    expect(() => configFromHf({ ...cfg, num_attention_heads: undefined })).toThrow(/BAD_CONFIG.*num_attention_heads/);
    expect(() => loadHf(good, { backend: 'wasm', wasmBudgetBytes: 1000 })).toThrow(/TOO_LARGE.*GB.*node/);
    expect(() => loadModel(join(dir, 'nothing-here'))).toThrow(/IO.*nothing-here/);
    m.dispose();
  });
});

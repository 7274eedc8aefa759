import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng, tf } from '@llmar/tensor';
import { makeConfig } from './config';
import { Llama } from './model';
import { applyLora, fullFineTuning } from './lora';
import { loadAdapter, peftKey, saveAdapter } from './adapters';
import { SafetensorsFile } from './safetensors';
import { causalLmLoss } from './train';

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'llmar-lora-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cfg = makeConfig({ dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 64, maxSeqLen: 16 });
const IDS = [[1, 5, 9, 2, 33, 17, 0, 36], [4, 8, 15, 16, 23, 42, 7, 11]];
const ids = () => tf.tensor2d(IDS, [2, 8], 'int32');

function logits(m: Llama): Float32Array {
  return tf.tidy(() => m.forward({ ids: ids() }).dataSync() as Float32Array);
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
/** Give every B a random value (B starts at zero, which would make the adapters invisible). */
function randomizeB(lora: ReturnType<typeof applyLora>, seed: number, std = 0.3) {
  const rng = new Rng(seed);
  for (const a of lora.adapters.values()) {
    const v = Float32Array.from({ length: a.Bt.size }, () => std * rng.normal());
    tf.tidy(() => a.Bt.assign(tf.tensor(v, a.Bt.shape)));
  }
}

describe('applyLora', () => {
  it('defaults to the paper setting and initialises A Kaiming-uniform(a=√5), B zero, so the model is unchanged', () => {
    const m = Llama.random(cfg, 1);
    const before = logits(m);
    const lora = applyLora(m);
    expect(lora.config).toMatchObject({ r: 64, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] });
    expect([...lora.adapters.keys()]).toEqual([
      'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.v_proj.weight',
      'model.layers.1.self_attn.q_proj.weight', 'model.layers.1.self_attn.v_proj.weight',
    ]);
    const a = lora.adapters.get('model.layers.0.self_attn.v_proj.weight')!;
    expect(a.scaling).toBe(16 / 64);
    expect([a.At.shape, a.Bt.shape]).toEqual([[32, 64], [64, 16]]); // v_proj: in 32, out kv 2*8 = 16
    // nn.init.kaiming_uniform_(a=√5) on [r, in]: bound = gain·√(3/fan_in), gain = √(2/(1+5)) → 1/√in
    const bound = 1 / Math.sqrt(32);
    const vals = Array.from(a.At.dataSync());
    expect(Math.max(...vals.map(Math.abs))).toBeLessThanOrEqual(bound);
    const variance = vals.reduce((s, x) => s + x * x, 0) / vals.length;
    expect(Math.abs(variance / (bound ** 2 / 3) - 1)).toBeLessThan(0.1); // uniform variance bound²/3, n = 2048
    expect(Array.from(a.Bt.dataSync()).every((x) => x === 0)).toBe(true);
    expect(maxDiff(logits(m), before)).toBe(0);
    expect(m.trainableWeights()).toHaveLength(0);
    expect(Object.keys(lora.trainableVariables())).toHaveLength(8);
    expect(lora.parameterCount()).toBe(2 * (32 * 64 + 64 * 32 + 32 * 64 + 64 * 16));
    lora.dispose();
    expect(m.adapters.size).toBe(0);
    m.dispose();
  });

  it('merge() gives the adapted logits (<= 1e-4) and unmerge() restores the weights (<= 1e-6)', () => {
    const m = Llama.random(cfg, 2);
    const base = logits(m);
    const q0 = m.getWeight('model.layers.0.self_attn.q_proj.weight').dataSync().slice();
    const lora = applyLora(m, { r: 4, alpha: 8, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
    randomizeB(lora, 3);
    const adapted = logits(m);
    expect(maxDiff(adapted, base)).toBeGreaterThan(1e-2); // the adapters do something
    lora.merge();
    expect(m.adapters.size).toBe(0);
    expect(maxDiff(logits(m), adapted)).toBeLessThanOrEqual(1e-4);
    lora.unmerge();
    expect(m.adapters.size).toBe(14);
    expect(maxDiff(m.getWeight('model.layers.0.self_attn.q_proj.weight').dataSync(), q0)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(logits(m), adapted)).toBeLessThanOrEqual(1e-4);
    lora.dispose();
    expect(maxDiff(logits(m), base)).toBeLessThanOrEqual(1e-4);
    m.dispose();
  });

  it('adapter gradients follow the chain rule through the full-weight gradient: dAt = s·Gᵀ·Btᵀ, dBt = s·Atᵀ·Gᵀ (<= 1e-4 rel)', () => {
    const m = Llama.random(cfg, 4);
    const lora = applyLora(m, { r: 3, alpha: 6, dropout: 0, targetModules: ['q_proj'], layers: [1] });
    randomizeB(lora, 5);
    const name = 'model.layers.1.self_attn.q_proj.weight';
    const a = lora.adapters.get(name)!;
    const targets = tf.tensor2d(IDS.map((r) => r.slice(1).concat([3])), [2, 8], 'int32');
    const loss = () => causalLmLoss(m.forward({ ids: ids() }, { training: true }), targets);
    const { grads: g1 } = tf.variableGrads(loss, [a.At, a.Bt]);
    // the same loss with the adapter folded into W: gradient G = dL/dW [out, in]
    lora.merge();
    m.setTrainable([name]);
    const W = m.getWeight(name);
    const { grads: g2 } = tf.variableGrads(loss, [W]);
    const G = g2[W.name];
    const s = a.scaling;
    // y = x(Wᵀ + s·At·Bt) ⇒ dAt = s·Gᵀ·Btᵀ, dBt = s·Atᵀ·Gᵀ
    const wantA = tf.tidy(() => tf.matMul(G, a.Bt, true, true).mul(s));
    const wantB = tf.tidy(() => tf.matMul(a.At, G, true, true).mul(s));
    const rel = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(x, y))).dataSync()[0] / tf.max(tf.abs(y)).dataSync()[0]);
    expect(rel(g1[a.At.name], wantA)).toBeLessThanOrEqual(1e-4);
    expect(rel(g1[a.Bt.name], wantB)).toBeLessThanOrEqual(1e-4);
    expect(tf.tidy(() => tf.max(tf.abs(wantB)).dataSync()[0])).toBeGreaterThan(1e-6); // not a vacuous 0 = 0
    tf.dispose([...Object.values(g1), G, wantA, wantB, targets]);
    m.setTrainable('none');
    lora.dispose();
    m.dispose();
  });

  // The fused native LoRA node (LlmarLoraAdd) against the separate products on the same backend: the same bits for the
  // loss and every adapter gradient, with dropout on (both models draw the same masks) and adapters on four projections.
  it('the fused native LoRA node gives the loss and gradients of the separate ops bit for bit (dropout 0.1)', (ctx) => {
    const make = () => {
      const m = Llama.random(cfg, 6);
      const lora = applyLora(m, { r: 4, alpha: 8, dropout: 0.1, targetModules: ['q_proj', 'v_proj', 'o_proj', 'down_proj'], seed: 3 });
      randomizeB(lora, 7);
      return { m, lora };
    };
    const runs = [false, true].map((fused) => {
      const { m, lora } = make();
      const first = [...lora.adapters.values()][0];
      if (fused && !tf.tidy(() => first.applyAdd(tf.zeros([1, first.outFeatures]), tf.zeros([1, first.inFeatures]), false))) ctx.skip(); // no addon
      if (!fused) for (const a of lora.adapters.values()) a.applyAdd = () => undefined;
      const targets = tf.tensor2d(IDS.map((r) => r.slice(1).concat([3])), [2, 8], 'int32');
      const vars = Object.values(lora.trainableVariables());
      const { value, grads } = tf.variableGrads(() => causalLmLoss(m.forward({ ids: ids() }, { training: true }), targets), vars);
      const out = [value, ...vars.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync()));
      tf.dispose([value, ...Object.values(grads), targets]);
      lora.dispose();
      m.dispose();
      return out;
    });
    expect(runs[1].length).toBe(runs[0].length);
    expect(runs[1].flat().some((v) => v !== 0)).toBe(true);
    runs[1].forEach((g, i) => expect(g, `tensor ${i}`).toEqual(runs[0][i]));
  });

  it('saves and loads peft adapter files (adapter_config.json + adapter_model.safetensors) with identical logits', () => {
    const m = Llama.random(cfg, 6);
    const lora = applyLora(m, { r: 4, alpha: 16, dropout: 0.1, targetModules: ['q_proj', 'v_proj', 'down_proj'], seed: 9 });
    randomizeB(lora, 7);
    const adapted = logits(m);
    const out = join(dir, 'adapter');
    saveAdapter(lora, out, { baseModelNameOrPath: 'stories260K' });
    const json = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(json).toMatchObject({
      peft_type: 'LORA', r: 4, lora_alpha: 16, lora_dropout: 0.1, target_modules: ['q_proj', 'v_proj', 'down_proj'],
      bias: 'none', task_type: 'CAUSAL_LM', base_model_name_or_path: 'stories260K', fan_in_fan_out: false, inference_mode: true,
    });
    const st = SafetensorsFile.open(join(out, 'adapter_model.safetensors'));
    expect(peftKey('model.layers.0.self_attn.q_proj.weight', 'A')).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(st.info('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight').shape).toEqual([4, 32]);
    expect(st.info('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight').shape).toEqual([16, 4]);
    expect(st.info('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight').shape).toEqual([4, 48]);
    expect(st.names()).toHaveLength(12);
    // peft layout: lora_A [r, in] is the transpose of the stored At [in, r]
    const a0 = lora.adapters.get('model.layers.0.self_attn.q_proj.weight')!;
    const peftA = st.readTyped('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight').data;
    const At = a0.At.arraySync() as number[][];
    expect(peftA[1 * 32 + 5]).toBe(At[5][1]);
    st.close();
    lora.dispose();
    expect(maxDiff(logits(m), adapted)).toBeGreaterThan(1e-3);
    const back = loadAdapter(m, out);
    expect(back.config).toMatchObject({ r: 4, alpha: 16, dropout: 0.1 });
    expect(maxDiff(logits(m), adapted)).toBe(0);
    back.dispose();
    // wrong base: another width refuses with the tensor name and both shapes
    const other = Llama.random(makeConfig({ ...cfg, dim: 16, nHeads: 2, nKvHeads: 1 }), 1);
    expect(() => loadAdapter(other, out)).toThrow(/SHAPE_MISMATCH.*q_proj\.lora_A\.weight.*\[4,32\].*\[4,16\]/);
    expect(other.adapters.size).toBe(0);
    other.dispose();
    m.dispose();
  });

  it('validates options and refuses double adapters', () => {
    const m = Llama.random(cfg, 1);
    expect(() => applyLora(m, { r: 0 })).toThrow(/BAD_OPTION.*r = 0/);
    expect(() => applyLora(m, { dropout: 1 })).toThrow(/BAD_OPTION.*dropout/);
    expect(() => applyLora(m, { targetModules: ['qkv' as 'q_proj'] })).toThrow(/BAD_OPTION.*"qkv"/);
    expect(() => applyLora(m, { layers: [2] })).toThrow(/BAD_OPTION.*layer 2/);
    const l = applyLora(m, { r: 2 });
    expect(() => applyLora(m, { r: 2 })).toThrow(/already has an adapter/);
    l.dispose();
    const all = fullFineTuning(m);
    expect(Object.keys(all)).toHaveLength(m.weightNames().length);
    expect(m.trainableWeights()).toHaveLength(m.weightNames().length);
    m.dispose();
  });
});

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '@llmar/tensor';
import { LlmError } from './errors';
import { type Llama } from './model';
import { applyLora, LORA_TARGETS, type LoraModel, type LoraTarget } from './lora';
import { SafetensorsFile, saveSafetensors, type WritableTensor } from './safetensors';

/** The adapter_config.json peft writes for a LoRA on a causal LM (the fields this package reads and writes). */
export interface PeftLoraConfigJson {
  peft_type: 'LORA';
  task_type: string;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[] | string;
  bias: string;
  fan_in_fan_out: boolean;
  inference_mode: boolean;
  base_model_name_or_path: string | null;
  layers_to_transform?: number[] | number | null;
  use_rslora?: boolean;
  [k: string]: unknown;
}

/** Options of {@link saveAdapter}. */
export interface SaveAdapterOptions {
  /** `base_model_name_or_path` in adapter_config.json. @default null */
  baseModelNameOrPath?: string | null;
  /** `inference_mode` in adapter_config.json. @default true */
  inferenceMode?: boolean;
}

/** peft's key of a LoRA matrix: `base_model.model.<module>.lora_A.weight` for weight `<module>.weight`. */
export function peftKey(weightName: string, which: 'A' | 'B'): string {
  return `base_model.model.${weightName.replace(/\.weight$/, '')}.lora_${which}.weight`;
}

/**
 * Save adapters as peft does: `adapter_config.json` and `adapter_model.safetensors` with keys
 * `base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight` [r, in] and `...lora_B.weight` [out, r] (float32),
 * loadable by `PeftModel.from_pretrained` on the matching transformers model.
 */
export function saveAdapter(lora: LoraModel, dir: string, options: SaveAdapterOptions = {}): void {
  const c = lora.config;
  mkdirSync(dir, { recursive: true });
  const list: [string, { shape: number[] }, () => WritableTensor][] = [];
  for (const [name, a] of lora.adapters) {
    list.push([peftKey(name, 'A'), { shape: [a.r, a.inFeatures] }, () => transposed(a.At)]);
    list.push([peftKey(name, 'B'), { shape: [a.outFeatures, a.r] }, () => transposed(a.Bt)]);
  }
  saveSafetensors(join(dir, 'adapter_model.safetensors'), list, { format: 'pt' });
  const json: PeftLoraConfigJson = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: [...c.targetModules],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: options.inferenceMode ?? true,
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    layers_to_transform: c.layers,
    use_rslora: c.rsLora,
    use_dora: false,
    init_lora_weights: true,
    modules_to_save: null,
    rank_pattern: {},
    alpha_pattern: {},
    revision: null,
  };
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(json, null, 2) + '\n');
}

function transposed(v: tf.Variable): WritableTensor {
  const t = tf.transpose(v);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return { data, shape: t.shape };
}

/** Options of {@link loadAdapter}. */
export interface LoadAdapterOptions {
  /** Seed for the dropout masks if training continues. @default 0 */
  seed?: number;
}

/**
 * Load a peft LoRA adapter directory onto a model: reads adapter_config.json (r, lora_alpha, lora_dropout,
 * target_modules, layers_to_transform, use_rslora) and adapter_model.safetensors, checks every matrix against the
 * model's shapes, installs the adapters and returns the handle. Unsupported peft features (DoRA, rank/alpha patterns,
 * bias ≠ "none", fan_in_fan_out, regex target_modules) throw BAD_CONFIG naming the field.
 */
export function loadAdapter(model: Llama, dir: string, options: LoadAdapterOptions = {}): LoraModel {
  const cfgPath = join(dir, 'adapter_config.json');
  const stPath = join(dir, 'adapter_model.safetensors');
  if (!existsSync(cfgPath)) throw new LlmError('IO', `${dir} has no adapter_config.json`);
  if (!existsSync(stPath)) throw new LlmError('IO', `${dir} has no adapter_model.safetensors`);
  let j: PeftLoraConfigJson;
  try {
    j = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new LlmError('BAD_CONFIG', `${cfgPath} is not valid JSON: ${(e as Error).message}`);
  }
  if (j.peft_type !== 'LORA') throw new LlmError('BAD_CONFIG', `${cfgPath}: peft_type "${String(j.peft_type)}" is not LORA`);
  if (j.bias !== undefined && j.bias !== 'none') throw new LlmError('BAD_CONFIG', `${cfgPath}: bias "${j.bias}" is not supported ("none" only)`);
  if (j.fan_in_fan_out) throw new LlmError('BAD_CONFIG', `${cfgPath}: fan_in_fan_out = true is not supported`);
  if (j.use_dora) throw new LlmError('BAD_CONFIG', `${cfgPath}: use_dora = true (DoRA) is not supported`);
  for (const k of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = j[k];
    if (v && typeof v === 'object' && Object.keys(v).length) throw new LlmError('BAD_CONFIG', `${cfgPath}: a non-empty ${k} is not supported`);
  }
  const rawTargets = typeof j.target_modules === 'string' ? [j.target_modules] : j.target_modules;
  if (!Array.isArray(rawTargets)) throw new LlmError('BAD_CONFIG', `${cfgPath}: target_modules must be a list of module names`);
  for (const t of rawTargets) {
    if (!LORA_TARGETS.includes(t as LoraTarget)) {
      throw new LlmError('BAD_CONFIG', `${cfgPath}: target module "${t}" is not one of ${LORA_TARGETS.join(', ')} (regex targets are not supported)`);
    }
  }
  const layers = j.layers_to_transform === undefined || j.layers_to_transform === null ? undefined
    : Array.isArray(j.layers_to_transform) ? j.layers_to_transform : [j.layers_to_transform];
  const f = SafetensorsFile.open(stPath);
  let lora: LoraModel | undefined;
  try {
    lora = applyLora(model, {
      r: j.r, alpha: j.lora_alpha, dropout: j.lora_dropout ?? 0, targetModules: rawTargets as LoraTarget[], layers,
      rsLora: j.use_rslora ?? false, seed: options.seed ?? 0,
    });
    for (const [name, a] of lora.adapters) {
      for (const [which, v, shape] of [['A', a.At, [a.r, a.inFeatures]], ['B', a.Bt, [a.outFeatures, a.r]]] as const) {
        const key = peftKey(name, which);
        const e = f.info(key);
        if (e.shape.length !== 2 || e.shape[0] !== shape[0] || e.shape[1] !== shape[1]) {
          throw new LlmError('SHAPE_MISMATCH', `${stPath}: "${key}" has shape [${e.shape}], the model and r = ${a.r} need [${shape}]`);
        }
        const { data } = f.readTyped(key);
        const vals = data instanceof Float32Array ? data : Float32Array.from(data);
        tf.tidy(() => v.assign(tf.transpose(tf.tensor2d(vals, [shape[0], shape[1]]))));
      }
    }
    return lora;
  } catch (e) {
    lora?.dispose();
    throw e;
  } finally {
    f.close();
  }
}

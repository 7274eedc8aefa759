import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { tf } from '@llmar/tensor';
import { type LlamaConfig, validateConfig } from './config';
import { LlmError } from './errors';
import { Llama, type LlamaOptions } from './model';
import { assertFitsBackend } from './memory';

const HEADER_BYTES = 28;

/** The header of a llama2.c legacy checkpoint and what it implies. */
export interface Llama2cHeader {
  config: LlamaConfig;
  /** Whether the classifier is stored (negative vocab_size). */
  unsharedClassifier: boolean;
  /** File length the header implies, in bytes. */
  expectedBytes: number;
}

/**
 * Parse and validate the 7-int32 header (`dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len`) and the
 * byte length it implies. LlmError 'TRUNCATED' when fewer than 28 bytes, 'BAD_CONFIG' for impossible values.
 */
export function parseLlama2cHeader(header: Uint8Array, source = 'checkpoint'): Llama2cHeader {
  if (header.byteLength < HEADER_BYTES) {
    throw new LlmError('TRUNCATED', `${source}: ${header.byteLength} bytes, a llama2.c header needs ${HEADER_BYTES}`);
  }
  const dv = new DataView(header.buffer, header.byteOffset, HEADER_BYTES);
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabRaw, seqLen] = [0, 1, 2, 3, 4, 5, 6].map((i) => dv.getInt32(i * 4, true));
  const config: LlamaConfig = {
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize: Math.abs(vocabRaw),
    maxSeqLen: seqLen,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: 'adjacent',
    tiedEmbeddings: vocabRaw > 0,
  };
  validateConfig(config, `${source} header [dim ${dim}, hidden ${hiddenDim}, layers ${nLayers}, heads ${nHeads}, kv ${nKvHeads}, vocab ${vocabRaw}, seq ${seqLen}]`);
  const hs = dim / nHeads;
  const kv = nKvHeads * hs;
  const V = config.vocabSize;
  const perLayer = 2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hiddenDim * dim;
  const floats = V * dim + nLayers * perLayer + dim + seqLen * hs + (config.tiedEmbeddings ? 0 : V * dim);
  return { config, unsharedClassifier: !config.tiedEmbeddings, expectedBytes: HEADER_BYTES + 4 * floats };
}

/** Read a path or take bytes; for a path, the header is checked against the file size before the body is read. */
function readSource(pathOrBuffer: string | Uint8Array): { bytes: Uint8Array; source: string; header: Llama2cHeader } {
  if (typeof pathOrBuffer !== 'string') {
    const source = `checkpoint buffer (${pathOrBuffer.byteLength} bytes)`;
    return { bytes: pathOrBuffer, source, header: checkLength(pathOrBuffer, pathOrBuffer.byteLength, source) };
  }
  let size: number;
  const head = new Uint8Array(HEADER_BYTES);
  let got = 0;
  try {
    size = statSync(pathOrBuffer).size;
    const fd = openSync(pathOrBuffer, 'r');
    try {
      got = readSync(fd, head, 0, HEADER_BYTES, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new LlmError('IO', `cannot read ${pathOrBuffer}: ${(e as Error).message}`);
  }
  const source = `${pathOrBuffer} (${size} bytes)`;
  const header = checkLength(head.subarray(0, got), size, source);
  return { bytes: readFileSync(pathOrBuffer), source, header };
}

function checkLength(head: Uint8Array, size: number, source: string): Llama2cHeader {
  const h = parseLlama2cHeader(head, source);
  if (size < h.expectedBytes) {
    throw new LlmError('TRUNCATED', `${source}: the header implies ${h.expectedBytes} bytes, the data has ${size}`);
  }
  if (size > h.expectedBytes) {
    throw new LlmError(
      'BAD_CONFIG',
      `${source}: the header implies ${h.expectedBytes} bytes but the data has ${size} (corrupt header or not a legacy llama2.c checkpoint)`,
    );
  }
  assertFitsBackend(h.config);
  return h;
}

/**
 * Load a llama2.c legacy `.bin` checkpoint (a path or the bytes) as a {@link Llama} with `adjacent` RoPE.
 * The header is validated and the implied length compared with the actual one before any tensor is made:
 * LlmError 'TRUNCATED' (file shorter) or 'BAD_CONFIG' (longer: the header contradicts the size), 'TOO_LARGE' when the
 * weights cannot fit the backend.
 */
export function loadLlama2c(pathOrBuffer: string | Uint8Array, options: LlamaOptions = {}): Llama {
  const { bytes, header: h } = readSource(pathOrBuffer);
  const c = h.config;
  // An aligned float32 view (copy only when the buffer is misaligned).
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const f = new Float32Array(aligned.buffer, aligned.byteOffset + HEADER_BYTES, (h.expectedBytes - HEADER_BYTES) / 4);
  const hs = c.dim / c.nHeads;
  const kv = c.nKvHeads * hs;
  const L = c.nLayers;
  let off = 0;
  const take = (n: number): Float32Array => {
    const s = f.subarray(off, off + n);
    off += n;
    return s;
  };
  const weights: Record<string, tf.Tensor> = {};
  const stacked = (suffix: string, rows: number, cols: number) => {
    const all = take(L * rows * cols);
    for (let i = 0; i < L; i++) {
      const part = all.subarray(i * rows * cols, (i + 1) * rows * cols);
      weights[`model.layers.${i}.${suffix}`] = cols === 1 ? tf.tensor1d(part) : tf.tensor2d(part, [rows, cols]);
    }
  };
  try {
    weights['model.embed_tokens.weight'] = tf.tensor2d(take(c.vocabSize * c.dim), [c.vocabSize, c.dim]);
    stacked('input_layernorm.weight', c.dim, 1);
    stacked('self_attn.q_proj.weight', c.dim, c.dim);
    stacked('self_attn.k_proj.weight', kv, c.dim);
    stacked('self_attn.v_proj.weight', kv, c.dim);
    stacked('self_attn.o_proj.weight', c.dim, c.dim);
    stacked('post_attention_layernorm.weight', c.dim, 1);
    stacked('mlp.gate_proj.weight', c.hiddenDim, c.dim);
    stacked('mlp.down_proj.weight', c.dim, c.hiddenDim);
    stacked('mlp.up_proj.weight', c.hiddenDim, c.dim);
    weights['model.norm.weight'] = tf.tensor1d(take(c.dim));
    take(c.maxSeqLen * hs); // legacy RoPE tables (cos, sin), recomputed by the model
    if (!c.tiedEmbeddings) weights['lm_head.weight'] = tf.tensor2d(take(c.vocabSize * c.dim), [c.vocabSize, c.dim]);
    return Llama.fromWeights(c, weights, options);
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
}

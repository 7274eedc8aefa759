import { readFileSync } from 'node:fs';
import { LlmError } from '../errors';
import { type EncodeOptions, PieceTokenizer } from './base';
import { mergePairs } from './merge';

/**
 * The llama2.c tokenizer (`tokenizer.bin`): piece 0 `<unk>`, 1 BOS, 2 EOS, byte fallbacks `<0xNN>`, SentencePiece "▁"
 * already stored as a space. Encoding follows llama2.c: dummy-prefix space, code points to pieces (byte fallback
 * otherwise), then repeatedly merge the adjacent pair whose concatenation is the highest-scoring piece (leftmost on ties).
 */
export class Llama2cTokenizer extends PieceTokenizer {
  readonly scores: Float32Array;
  readonly maxTokenLength: number;
  readonly unk = 0;

  constructor(pieces: string[], scores: Float32Array, maxTokenLength: number) {
    super(pieces, 1, 2, [0], ' ');
    this.scores = scores;
    this.maxTokenLength = maxTokenLength;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const t: number[] = [];
    if (opts.bos ?? true) t.push(this.bos);
    const first = t.length;
    if (text.length > 0 && (opts.prefixSpace ?? true)) {
      const sp = this.map.get(' ');
      if (sp !== undefined) t.push(sp);
      else t.push(...this.byteFallback(' ', this.unk));
    }
    for (const ch of text) {
      const id = this.map.get(ch);
      if (id !== undefined) t.push(id);
      else t.push(...this.byteFallback(ch, this.unk));
    }
    // Merge the best-scoring adjacent pair until none merges (BOS never takes part).
    const p = this.pieces;
    const merged = mergePairs(t.slice(first).map((id) => p[id]), (a, b) => {
      const id = this.map.get(a + b);
      return id === undefined ? undefined : -this.scores[id];
    });
    t.length = first;
    for (const s of merged) t.push(this.map.get(s) ?? this.unk);
    if (opts.eos ?? false) t.push(this.eos);
    return t;
  }
}

/**
 * Load a llama2.c `tokenizer.bin` (a path or the bytes): uint32 max_token_length, then `vocabSize` times float32 score,
 * int32 byte length, UTF-8 bytes. LlmError 'TRUNCATED' when the data ends early, 'BAD_TOKENIZER' for a negative or
 * oversized length or bytes left over (a vocabSize that does not match the file).
 */
export function loadLlama2cTokenizer(pathOrBuffer: string | Uint8Array, vocabSize: number): Llama2cTokenizer {
  if (!Number.isInteger(vocabSize) || vocabSize < 3) throw new LlmError('BAD_OPTION', `vocabSize ${vocabSize} must be an integer >= 3`);
  let bytes: Uint8Array;
  const source = typeof pathOrBuffer === 'string' ? pathOrBuffer : 'tokenizer buffer';
  if (typeof pathOrBuffer === 'string') {
    try {
      bytes = readFileSync(pathOrBuffer);
    } catch (e) {
      throw new LlmError('IO', `cannot read ${pathOrBuffer}: ${(e as Error).message}`);
    }
  } else bytes = pathOrBuffer;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder('utf-8');
  if (bytes.byteLength < 4) throw new LlmError('TRUNCATED', `${source}: ${bytes.byteLength} bytes, no max_token_length`);
  const maxTokenLength = dv.getUint32(0, true);
  let off = 4;
  const pieces: string[] = new Array(vocabSize);
  const scores = new Float32Array(vocabSize);
  for (let i = 0; i < vocabSize; i++) {
    if (off + 8 > bytes.byteLength) {
      throw new LlmError('TRUNCATED', `${source}: ends at byte ${bytes.byteLength} inside piece ${i} of ${vocabSize} (vocabSize larger than the file?)`);
    }
    scores[i] = dv.getFloat32(off, true);
    const len = dv.getInt32(off + 4, true);
    off += 8;
    if (len < 0 || len > Math.max(maxTokenLength, 64) * 4) {
      throw new LlmError('BAD_TOKENIZER', `${source}: piece ${i} has byte length ${len} (max_token_length ${maxTokenLength})`);
    }
    if (off + len > bytes.byteLength) throw new LlmError('TRUNCATED', `${source}: piece ${i} needs ${len} bytes at offset ${off}, file has ${bytes.byteLength}`);
    pieces[i] = dec.decode(bytes.subarray(off, off + len));
    off += len;
  }
  if (off !== bytes.byteLength) {
    throw new LlmError('BAD_TOKENIZER', `${source}: ${bytes.byteLength - off} bytes left after ${vocabSize} pieces (vocabSize does not match the file?)`);
  }
  return new Llama2cTokenizer(pieces, scores, maxTokenLength);
}

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLlama2cTokenizer, loadHfTokenizer, type Llama2cTokenizer } from './index';
import { LlmError } from '../errors';
import { tokenizerJsonFrom } from '../testing/tokenizer-json';
import { readSentencePieceModel } from '../testing/sentencepiece-model';

const FIX = process.env.LLMAR_FIXTURES;
if (!FIX) console.warn('LLMAR_FIXTURES is not set: tokenizer fixture tests are skipped');
const path = (...p: string[]) => join(FIX ?? '', 'llama2c', ...p);

const TEXTS = [
  'Once upon a time, there was a little girl named Lily.',
  '  leading spaces and   runs of   spaces  ',
  'tabs\tand\nnewlines\r\n\n',
  'unicode: naïve café, Ελληνικά, русский, 日本語, emoji 🦙🚀 and 👩‍👩‍👧',
  'quotes "double" \'single\' — dashes – and … ellipsis',
  'a',
  'x'.repeat(200),
];

function errCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof LlmError) return e.code;
    return `other: ${(e as Error).message}`;
  }
  return 'none';
}

describe.skipIf(!FIX)('llama2.c tokenizer.bin (fixtures)', () => {
  const tok512 = () => loadLlama2cTokenizer(path('stories260K', 'tok512.bin'), 512);
  const llama = () => loadLlama2cTokenizer(path('llama-vocab', 'tokenizer.bin'), 32000);

  it('LLaMA vocabulary: known SentencePiece ids', () => {
    const t = llama();
    expect(t.vocabSize).toBe(32000);
    expect(t.encode('Hello world')).toEqual([1, 15043, 3186]);
    // ▁The 450, "," 29892, ▁the 278, "." 29889 (the words in between are not pinned)
    const ids = t.encode('The cat, the dog.', { eos: true });
    expect([ids.length, ids[1], ids[3], ids[4], ids[6], ids[7]]).toEqual([8, 450, 29892, 278, 29889, 2]);
    expect(t.encode('a\nb', { bos: false })).toEqual([263, 13, 29890]);
    expect(t.idOf(' ')).toBe(29871);
    expect(t.encode('')).toEqual([1]);
  });

  it('LLaMA tokenizer.bin agrees piece for piece (and score) with the SentencePiece tokenizer.model it came from', () => {
    const t = llama();
    const sp = readSentencePieceModel(new Uint8Array(readFileSync(path('llama-vocab', 'tokenizer.model'))));
    expect(sp.pieces.length).toBe(32000);
    expect(sp.addDummyPrefix).toBe(true);
    let bytePieces = 0;
    sp.pieces.forEach((p, i) => {
      const want = i === 1 ? '\n<s>\n' : i === 2 ? '\n</s>\n' : p.piece.split('\u2581').join(' ');
      if (t.pieces[i] !== want) expect(`${i}: ${t.pieces[i]}`).toBe(`${i}: ${want}`);
      if (t.scores[i] !== Math.fround(p.score)) expect(`${i}: ${t.scores[i]}`).toBe(`${i}: ${p.score}`);
      if (p.type === 6) {
        bytePieces++;
        expect(t.decode([i])).toBe(new TextDecoder().decode(Uint8Array.of(parseInt(p.piece.slice(3, 5), 16))));
      }
    });
    expect(bytePieces).toBe(256);
  });

  for (const [name, load] of [
    ['tok512', tok512],
    ['LLaMA 32000', llama],
  ] as const) {
    it(`${name}: decode(encode(text)) round-trips (unicode, whitespace, byte fallback)`, () => {
      const t = load();
      for (const s of TEXTS) {
        const ids = t.encode(s);
        expect(ids[0]).toBe(t.bos);
        expect(ids.every((i) => Number.isInteger(i) && i >= 0 && i < t.vocabSize)).toBe(true);
        expect(t.decode(ids)).toBe(s);
        expect(t.decode(t.encode(s, { bos: false, eos: true }))).toBe(s);
        // streaming with pieceBytes reassembles the same text
        let bytes: number[] = [];
        ids.forEach((id, k) => (bytes = bytes.concat(Array.from(t.pieceBytes(k ? ids[k - 1] : -1, id)))));
        expect(new TextDecoder().decode(Uint8Array.from(bytes)).replace(/^\n<s>\n/, '')).toBe(s);
      }
      expect(t.decode(t.encode('hello', { prefixSpace: false, bos: false }))).toBe('hello');
    });
  }

  it('tok512: byte fallback for characters outside the vocabulary, llama2.c decodePiece rules', () => {
    const t = tok512();
    const ids = t.encode('ï', { bos: false });
    const pieces = ids.map((i) => t.pieces[i]);
    expect(pieces.slice(-2)).toEqual(['<0xC3>', '<0xAF>']);
    expect(ids.slice(-2)).toEqual([0xc3 + 3, 0xaf + 3]);
    expect(t.decode(ids)).toBe('ï');
    const once = t.idOf(' Once')!;
    expect(t.decodePiece(t.bos, once)).toBe('Once');
    expect(t.decodePiece(once, once)).toBe(' Once');
    expect(t.decodePiece(once, 0x0a + 3)).toBe('\n');
    expect(errCode(() => t.decode([512]))).toBe('BAD_OPTION');
  });

  it('bad tokenizer files raise LlmError, never a crash', () => {
    const bytes = new Uint8Array(readFileSync(path('stories260K', 'tok512.bin')));
    expect(errCode(() => loadLlama2cTokenizer(bytes.slice(0, 3000), 512))).toBe('TRUNCATED');
    expect(errCode(() => loadLlama2cTokenizer(bytes, 513))).toBe('TRUNCATED');
    expect(errCode(() => loadLlama2cTokenizer(bytes, 511))).toBe('BAD_TOKENIZER');
    const bad = bytes.slice();
    new DataView(bad.buffer).setInt32(4 + 4, -5, true); // piece 0's length
    expect(errCode(() => loadLlama2cTokenizer(bad, 512))).toBe('BAD_TOKENIZER');
    expect(errCode(() => loadLlama2cTokenizer('/nonexistent/tokenizer.bin', 512))).toBe('IO');
  });

  for (const [name, load] of [
    ['tok512', tok512],
    ['LLaMA 32000', llama],
  ] as const) {
    it(`${name}: tokenizer.json built from the vocabulary encodes exactly like the llama2.c encoder`, () => {
      const t: Llama2cTokenizer = load();
      const hf = loadHfTokenizer(JSON.stringify(tokenizerJsonFrom(t)));
      expect(hf.vocabSize).toBe(t.vocabSize);
      const story = FIX ? readFileSync(path('stories260K', 'greedy-from-bos.txt'), 'utf8').split('<0x0A>').join('\n') : '';
      for (const s of [...TEXTS, story]) {
        expect(hf.encode(s)).toEqual(t.encode(s));
        expect(hf.decode(hf.encode(s))).toBe(s);
      }
    });
  }
});

describe('Hugging Face tokenizer.json (hand-written)', () => {
  const SP = '\u2581';
  const vocab: Record<string, number> = {
    '<unk>': 0, '<s>': 1, '</s>': 2, '<0xC3>': 3, '<0xA9>': 4, [SP]: 5, a: 6, b: 7, c: 8, ab: 9, [`${SP}ab`]: 10, abc: 11,
    [`${SP}abc`]: 12, [`b${SP}`]: 13,
  };
  const json = (merges: string[], viaMetaspace: boolean) => ({
    added_tokens: [0, 1, 2].map((id) => ({ id, content: ['<unk>', '<s>', '</s>'][id], special: true })),
    normalizer: viaMetaspace
      ? null
      : { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SP }, { type: 'Replace', pattern: { String: ' ' }, content: SP }] },
    pre_tokenizer: viaMetaspace ? { type: 'Metaspace', replacement: SP, prepend_scheme: 'always', split: true } : null,
    model: { type: 'BPE', unk_token: '<unk>', byte_fallback: true, vocab, merges },
  });

  it('merges in rank order, byte fallback, special tokens in text', () => {
    const t = loadHfTokenizer(json(['a b', `${SP} ab`, 'ab c', `${SP}ab c`], false));
    // ▁ a b ▁ a b c ▁ é → (a b)×2 → (▁ ab)×2 → "ab c" finds no ab left → (▁ab c) → ▁ab ▁abc ▁ <C3> <A9>
    expect(t.encode('ab abc é')).toEqual([1, 10, 12, 5, 3, 4]);
    expect(t.decode([1, 10, 12, 5, 3, 4])).toBe('ab abc é');
    expect(t.encode('ab</s>', { bos: false })).toEqual([10, 2]);
    expect(t.encode('ab', { prefixSpace: false, bos: false })).toEqual([9]);
    // 'd' has no piece and no byte piece: unk
    expect(t.encode('d', { bos: false })).toEqual([5, 0]);
  });

  it('a Metaspace pre-tokenizer splits words before BPE; the normalizer form does not', () => {
    const merges = [`b ${SP}`, 'a b', `${SP} ab`];
    expect(loadHfTokenizer(json(merges, false)).encode('ab ab', { bos: false })).toEqual([5, 6, 13, 9]);
    expect(loadHfTokenizer(json(merges, true)).encode('ab ab', { bos: false })).toEqual([10, 10]);
  });

  it('rejects what it cannot honour', () => {
    expect(errCode(() => loadHfTokenizer('{not json'))).toBe('BAD_TOKENIZER');
    expect(errCode(() => loadHfTokenizer({ model: { type: 'Unigram', vocab: [] } }))).toBe('BAD_TOKENIZER');
    expect(errCode(() => loadHfTokenizer(json(['a c'], false)))).toBe('BAD_TOKENIZER');
    expect(errCode(() => loadHfTokenizer({ ...json([], false), normalizer: { type: 'Precompiled' } }))).toBe('BAD_TOKENIZER');
    expect(errCode(() => loadHfTokenizer(json([], false), { bosToken: '<bos>' }))).toBe('BAD_TOKENIZER');
  });
});

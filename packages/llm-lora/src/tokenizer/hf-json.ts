import { LlmError } from '../errors';
import { type EncodeOptions, PieceTokenizer } from './base';
import { mergePairs } from './merge';

const SPACE = '\u2581'; // "▁"

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Options of {@link loadHfTokenizer}. */
export interface HfTokenizerOptions {
  /** Content of the BOS token. @default '<s>' */
  bosToken?: string;
  /** Content of the EOS token. @default '</s>' */
  eosToken?: string;
}

type TextStep = (s: string, prefix: boolean) => string;

/** The normalizer as a string function (Sequence, Prepend, Replace with a String pattern, NFC/NFKC/NFD/NFKD, Lowercase). */
function normalizerOf(n: Json, where: string): TextStep {
  if (n == null) return (s) => s;
  switch (n.type) {
    case 'Sequence': {
      const steps = (n.normalizers ?? []).map((m: Json, i: number) => normalizerOf(m, `${where}.normalizers[${i}]`));
      return (s, prefix) => steps.reduce((acc: string, f: TextStep) => f(acc, prefix), s);
    }
    case 'Prepend':
      return (s, prefix) => (prefix && s.length > 0 ? String(n.prepend) + s : s);
    case 'Replace': {
      if (typeof n.pattern?.String !== 'string') throw new LlmError('BAD_TOKENIZER', `${where}: only String patterns are supported in Replace`);
      const from = n.pattern.String as string;
      const to = String(n.content);
      return (s) => s.split(from).join(to);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (s) => s.normalize(n.type);
    case 'Lowercase':
      return (s) => s.toLowerCase();
    default:
      throw new LlmError('BAD_TOKENIZER', `${where}: normalizer type "${n.type}" is not supported`);
  }
}

/** The pre-tokenizer as string → words (Metaspace, or none: the whole string is one word). */
function preTokenizerOf(p: Json, where: string): (s: string, prefix: boolean) => string[] {
  if (p == null) return (s) => (s.length ? [s] : []);
  if (p.type === 'Sequence' && Array.isArray(p.pretokenizers) && p.pretokenizers.length === 1) return preTokenizerOf(p.pretokenizers[0], where);
  if (p.type !== 'Metaspace') throw new LlmError('BAD_TOKENIZER', `${where}: pre_tokenizer type "${p.type}" is not supported (Metaspace or none)`);
  const rep = String(p.replacement ?? SPACE);
  const scheme = p.prepend_scheme ?? (p.add_prefix_space === false ? 'never' : 'always');
  const split = p.split ?? true;
  return (s, prefix) => {
    let t = s.split(' ').join(rep);
    if (scheme !== 'never' && prefix && t.length > 0 && !t.startsWith(rep)) t = rep + t;
    if (!split) return t.length ? [t] : [];
    const words: string[] = [];
    let cur = '';
    for (const ch of t) {
      if (ch === rep && cur.length > 0) {
        words.push(cur);
        cur = '';
      }
      cur += ch;
    }
    if (cur.length) words.push(cur);
    return words;
  };
}

/**
 * A Hugging Face `tokenizer.json` BPE tokenizer (the LLaMA / SentencePiece kind): vocab, merges in rank order,
 * byte fallback, "▁" for spaces via the normalizer (Prepend + Replace) or a Metaspace pre-tokenizer, added tokens.
 */
export class HfBpeTokenizer extends PieceTokenizer {
  readonly unk: number;
  private readonly ranks = new Map<string, number>();
  private readonly normalize: TextStep;
  private readonly preTokenize: (s: string, prefix: boolean) => string[];
  private readonly added: { content: string; id: number }[];
  private readonly byteFallbackOn: boolean;
  private readonly ignoreMerges: boolean;

  constructor(json: Json, options: HfTokenizerOptions = {}) {
    const model = json?.model;
    if (!model || model.type !== 'BPE') throw new LlmError('BAD_TOKENIZER', `tokenizer.json: model.type is "${model?.type}", only BPE is supported`);
    if (!model.vocab || typeof model.vocab !== 'object') throw new LlmError('BAD_TOKENIZER', 'tokenizer.json: model.vocab is missing');
    const addedList: { id: number; content: string; special?: boolean }[] = Array.isArray(json.added_tokens) ? json.added_tokens : [];
    const entries: [string, number][] = Object.entries(model.vocab as Record<string, number>);
    for (const a of addedList) entries.push([a.content, a.id]);
    let size = 0;
    for (const [p, id] of entries) {
      if (!Number.isInteger(id) || id < 0) throw new LlmError('BAD_TOKENIZER', `tokenizer.json: piece ${JSON.stringify(p)} has id ${id}`);
      size = Math.max(size, id + 1);
    }
    const pieces: string[] = new Array(size);
    for (const [p, id] of entries) pieces[id] = p;
    for (let i = 0; i < size; i++) {
      if (pieces[i] === undefined) throw new LlmError('BAD_TOKENIZER', `tokenizer.json: no piece has id ${i} (ids must be contiguous from 0)`);
    }
    const find = (content: string, what: string): number => {
      const id = entries.find(([p]) => p === content)?.[1];
      if (id === undefined) throw new LlmError('BAD_TOKENIZER', `tokenizer.json: ${what} token ${JSON.stringify(content)} is not in the vocabulary`);
      return id;
    };
    const bos = find(options.bosToken ?? '<s>', 'BOS');
    const eos = find(options.eosToken ?? '</s>', 'EOS');
    super(pieces, bos, eos, addedList.filter((a) => a.special).map((a) => a.id), SPACE);
    this.unk = model.unk_token != null ? find(String(model.unk_token), 'unk') : -1;
    this.byteFallbackOn = model.byte_fallback === true;
    this.ignoreMerges = model.ignore_merges === true;
    const merges: (string | string[])[] = Array.isArray(model.merges) ? model.merges : [];
    merges.forEach((m, rank) => {
      const pair = typeof m === 'string' ? m.split(' ') : m;
      if (pair.length !== 2 || !this.map.has(pair[0]) || !this.map.has(pair[1]) || !this.map.has(pair[0] + pair[1])) {
        throw new LlmError('BAD_TOKENIZER', `tokenizer.json: merge ${rank} ${JSON.stringify(m)} does not join two pieces into a piece of the vocabulary`);
      }
      const key = `${pair[0]}\u0000${pair[1]}`;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
    this.normalize = normalizerOf(json.normalizer, 'tokenizer.json normalizer');
    this.preTokenize = preTokenizerOf(json.pre_tokenizer, 'tokenizer.json pre_tokenizer');
    this.added = addedList.map((a) => ({ content: a.content, id: a.id })).sort((a, b) => b.content.length - a.content.length);
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if (opts.bos ?? true) out.push(this.bos);
    const prefix = opts.prefixSpace ?? true;
    let first = true;
    for (const seg of this.splitAdded(text)) {
      if (typeof seg === 'number') {
        out.push(seg);
        continue;
      }
      const norm = this.normalize(seg, prefix && first);
      for (const w of this.preTokenize(norm, prefix && first)) out.push(...this.bpe(w));
      first = false;
    }
    if (opts.eos ?? false) out.push(this.eos);
    return out;
  }

  /** Split raw text on added-token contents (longest first): strings and ids. */
  private splitAdded(text: string): (string | number)[] {
    let parts: (string | number)[] = [text];
    for (const a of this.added) {
      if (!a.content) continue;
      const next: (string | number)[] = [];
      for (const p of parts) {
        if (typeof p === 'number') next.push(p);
        else
          p.split(a.content).forEach((s, i) => {
            if (i > 0) next.push(a.id);
            if (s.length) next.push(s);
          });
      }
      parts = next;
    }
    return parts;
  }

  /** BPE on one word: characters (byte fallback for unknown ones), then the lowest-rank merge (leftmost on ties) until none applies. */
  private bpe(word: string): number[] {
    if (this.ignoreMerges) {
      const whole = this.map.get(word);
      if (whole !== undefined) return [whole];
    }
    const sym: string[] = [];
    for (const ch of word) {
      if (this.map.has(ch)) sym.push(ch);
      else if (this.byteFallbackOn) for (const id of this.byteFallback(ch, this.unk)) sym.push(id >= 0 ? this.pieces[id] : '\u0000unk');
      else sym.push('\u0000unk');
    }
    const merged = mergePairs(sym, (a, b) => this.ranks.get(`${a}\u0000${b}`));
    return merged.map((s) => {
      const id = this.map.get(s);
      if (id !== undefined) return id;
      if (this.unk < 0) throw new LlmError('BAD_TOKENIZER', `tokenizer.json: cannot encode ${JSON.stringify(word)} (no piece, no byte fallback, no unk_token)`);
      return this.unk;
    });
  }
}

/** Load a Hugging Face `tokenizer.json` (its text or the parsed object) with a BPE model, e.g. LLaMA's. */
export function loadHfTokenizer(tokenizerJson: string | object, options: HfTokenizerOptions = {}): HfBpeTokenizer {
  let json: Json = tokenizerJson;
  if (typeof tokenizerJson === 'string') {
    try {
      json = JSON.parse(tokenizerJson);
    } catch (e) {
      throw new LlmError('BAD_TOKENIZER', `tokenizer.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  return new HfBpeTokenizer(json, options);
}

import { LlmarError } from './errors';

/** The subset of a text tokenizer that stage 2 needs (the tokenizers of @llmar/llm-lora satisfy it). */
export interface TextTokenizer {
  vocabSize: number;
  bos: number;
  eos: number;
  encode(text: string, opts?: { bos?: boolean; eos?: boolean }): number[];
  decode(ids: number[]): string;
}

/** Split text into lower-case words, single punctuation marks and single digits. */
export function splitWords(text: string): string[] {
  return text.toLowerCase().match(/[a-z']+|[0-9]|[^\sa-z0-9']/g) ?? [];
}

/**
 * A word-level tokenizer for the default random LLaMA (which has no pretrained vocabulary): pieces 0 `<unk>`,
 * 1 `<s>`, 2 `</s>`, then the sorted words of the given texts (instruction templates and class names), the digits and
 * punctuation; padded with `<unused_k>` up to `vocabSize`. Deterministic for a given set of texts.
 */
export class WordTokenizer implements TextTokenizer {
  readonly pieces: string[];
  readonly bos = 1;
  readonly eos = 2;
  private readonly ids = new Map<string, number>();

  constructor(pieces: string[]) {
    if (pieces[0] !== '<unk>' || pieces[1] !== '<s>' || pieces[2] !== '</s>') {
      throw new LlmarError('BAD_INPUT', 'WordTokenizer pieces must start with <unk>, <s>, </s>');
    }
    this.pieces = pieces;
    pieces.forEach((p, i) => this.ids.set(p, i));
  }

  /**
   * Build from texts, padded to `vocabSize` pieces. With `grow`, a vocabulary too small for the texts grows to the next
   * multiple of 64 instead of failing.
   */
  static fromTexts(texts: string[], vocabSize: number, options: { grow?: boolean } = {}): WordTokenizer {
    const words = new Set<string>('0123456789.,:;?![]()-'.split(''));
    for (const t of texts) for (const w of splitWords(t)) words.add(w);
    const pieces = ['<unk>', '<s>', '</s>', ...[...words].sort()];
    if (pieces.length > vocabSize && options.grow) vocabSize = Math.ceil(pieces.length / 64) * 64;
    if (pieces.length > vocabSize) {
      throw new LlmarError('BAD_OPTION', `WordTokenizer needs ${pieces.length} pieces but the LLM vocabulary has ${vocabSize} (raise llm.random.vocabSize)`);
    }
    for (let k = pieces.length; k < vocabSize; k++) pieces.push(`<unused_${k}>`);
    return new WordTokenizer(pieces);
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  encode(text: string, opts: { bos?: boolean; eos?: boolean } = {}): number[] {
    const out = splitWords(text).map((w) => this.ids.get(w) ?? 0);
    if (opts.bos) out.unshift(this.bos);
    if (opts.eos) out.push(this.eos);
    return out;
  }

  decode(ids: number[]): string {
    let s = '';
    for (const id of ids) {
      if (id === this.bos || id === this.eos) continue;
      const p = this.pieces[id] ?? '<unk>';
      // no space before closing punctuation, after an opening bracket, around '/' and '-' (hat/cap, high-five), between digits
      if (s === '' || /^[.,:;?!\])/-]$/.test(p) || /[[(/-]$/.test(s) || (/^[0-9]$/.test(p) && /[0-9]$/.test(s))) s += p;
      else s += ` ${p}`;
    }
    return s;
  }
}

import { LlmError } from '../errors';

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Prepend the BOS id. @default true */
  bos?: boolean;
  /** Append the EOS id. @default false */
  eos?: boolean;
  /** Add SentencePiece's dummy-prefix space ("▁") before the text. Turn off to encode a continuation. @default true */
  prefixSpace?: boolean;
}

/** A SentencePiece-style tokenizer (pieces with byte fallback `<0xNN>`). */
export interface Tokenizer {
  vocabSize: number;
  bos: number;
  eos: number;
  /** Text → ids. */
  encode(text: string, opts?: EncodeOptions): number[];
  /** Ids → text: BOS/EOS (and other special tokens) are skipped, byte pieces assembled as UTF-8, the leading space of the first piece dropped. */
  decode(ids: number[]): string;
  /** llama2.c's decode of one step: the piece's text, its leading space dropped after BOS; a byte piece gives that byte (U+FFFD for a lone non-ASCII byte: use pieceBytes to stream). */
  decodePiece(prev: number, id: number): string;
  /** The raw UTF-8 bytes of one piece (decodePiece rules), for streaming output. */
  pieceBytes(prev: number, id: number): Uint8Array;
  /** Piece strings by id, as stored (llama2.c: spaces; Hugging Face: "▁"). */
  pieces: string[];
  /** The id of a piece string, if present. */
  idOf(piece: string): number | undefined;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');

/** Shared decoding of SentencePiece-style vocabularies. */
export abstract class PieceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly pieces: string[];
  readonly bos: number;
  readonly eos: number;
  protected readonly map = new Map<string, number>();
  private readonly byteOf: Int16Array;
  private readonly byteIds: Int32Array;
  private readonly pieceUtf8: Uint8Array[];
  private readonly special: Set<number>;

  protected constructor(pieces: string[], bos: number, eos: number, special: Iterable<number>, private readonly space: string) {
    this.vocabSize = pieces.length;
    this.pieces = pieces;
    if (!(bos >= 0 && bos < pieces.length) || !(eos >= 0 && eos < pieces.length)) {
      throw new LlmError('BAD_TOKENIZER', `BOS ${bos} / EOS ${eos} outside the vocabulary of ${pieces.length}`);
    }
    this.bos = bos;
    this.eos = eos;
    this.special = new Set(special);
    this.byteOf = new Int16Array(pieces.length).fill(-1);
    this.byteIds = new Int32Array(256).fill(-1);
    this.pieceUtf8 = new Array(pieces.length);
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (!this.map.has(p)) this.map.set(p, i);
      const m = BYTE_PIECE.exec(p);
      if (m) {
        const b = parseInt(m[1], 16);
        this.byteOf[i] = b;
        if (this.byteIds[b] < 0) this.byteIds[b] = i;
      }
      this.pieceUtf8[i] = enc.encode(space === ' ' ? p : p.split(space).join(' '));
    }
  }

  abstract encode(text: string, opts?: EncodeOptions): number[];

  idOf(piece: string): number | undefined {
    return this.map.get(piece);
  }

  /** The byte-fallback ids of a string's UTF-8 bytes (unk id when a byte piece is absent). */
  protected byteFallback(s: string, unk: number): number[] {
    const out: number[] = [];
    for (const b of enc.encode(s)) out.push(this.byteIds[b] >= 0 ? this.byteIds[b] : unk);
    return out;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new LlmError('BAD_OPTION', `token id ${id} is outside [0, ${this.vocabSize})`);
    }
  }

  pieceBytes(prev: number, id: number): Uint8Array {
    this.checkId(id);
    const b = this.byteOf[id];
    if (b >= 0) return Uint8Array.of(b);
    const u = this.pieceUtf8[id];
    return prev === this.bos && u[0] === 0x20 ? u.subarray(1) : u;
  }

  decodePiece(prev: number, id: number): string {
    return dec.decode(this.pieceBytes(prev, id));
  }

  decode(ids: number[]): string {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let first = true;
    for (const id of ids) {
      this.checkId(id);
      if (id === this.bos || id === this.eos || this.special.has(id)) continue;
      let u = this.pieceBytes(-1, id);
      if (first && this.byteOf[id] < 0 && u[0] === 0x20) u = u.subarray(1);
      first = false;
      chunks.push(u);
      total += u.length;
    }
    const all = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    return dec.decode(all);
  }
}

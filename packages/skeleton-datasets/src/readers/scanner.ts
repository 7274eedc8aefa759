import { DatasetError } from '../errors';

/**
 * A hand-written scanner over the bytes of a line-oriented text file of numbers (the NTU `.skeleton` layout).
 * It never splits strings or calls parseFloat per token: numbers are accumulated digit by digit and scaled by an
 * exact power of ten, which gives the correctly rounded double (identical to `Number(token)`) whenever the mantissa
 * has at most 15 significant digits and the decimal exponent is within ±22; other tokens fall back to `Number()`.
 *
 * Accepted number grammar (the same as `/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/`); tokens are separated by spaces
 * or tabs; lines end with LF or CRLF.
 */

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
  1e19, 1e20, 1e21, 1e22];

const SP = 32;
const TAB = 9;
const CR = 13;
const LF = 10;

/** Text decoder for error messages (tokens are shown as found, at most 40 characters). */
const dec = new TextDecoder('utf-8', { fatal: false });

export class ByteScanner {
  /** Current byte position. */
  pos = 0;
  /** 1-based line number of `pos`. */
  line = 1;
  /** 1-based frame, body and joint the caller is reading (0 = not applicable); named in error messages. */
  frame = 0;
  body = 0;
  joint = 0;

  constructor(readonly buf: Uint8Array, readonly file: string) {}

  /** `what` plus the frame / body / joint being read. */
  private desc(what: string): string {
    const at = [this.frame && `frame ${this.frame}`, this.body && `body ${this.body}`, this.joint && `joint ${this.joint}`]
      .filter(Boolean).join(', ');
    return at ? `${what} (${at})` : what;
  }

  /** Skips spaces and tabs (not line ends). */
  private skipBlanks(): void {
    const b = this.buf;
    let p = this.pos;
    while (p < b.length && (b[p] === SP || b[p] === TAB)) p++;
    this.pos = p;
  }

  /** True when only whitespace (including line ends) remains. */
  atEndIgnoringWhitespace(): boolean {
    const b = this.buf;
    for (let p = this.pos; p < b.length; p++) {
      const c = b[p];
      if (c !== SP && c !== TAB && c !== CR && c !== LF) return false;
    }
    return true;
  }

  /** The token starting at `pos` (up to a blank or a line end), for messages. */
  private tokenAt(p: number): string {
    const b = this.buf;
    let e = p;
    while (e < b.length && e - p < 40 && b[e] !== SP && b[e] !== TAB && b[e] !== CR && b[e] !== LF) e++;
    return JSON.stringify(dec.decode(b.subarray(p, e)));
  }

  /** Counts the remaining tokens on the current line (for a FIELD_COUNT message). */
  private tokensLeftOnLine(): number {
    const b = this.buf;
    let p = this.pos;
    let n = 0;
    let inTok = false;
    while (p < b.length && b[p] !== LF && b[p] !== CR) {
      const blank = b[p] === SP || b[p] === TAB;
      if (!blank && !inTok) n++;
      inTok = !blank;
      p++;
    }
    return n;
  }

  /**
   * Consumes the end of the current line, which must follow the `expected` fields (`what` names the line).
   * At end of file this succeeds only when `allowEof`.
   */
  endLine(what: string, expected: number, allowEof: boolean): void {
    this.skipBlanks();
    const b = this.buf;
    const p = this.pos;
    if (p >= b.length) {
      if (allowEof) return;
      throw new DatasetError('TRUNCATED', `file ends after ${this.desc(what)}`, {
        file: this.file, line: this.line, expected: 'a line end and more lines', found: 'end of file' });
    }
    if (b[p] === LF) {
      this.pos = p + 1;
      this.line++;
      return;
    }
    if (b[p] === CR && p + 1 < b.length && b[p + 1] === LF) {
      this.pos = p + 2;
      this.line++;
      return;
    }
    if (b[p] === CR && p + 1 === b.length) {
      if (allowEof) { this.pos = p + 1; return; }
      throw new DatasetError('TRUNCATED', `file ends after ${this.desc(what)}`, {
        file: this.file, line: this.line, expected: 'a line end and more lines', found: 'end of file' });
    }
    if (b[p] === CR) {
      throw new DatasetError('BAD_FORMAT', `stray carriage return in ${this.desc(what)}`, {
        file: this.file, line: this.line, expected: 'LF or CRLF', found: 'CR' });
    }
    const extra = this.tokensLeftOnLine();
    throw new DatasetError('FIELD_COUNT', `too many fields in ${this.desc(what)}`, {
      file: this.file, line: this.line, expected: `${expected} fields`, found: `${expected + extra} fields` });
  }

  /** Fails unless a token starts here (not a line end, not end of file). */
  private needToken(what: string, index: number, expected: number): void {
    this.skipBlanks();
    const b = this.buf;
    if (this.pos >= b.length) {
      throw new DatasetError('TRUNCATED', `file ends inside ${this.desc(what)}`, {
        file: this.file, line: this.line, expected: `${expected} fields`, found: `${index} fields then end of file` });
    }
    const c = b[this.pos];
    if (c === LF || c === CR) {
      throw new DatasetError('FIELD_COUNT', `too few fields in ${this.desc(what)}`, {
        file: this.file, line: this.line, expected: `${expected} fields`, found: `${index} fields` });
    }
  }

  /** Skips the end of a token and checks it is followed by a blank or line end. */
  private tokenEnd(start: number, what: string): void {
    const b = this.buf;
    const p = this.pos;
    if (p < b.length && b[p] !== SP && b[p] !== TAB && b[p] !== CR && b[p] !== LF) {
      throw new DatasetError('NOT_A_NUMBER', `non-numeric field in ${this.desc(what)}`, {
        file: this.file, line: this.line, expected: 'a number', found: this.tokenAt(start) });
    }
  }

  /**
   * Reads a non-negative integer field (counts, ids). Values above 2^53 are accepted but lose precision
   * (NTU body ids are 17-digit integers; read them with {@link readToken}).
   */
  readUint(what: string, index: number, expected: number): number {
    this.needToken(what, index, expected);
    const b = this.buf;
    const start = this.pos;
    let p = start;
    let v = 0;
    while (p < b.length) {
      const d = b[p] - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      p++;
    }
    this.pos = p;
    if (p === start) {
      throw new DatasetError('NOT_A_NUMBER', `non-integer field in ${this.desc(what)}`, {
        file: this.file, line: this.line, expected: 'a non-negative integer', found: this.tokenAt(start) });
    }
    this.tokenEnd(start, what);
    return v;
  }

  /** Reads an unsigned integer token and returns its text (for 64-bit ids). */
  readUintToken(what: string, index: number, expected: number): string {
    this.needToken(what, index, expected);
    const start = this.pos;
    const b = this.buf;
    let p = start;
    while (p < b.length && b[p] >= 48 && b[p] <= 57) p++;
    this.pos = p;
    if (p === start) {
      throw new DatasetError('NOT_A_NUMBER', `non-integer field in ${this.desc(what)}`, {
        file: this.file, line: this.line, expected: 'a non-negative integer', found: this.tokenAt(start) });
    }
    this.tokenEnd(start, what);
    return dec.decode(b.subarray(start, p));
  }

  /**
   * Reads `count` numbers of one line into `out[at..]`: an inlined fast path for plain decimals (sign, digits, point,
   * at most 15 significant digits); anything else (exponent, '+', long mantissa, a bad token, a missing field) goes
   * through {@link readNumber}, which parses it exactly or throws the precise error.
   */
  readNumbers(out: Float64Array, count: number, what: string, at = 0, firstIndex = 0): void {
    const b = this.buf;
    const n = b.length;
    let p = this.pos;
    for (let k = 0; k < count; k++) {
      while (p < n && (b[p] === SP || b[p] === TAB)) p++;
      const start = p;
      let neg = false;
      if (p < n && b[p] === 45) { neg = true; p++; }
      // Out-of-range reads give undefined, so (b[p] - 48) is NaN and the digit loops stop at the end of the buffer.
      let mant = 0;
      const d0 = p;
      let c = 0;
      while ((c = b[p] - 48) >= 0 && c <= 9) { mant = mant * 10 + c; p++; }
      let scale = 0;
      let dot = 0;
      if (b[p] === 46) {
        dot = 1;
        p++;
        const f0 = p;
        while ((c = b[p] - 48) >= 0 && c <= 9) { mant = mant * 10 + c; p++; }
        scale = f0 - p;
      }
      const nd = p - d0 - dot; // digits read
      const t = p < n ? b[p] : SP;
      // exact while mant < 2^53 (it only grows, so checking the final value suffices)
      if (nd <= 0 || mant > 9007199254740991 || scale < -22 || !(t === SP || t === TAB || t === CR || t === LF)) {
        this.pos = start;
        out[at + k] = this.readNumber(what, firstIndex + k, firstIndex + count);
        p = this.pos;
        continue;
      }
      const v = scale < 0 ? mant / POW10[-scale] : mant;
      out[at + k] = neg ? -v : v;
    }
    this.pos = p;
  }

  /** Reads one decimal number (see the grammar above). */
  readNumber(what: string, index: number, expected: number): number {
    const b = this.buf;
    const n = b.length;
    let p = this.pos;
    while (p < n && (b[p] === SP || b[p] === TAB)) p++;
    this.pos = p;
    if (p >= n || b[p] === LF || b[p] === CR) this.needToken(what, index, expected); // throws
    const start = p;
    let neg = false;
    if (b[p] === 45 /* - */) { neg = true; p++; } else if (b[p] === 43 /* + */) p++;
    let mant = 0;
    let digits = 0; // significant digits accumulated (leading zeros skipped)
    let intDigits = 0;
    let fracDigits = 0;
    let scale = 0; // decimal exponent adjustment from fraction digits
    let c = 0;
    while (p < n && (c = b[p] - 48) >= 0 && c <= 9) {
      if (mant !== 0 || c !== 0) { mant = mant * 10 + c; digits++; }
      intDigits++;
      p++;
    }
    if (p < n && b[p] === 46 /* . */) {
      p++;
      while (p < n && (c = b[p] - 48) >= 0 && c <= 9) {
        if (mant !== 0 || c !== 0) { mant = mant * 10 + c; digits++; }
        fracDigits++;
        scale--;
        p++;
      }
    }
    if (intDigits + fracDigits === 0) {
      this.pos = p;
      throw new DatasetError('NOT_A_NUMBER', `non-numeric field in ${this.desc(what)}`, {
        file: this.file, line: this.line, expected: 'a number', found: this.tokenAt(start) });
    }
    let exp = 0;
    if (p < n && (b[p] === 101 || b[p] === 69) /* e E */) {
      p++;
      let eneg = false;
      if (p < n && b[p] === 45) { eneg = true; p++; } else if (p < n && b[p] === 43) p++;
      const es = p;
      while (p < n && (c = b[p] - 48) >= 0 && c <= 9) {
        if (exp < 100000) exp = exp * 10 + c;
        p++;
      }
      if (p === es) {
        this.pos = p;
        throw new DatasetError('NOT_A_NUMBER', `bad exponent in ${this.desc(what)}`, {
          file: this.file, line: this.line, expected: 'a number', found: this.tokenAt(start) });
      }
      if (eneg) exp = -exp;
    }
    this.pos = p;
    if (p < n && b[p] !== SP && b[p] !== CR && b[p] !== LF && b[p] !== TAB) this.tokenEnd(start, what); // throws
    const e10 = scale + exp;
    let v: number;
    if (digits <= 15 && e10 >= -22 && e10 <= 22) {
      v = e10 < 0 ? mant / POW10[-e10] : mant * POW10[e10];
    } else {
      v = Number(dec.decode(b.subarray(start, p)));
      if (!Number.isFinite(v)) {
        throw new DatasetError('NOT_A_NUMBER', `number out of range in ${this.desc(what)}`, {
          file: this.file, line: this.line, expected: 'a finite number', found: this.tokenAt(start) });
      }
      return v; // sign already in the text
    }
    return neg ? -v : v;
  }
}

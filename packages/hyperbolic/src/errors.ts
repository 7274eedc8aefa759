/** Literal error codes of @llmar/hyperbolic. */
export type HyperbolicErrorCode = 'BAD_CURVATURE' | 'SHAPE_MISMATCH' | 'OFF_BALL' | 'NAN_INPUT' | 'BAD_OPTION';

/** The one error class of @llmar/hyperbolic; `code` is a literal, the message names the offending input. */
export class HyperbolicError extends Error {
  readonly code: HyperbolicErrorCode;
  constructor(code: HyperbolicErrorCode, message: string) {
    super(`[${code}] ${message}`);
    this.name = 'HyperbolicError';
    this.code = code;
  }
}

/** Throw `BAD_CURVATURE` unless `c` is a finite number > 0. */
export function checkCurvature(c: unknown): number {
  if (typeof c !== 'number' || !Number.isFinite(c) || c <= 0) {
    throw new HyperbolicError('BAD_CURVATURE', `curvature c must be a finite number > 0, got ${String(c)}`);
  }
  return c;
}

/** Throw `BAD_OPTION` unless `v` is a finite number in the open/closed range given. */
export function checkRange(name: string, v: unknown, lo: number, hi: number, loOpen = true, hiOpen = true): number {
  const ok =
    typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) {
    const range = `${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;
    throw new HyperbolicError('BAD_OPTION', `${name} must be a finite number in ${range}, got ${String(v)}`);
  }
  return v as number;
}

/** Literal error codes of @llmar/llmar. */
export type LlmarErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_OPTION'
  | 'BAD_INPUT'
  | 'SHAPE_MISMATCH'
  | 'NON_FINITE_LOSS'
  | 'CHECKPOINT'
  | 'NOT_TRAINED'
  | 'MISSING_DEPENDENCY';

/** The one error class of @llmar/llmar; `code` is a literal, the message names the offending input. */
export class LlmarError extends Error {
  readonly code: LlmarErrorCode;
  constructor(code: LlmarErrorCode, message: string) {
    super(`[${code}] ${message}`);
    this.name = 'LlmarError';
    this.code = code;
  }
}

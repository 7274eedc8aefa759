/** Literal error codes of @llmar/inductive-bias. */
export type InductiveBiasErrorCode = 'BAD_OPTION' | 'SHAPE_MISMATCH' | 'ODD_CODEBOOK' | 'MISSING_INPUT';

/** The one error class of @llmar/inductive-bias; `code` is a literal, the message names the offending input. */
export class InductiveBiasError extends Error {
  readonly code: InductiveBiasErrorCode;
  constructor(code: InductiveBiasErrorCode, message: string) {
    super(`[${code}] ${message}`);
    this.name = 'InductiveBiasError';
    this.code = code;
  }
}

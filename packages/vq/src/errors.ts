/** Literal error codes of @llmar/vq. */
export type VqErrorCode = 'BAD_OPTION' | 'SHAPE_MISMATCH' | 'ODD_CODEBOOK' | 'BAD_STATE' | 'TOO_FEW_SAMPLES' | 'DISPOSED';

/** The one error class of @llmar/vq; `code` is a literal, the message names the offending input. */
export class VqError extends Error {
  readonly code: VqErrorCode;
  constructor(code: VqErrorCode, message: string) {
    super(`[${code}] ${message}`);
    this.name = 'VqError';
    this.code = code;
  }
}

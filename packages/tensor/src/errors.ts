/** Literal error codes of @llmar/tensor. */
export type TensorErrorCode =
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_UNKNOWN'
  | 'SHAPE_MISMATCH'
  | 'BAD_OPTION'
  | 'SAFETENSORS_FORMAT';

/** The one error class of @llmar/tensor; `code` is a literal, the message names the offending input. */
export class TensorError extends Error {
  readonly code: TensorErrorCode;
  constructor(code: TensorErrorCode, message: string) {
    super(`[${code}] ${message}`);
    this.name = 'TensorError';
    this.code = code;
  }
}

/** Literal error codes of @llmar/llm-lora. */
export type LlmErrorCode =
  | 'TRUNCATED'
  | 'MISSING_TENSOR'
  | 'SHAPE_MISMATCH'
  | 'UNSUPPORTED_DTYPE'
  | 'BAD_CONFIG'
  | 'TOO_LARGE'
  | 'BAD_TOKENIZER'
  | 'BAD_OPTION'
  | 'BAD_FORMAT'
  | 'IO';

/** The one error class of @llmar/llm-lora; `code` is a literal, the message names the offending input. */
export class LlmError extends Error {
  readonly code: LlmErrorCode;
  constructor(code: LlmErrorCode, message: string) {
    super(`[${code}] ${message}`);
    this.name = 'LlmError';
    this.code = code;
  }
}

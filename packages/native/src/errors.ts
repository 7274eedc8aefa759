/** Literal error codes of @llmar/native. */
export type NativeErrorCode = 'INTERNALS_CHANGED' | 'BAD_ARGUMENT';

/** The one error class of @llmar/native; `code` is a literal, the message names the offending input. */
export class NativeError extends Error {
  readonly code: NativeErrorCode;
  constructor(code: NativeErrorCode, message: string) {
    super(`[${code}] ${message}`);
    this.name = 'NativeError';
    this.code = code;
  }
}

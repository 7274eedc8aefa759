/** Literal error codes of @llmar/viewer. */
export type ViewerErrorCode =
  | 'OUTSIDE_ROOT'
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  | 'UNSUPPORTED_FILE'
  | 'TOO_LARGE'
  | 'BAD_OPTION'
  | 'NO_FRONT_END';

/** The one error class of @llmar/viewer: a literal `code` and a message naming the offending input. */
export class ViewerError extends Error {
  readonly code: ViewerErrorCode;
  constructor(code: ViewerErrorCode, message: string) {
    super(`[${code}] ${message}`);
    this.name = 'ViewerError';
    this.code = code;
  }
}

/** HTTP status of an error thrown while answering a request. */
export function httpStatusOf(e: unknown): number {
  if (e instanceof ViewerError) {
    switch (e.code) {
      case 'OUTSIDE_ROOT': return 403;
      case 'NOT_FOUND': return 404;
      case 'TOO_LARGE': return 413;
      case 'NO_FRONT_END': return 500;
      default: return 400;
    }
  }
  // Reader and recognizer errors (DatasetError, LlmarError, ...) carry a string code: they describe bad input.
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? 400 : 500;
}

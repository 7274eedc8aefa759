/** Literal error codes of @llmar/skeleton-datasets. */
export type DatasetErrorCode =
  | 'TRUNCATED'
  | 'FIELD_COUNT'
  | 'NOT_A_NUMBER'
  | 'JOINT_COUNT'
  | 'ZERO_FRAMES'
  | 'BAD_FILENAME'
  | 'BAD_FORMAT'
  | 'UNSUPPORTED_DTYPE'
  | 'PICKLED_ARRAY'
  | 'FORTRAN_ORDER'
  | 'SHAPE_MISMATCH'
  | 'NOT_FOUND'
  | 'BAD_OPTION'
  | 'CACHE_STALE';

/** Where an error was found: the file and, for text formats, the 1-based line. */
export interface DatasetErrorLocation {
  file?: string;
  line?: number;
  /** What the reader expected there. */
  expected?: string;
  /** What it found instead. */
  found?: string;
}

/** The one error class of @llmar/skeleton-datasets: a literal code and a message naming file, line, expected and found. */
export class DatasetError extends Error {
  readonly code: DatasetErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly expected?: string;
  readonly found?: string;
  constructor(code: DatasetErrorCode, message: string, where: DatasetErrorLocation = {}) {
    const loc = where.file ? `${where.file}${where.line !== undefined ? `:${where.line}` : ''}: ` : '';
    const ef = where.expected !== undefined || where.found !== undefined
      ? ` (expected ${where.expected ?? '?'}, found ${where.found ?? '?'})` : '';
    super(`[${code}] ${loc}${message}${ef}`);
    this.name = 'DatasetError';
    this.code = code;
    this.file = where.file;
    this.line = where.line;
    this.expected = where.expected;
    this.found = where.found;
  }
}

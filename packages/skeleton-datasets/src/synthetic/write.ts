/** Writes the synthetic dataset as real NTU RGB+D `.skeleton` files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNtuSkeleton } from '../readers/ntu-writer';
import { generateSyntheticDataset, type SyntheticOptions } from './generate';

/** Options of {@link writeSyntheticDataset}: the generator's options plus the file's line ending. */
export interface SyntheticWriteOptions extends SyntheticOptions {
  /** Line ending of the written files (the released NTU files use CRLF). @default 'crlf' */
  lineEnding?: 'crlf' | 'lf';
}

/**
 * Generates the synthetic dataset and writes one `<id>.skeleton` file per sample into `dir` (created when missing),
 * in the NTU layout, with `writeNtuSkeleton` (values written so they read back to the same float32; all-zero bodies of a
 * frame are not written, as in the real files). Returns the written paths in generation order.
 */
export function writeSyntheticDataset(dir: string, opts: SyntheticWriteOptions = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (const sample of generateSyntheticDataset(opts)) {
    const path = join(dir, `${sample.id}.skeleton`);
    writeFileSync(path, encodeNtuSkeleton(sample, { lineEnding: opts.lineEnding ?? 'crlf' }));
    paths.push(path);
  }
  return paths;
}

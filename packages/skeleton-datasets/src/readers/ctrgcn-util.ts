import { DatasetError } from '../errors';
import { NTU_CLASS_NAMES } from './ntu-classes';
import type { NpyArray } from './npy';

// Internal helpers of the CTR-GCN readers (not exported by the package).

/** Labels from a one-hot [n, classes] or label [n] array. */
export function labelsFrom(y: NpyArray, n: number, file: string, key: string): { labels: Int32Array; classes: number } {
  const labels = new Int32Array(n);
  if (y.shape.length === 2 && y.shape[0] === n) {
    const c = y.shape[1];
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < c; k++) if (y.data[i * c + k] > y.data[i * c + best]) best = k;
      labels[i] = best;
    }
    return { labels, classes: c };
  }
  if (y.shape.length === 1 && y.shape[0] === n) {
    let max = 0;
    for (let i = 0; i < n; i++) {
      const v = y.data[i];
      if (!Number.isInteger(v) || v < 0) throw new DatasetError('BAD_FORMAT', `${key} holds a non-label value`, { file, expected: 'non-negative integers', found: String(v) });
      labels[i] = v;
      max = Math.max(max, v);
    }
    return { labels, classes: max + 1 };
  }
  throw new DatasetError('SHAPE_MISMATCH', `${key} does not match x`, { file, expected: `[${n}, classes] one-hot or [${n}] labels`, found: `[${y.shape.join(', ')}]` });
}

/** NTU class names for a label count: the 60 NTU60 names, or the first max(classes, 60) of the 120. */
export function defaultClassNames(classes: number): string[] {
  return NTU_CLASS_NAMES.slice(0, classes <= 60 ? 60 : Math.min(120, classes));
}

/** Number of frames of a [T, D] block starting at `off` once trailing all-zero frames are removed. */
export function trimmedLength(x: ArrayLike<number>, off: number, T: number, D: number): number {
  let len = T;
  while (len > 0) {
    const o = off + (len - 1) * D;
    for (let k = 0; k < D; k++) if (x[o + k] !== 0) return len;
    len--;
  }
  return 0;
}

import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseNtuSkeleton, parseUavSkeleton, parseToyotaJson, parseNpy, type SkeletonSample } from '@llmar/skeleton-datasets';
import { LlmarError } from './errors';

/**
 * Read one skeleton sequence from a file for recognition: NTU `.skeleton`, UAV-Human `.txt`, Toyota Smarthome `.json`
 * (readers of @llmar/skeleton-datasets), or a `.npy` array [frames, bodies, joints, channels] or [frames, joints, channels].
 */
export function readSequenceFile(file: string, maxBodies = 2): SkeletonSample {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new LlmarError('BAD_INPUT', `cannot read ${file}: ${(e as Error).message}`);
  }
  const ext = extname(file).toLowerCase();
  const meta = { id: basename(file, ext), label: 0, subject: -1, camera: -1, setup: -1, replication: -1 };
  if (ext === '.skeleton') return parseNtuSkeleton(bytes, { file, maxBodies });
  if (ext === '.txt') return parseUavSkeleton(bytes, { file, maxBodies });
  if (ext === '.json') return parseToyotaJson(bytes, { file, maxBodies: 1 });
  if (ext === '.npy') {
    const a = parseNpy(bytes, file);
    const s = a.shape;
    if (s.length !== 3 && s.length !== 4) throw new LlmarError('BAD_INPUT', `${file}: .npy shape [${s}] must be [frames, bodies, joints, channels] or [frames, joints, channels]`);
    const [frames, bodies, joints, channels] = s.length === 4 ? s : [s[0], 1, s[1], s[2]];
    return { ...meta, frames, bodies, joints, channels, data: Float32Array.from(a.data as ArrayLike<number>) };
  }
  throw new LlmarError('BAD_INPUT', `${file}: unknown extension "${ext}" (expected .skeleton, .txt, .json or .npy)`);
}

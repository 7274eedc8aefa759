import type { SkeletonSample } from '../types';
import { parseUavName } from './names';
import { parseNtuSkeleton, type NtuParseOptions } from './ntu';

/** Joint count of UAV-Human skeletons. */
export const UAV_JOINTS = 17;

/** Options of {@link parseUavSkeleton}: those of the NTU reader, with the joint count defaulting to 17. */
export interface UavParseOptions extends Omit<NtuParseOptions, 'names'> {
  /** Class names by 0-based action. @default none */
  classNames?: readonly string[];
}

/**
 * Parses one UAV-Human skeleton `.txt` (the NTU `.skeleton` layout with 17 joints). Metadata come from the file name
 * (`P000S00G10B10H10UC022000LC021000A000R0_08241716`: person, session as `setup`, action 0-based = label, replication).
 */
export function parseUavSkeleton(input: Uint8Array | string, opts: UavParseOptions = {}): SkeletonSample {
  const file = opts.file ?? 'input.txt';
  const m = parseUavName(file);
  const s = parseNtuSkeleton(input, { ...opts, file, joints: opts.joints ?? UAV_JOINTS, names: 'none' });
  return { ...s, id: m.id, label: m.action, labelName: opts.classNames?.[m.action], subject: m.subject, setup: m.setup,
    replication: m.replication, camera: -1 };
}

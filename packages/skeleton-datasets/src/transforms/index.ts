/** Pure, composable skeleton transforms (new samples out, inputs untouched; random ones draw only from the given rng). */
import type { RandomSource, SkeletonSample, Transform } from '../types';

export * from './temporal';
export * from './geometry';
export * from './bodies';
export * from './streams';
export * from './normalize';

/** Chains transforms left to right; they share the one `rng`, so the chain is deterministic by seed. */
export function compose(...transforms: Transform[]): Transform {
  return (sample: SkeletonSample, rng: RandomSource) => transforms.reduce((s, t) => t(s, rng), sample);
}

import { orderBodiesByMotion } from './bodies';
import { alignView, centerOnJoint } from './geometry';
import { dropEmptyFrames, resizeFrames } from './temporal';

/** Options of {@link standardPreprocess}. */
export interface StandardPreprocessOptions {
  /** Output frame count of the final linear resize. @default 64 */
  length?: number;
  /** Bodies kept (most active first), padded with zero bodies to exactly this count. @default 2 */
  maxBodies?: number;
  /** Joint put at the origin (0-based; NTU "middle of the spine"). @default 1 */
  centerJoint?: number;
  /** Also rotate the view (spine to +z, shoulders to +x; needs NTU-like joints and 3 channels). @default false */
  align?: boolean;
}

/**
 * The standard pre-processing of the paper's pipeline (pyskl / CTR-GCN): drop empty frames, order bodies by motion and
 * keep `maxBodies`, centre on the spine joint of the first frame, optionally align the view, resize to `length` frames.
 */
export function standardPreprocess(opts: StandardPreprocessOptions = {}): Transform {
  const steps: Transform[] = [
    dropEmptyFrames(),
    orderBodiesByMotion({ maxBodies: opts.maxBodies ?? 2, padBodies: true }),
    centerOnJoint({ joint: opts.centerJoint ?? 1 }),
  ];
  if (opts.align) steps.push(alignView());
  steps.push(resizeFrames({ length: opts.length ?? 64 }));
  return compose(...steps);
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNtuSkeleton } from '../readers/ntu';
import { Rng } from '../rng';
import { NTU_BONE_PAIRS } from './streams';
import { bodyMotionEnergy } from './bodies';
import { alignView } from './geometry';
import { standardPreprocess } from './index';
import { joint } from './test-helpers';

const FIX = process.env.LLMAR_FIXTURES;
if (!FIX) console.warn('[skeleton-datasets] LLMAR_FIXTURES is unset: the transform tests on real NTU files are skipped');
const FILES = ['S001C001P001R001A001', 'S001C003P008R002A058', 'S002C001P003R001A003', 'S004C002P003R001A017'];

describe.skipIf(!FIX)('transforms on the real NTU fixtures', () => {
  it('standard pre-processing: 64 frames, 2 bodies, centred spine; alignment puts the spine on +z', () => {
    for (const name of FILES) {
      const file = join(FIX!, 'ntu-skeleton', `${name}.skeleton`);
      const raw = parseNtuSkeleton(new Uint8Array(readFileSync(file)), { file });
      const out = standardPreprocess({ length: 64 })(raw, new Rng(0));
      expect([out.frames, out.bodies, out.joints]).toEqual([64, 2, 25]);
      // The first output frame is the first non-empty input frame, so joint 2 (index 1) of the main body is at 0.
      expect(joint(out, 0, 0, 1).every((v) => Math.abs(v) < 1e-6)).toBe(true);
      const e = bodyMotionEnergy(out);
      expect(e[0]).toBeGreaterThanOrEqual(e[1]);
      const up = alignView({ mode: 'upright' })(out, new Rng(0));
      // Reference frame 0: the spine from joint 1 (base, index 0) to the middle (index 1) points to +z.
      const s = joint(up, 0, 0, 1).map((v, k) => v - joint(up, 0, 0, 0)[k]);
      expect(Math.hypot(s[0], s[1]) / Math.hypot(...s)).toBeLessThan(1e-5);
      expect(s[2]).toBeGreaterThan(0);
      // Alignment is a rotation: bone lengths of the main body are unchanged (1e-4 relative).
      for (const [c, p] of NTU_BONE_PAIRS) {
        if (c === p) continue;
        const before = Math.hypot(...joint(out, 10, 0, c - 1).map((v, k) => v - joint(out, 10, 0, p - 1)[k]));
        const after = Math.hypot(...joint(up, 10, 0, c - 1).map((v, k) => v - joint(up, 10, 0, p - 1)[k]));
        if (before > 1e-3) expect(Math.abs(after - before) / before).toBeLessThan(1e-4);
      }
    }
  });
});

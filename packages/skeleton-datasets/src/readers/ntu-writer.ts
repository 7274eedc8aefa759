import { DatasetError } from '../errors';
import type { SkeletonSample } from '../types';
import { NTU_JOINT_FIELDS, type NtuJointField } from './ntu';

/** Options of {@link writeNtuSkeleton}. */
export interface NtuWriteOptions {
  /** Line ending: CRLF as in the released NTU files, or LF. @default 'crlf' */
  lineEnding?: 'crlf' | 'lf';
  /**
   * What each channel of the sample is (must include x, y, z). Fields not given are written as plausible values:
   * depth / colour 2-D positions projected from x, y, z with Kinect v2-like intrinsics, orientations 0, tracking
   * state from `sample.tracking` or 2 (tracked).
   * @default the first `sample.channels` of ['x', 'y', 'z', 'depthX', 'depthY', 'colorX', 'colorY', ...]
   */
  fields?: readonly NtuJointField[];
  /** Body id of slot b (written on the body line). @default (b) => String(72057594037927936n + BigInt(b)) (Kinect-like 64-bit ids) */
  bodyId?: (slot: number) => string;
  /**
   * When to write a body in a frame: `'nonzero'` skips a body whose values are all zero in that frame (readers pad
   * missing bodies with zeros, so this round-trips), `'all'` always writes every slot.
   * @default 'nonzero'
   */
  bodies?: 'nonzero' | 'all';
}

/** Shortest decimal text (6 to 9 significant digits) that reads back to the same float32. */
export function formatFloat32(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (!Number.isFinite(v)) {
    throw new DatasetError('BAD_FORMAT', 'cannot write a non-finite value', { expected: 'a finite number', found: String(v) });
  }
  const f = Math.fround(v);
  for (let p = 6; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return trimZeros(s);
  }
  return trimZeros(f.toPrecision(9));
}

function trimZeros(s: string): string {
  const e = s.search(/e/i);
  const mant = e < 0 ? s : s.slice(0, e);
  const exp = e < 0 ? '' : s.slice(e);
  if (!mant.includes('.')) return s;
  return mant.replace(/0+$/, '').replace(/\.$/, '') + exp;
}

function fmtInt(v: number): string {
  return String(Math.round(v));
}

/**
 * Writes a sample in the exact NTU RGB+D `.skeleton` layout: frame count; per frame the body count, then per body
 * one line of 10 fields (`bodyID clippedEdges handLeftConfidence handLeftState handRightConfidence handRightState
 * isRestricted leanX leanY trackingState`), the joint count (`sample.joints`), and one line of 12 fields per joint
 * (`x y z depthX depthY colorX colorY orientationW orientationX orientationY orientationZ trackingState`).
 * Values are written with the fewest digits that read back to the same float32, so parse(write(s)) equals s.
 */
export function writeNtuSkeleton(sample: SkeletonSample, opts: NtuWriteOptions = {}): string {
  const { frames, bodies, joints, channels: C, data } = sample;
  if (data.length !== frames * bodies * joints * C) {
    throw new DatasetError('SHAPE_MISMATCH', `sample ${sample.id}: data length does not match its shape`, {
      expected: `${frames}*${bodies}*${joints}*${C} = ${frames * bodies * joints * C}`, found: String(data.length) });
  }
  const fields = opts.fields ?? NTU_JOINT_FIELDS.slice(0, C);
  if (fields.length !== C || !['x', 'y', 'z'].every((f) => fields.includes(f as NtuJointField))) {
    throw new DatasetError('BAD_OPTION', `sample ${sample.id}: fields must name all ${C} channels and include x, y, z`, {
      expected: `${C} fields with x, y, z`, found: JSON.stringify(fields) });
  }
  const at = new Int32Array(12).fill(-1);
  fields.forEach((f, c) => { at[NTU_JOINT_FIELDS.indexOf(f)] = c; });
  const nl = (opts.lineEnding ?? 'crlf') === 'crlf' ? '\r\n' : '\n';
  const bodyId = opts.bodyId ?? ((b: number) => String(72057594037927936n + BigInt(b)));
  const all = opts.bodies === 'all';
  const out: string[] = [String(frames)];
  const jc = joints * C;
  const row = new Array<string>(12);
  for (let f = 0; f < frames; f++) {
    const present: number[] = [];
    for (let b = 0; b < bodies; b++) {
      const o = (f * bodies + b) * jc;
      let nz = all;
      for (let k = 0; !nz && k < jc; k++) nz = data[o + k] !== 0;
      if (nz) present.push(b);
    }
    out.push(String(present.length));
    for (const b of present) {
      out.push(`${bodyId(b)} 0 1 1 1 1 0 0 0 2`);
      out.push(String(joints));
      const o = (f * bodies + b) * jc;
      for (let j = 0; j < joints; j++) {
        const v = (k: number): number => (at[k] >= 0 ? data[o + j * C + at[k]] : NaN);
        const x = v(0);
        const y = v(1);
        const z = v(2);
        const proj = (k: number, c0: number, fl: number, num: number, sign: number): string => {
          if (at[k] >= 0) return formatFloat32(v(k));
          return z > 1e-6 ? formatFloat32(c0 + sign * fl * num / z) : '0';
        };
        row[0] = formatFloat32(x);
        row[1] = formatFloat32(y);
        row[2] = formatFloat32(z);
        row[3] = proj(3, 256, 365, x, 1);
        row[4] = proj(4, 212, 365, y, -1);
        row[5] = proj(5, 960, 1081, x, 1);
        row[6] = proj(6, 540, 1081, y, -1);
        for (let k = 7; k < 11; k++) row[k] = at[k] >= 0 ? formatFloat32(v(k)) : '0';
        const tr = at[11] >= 0 ? v(11) : sample.tracking ? sample.tracking[(f * bodies + b) * joints + j] : 2;
        row[11] = fmtInt(tr);
        out.push(row.join(' '));
      }
    }
  }
  return out.join(nl) + nl;
}

/** {@link writeNtuSkeleton} as UTF-8 bytes (ready for `fs.writeFileSync`). */
export function encodeNtuSkeleton(sample: SkeletonSample, opts: NtuWriteOptions = {}): Uint8Array {
  return new TextEncoder().encode(writeNtuSkeleton(sample, opts));
}

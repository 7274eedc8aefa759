/**
 * Test-only helpers (not exported by the package): an independent, deliberately simple reference parser of the
 * `.skeleton` layout (split + Number, no shared code with the fast scanner) and a seeded random sample maker.
 */
import { Rng } from './rng';
import type { SkeletonSample } from './types';

const NUM = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const UINT = /^\d+$/;

/** Frames of bodies ({ id, rows of 12 numbers }) as a plain reference parser reads them; throws on any problem. */
export function referenceParse(text: string): { id: string; joints: number[][] }[][] {
  const lines = text.replace(/[ \t\r\n]+$/, '').split(/\r?\n/).map((l) => l.replace(/^[ \t]+|[ \t]+$/g, ''));
  let k = 0;
  const next = (n: number, kind: 'uint' | 'body' | 'num'): string[] => {
    if (k >= lines.length) throw new Error('truncated');
    const t = lines[k++].split(/[ \t]+/).filter((x) => x !== '');
    if (t.length !== n) throw new Error(`line ${k}: ${t.length} fields, expected ${n}`);
    t.forEach((x, i) => {
      const ok = kind === 'uint' || (kind === 'body' && i === 0) ? UINT.test(x) : NUM.test(x) && Number.isFinite(Number(x));
      if (!ok) throw new Error(`line ${k}: bad token ${x}`);
    });
    return t;
  };
  const frames = Number(next(1, 'uint')[0]);
  if (frames === 0) throw new Error('zero frames');
  let joints = -1;
  const out: { id: string; joints: number[][] }[][] = [];
  for (let f = 0; f < frames; f++) {
    const nb = Number(next(1, 'uint')[0]);
    const bodies: { id: string; joints: number[][] }[] = [];
    for (let b = 0; b < nb; b++) {
      const id = next(10, 'body')[0];
      if (bodies.some((x) => x.id === id)) throw new Error('repeated id');
      const nj = Number(next(1, 'uint')[0]);
      if (nj === 0 || (joints >= 0 && nj !== joints)) throw new Error('joint count');
      joints = nj;
      const rows: number[][] = [];
      for (let j = 0; j < nj; j++) rows.push(next(12, 'num').map(Number));
      bodies.push({ id, joints: rows });
    }
    out.push(bodies);
  }
  if (k !== lines.length) throw new Error('trailing lines');
  return out;
}

/** The sample the reference parse implies with xyz channels and 'first' body selection into `maxBodies` slots. */
export function referenceSample(frames: { id: string; joints: number[][] }[][], maxBodies: number): { joints: number; data: Float32Array } {
  const order: string[] = [];
  let joints = 25;
  for (const fr of frames) for (const b of fr) { if (!order.includes(b.id)) order.push(b.id); joints = b.joints.length; }
  const data = new Float32Array(frames.length * maxBodies * joints * 3);
  frames.forEach((fr, f) => {
    for (const b of fr) {
      const slot = order.indexOf(b.id);
      if (slot >= maxBodies) continue;
      b.joints.forEach((row, j) => { for (let c = 0; c < 3; c++) data[((f * maxBodies + slot) * joints + j) * 3 + c] = row[c]; });
    }
  });
  return { joints, data };
}

/** A seeded random sample with plausible coordinates (bodies present in every frame unless `gaps`). */
export function randomSample(seed: number, o: { frames: number; bodies: number; joints: number; channels?: number; gaps?: boolean; id?: string }): SkeletonSample {
  const rng = new Rng(seed);
  const C = o.channels ?? 3;
  const data = new Float32Array(o.frames * o.bodies * o.joints * C);
  for (let f = 0; f < o.frames; f++) {
    for (let b = 0; b < o.bodies; b++) {
      if (o.gaps && rng.next() < 0.2) continue;
      for (let j = 0; j < o.joints; j++) {
        for (let c = 0; c < C; c++) {
          const base = c === 2 ? 3 + b * 0.5 : (c === 0 ? b - 0.5 : 0);
          data[((f * o.bodies + b) * o.joints + j) * C + c] = base + 0.3 * Math.sin(f * 0.1 + j + c) + (rng.next() - 0.5) * 0.05;
        }
      }
    }
  }
  return { id: o.id ?? 'S001C002P003R002A013', label: 12, subject: 3, camera: 2, setup: 1, replication: 2, frames: o.frames,
    bodies: o.bodies, joints: o.joints, channels: C, data };
}

/** Bitwise equality of two Float32Arrays (distinguishes -0 and 0). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

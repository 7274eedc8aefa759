import { alignView, Rng, type SkeletonSample } from '@llmar/skeleton-datasets';
import { LlmarError } from './errors';

/** Sequences ready for the VQ-VAE: every sample centred, resized to V frames and flattened to D = bodies·joints·channels. */
export interface SequenceSet {
  /** Row-major [N, V, D]. */
  x: Float32Array;
  n: number;
  frames: number;
  dim: number;
  labels: Int32Array;
  subjects: Int32Array;
  cameras: Int32Array;
  setups: Int32Array;
  ids: string[];
  classNames: string[];
  /** Layout of D, for augmentation: bodies × joints × channels. */
  bodies: number;
  joints: number;
  channels: number;
}

/** Options of {@link prepareSequences}. */
export interface PrepareOptions {
  /** Frames V after resizing. @default 64 */
  frames?: number;
  /** Bodies kept (missing ones are zeros). @default 2 */
  maxBodies?: number;
  /** Joint the sequence is centred on (its position in the first frame with a non-zero value). @default 1 (NTU middle of the spine) */
  centreJoint?: number;
  /** Divide coordinates by this (a scale of about 1 suits the SmoothL1 loss). @default 1 */
  scale?: number;
  /**
   * View alignment (pyskl PreNormalize3D, @llmar/skeleton-datasets `alignView` in `upright` mode): rotate every sample so
   * that, at its first frame with body 0, the spine (joint 0 → 1) points to +z and the shoulders (joint 4 → 8) lie in the
   * x-z plane towards +x. Needs 3 channels and at least 9 joints (NTU layout). @default false
   */
  align?: boolean;
}

const ALIGN = alignView({ mode: 'upright' });

/**
 * Standard preprocessing (pyskl / CTR-GCN style, simplified): optional view alignment (a rotation about the origin, so
 * doing it before centring equals doing it after), centre on the spine joint of the first frame, linear
 * crop-free resize to V frames, bodies padded / cut to `maxBodies`, flattened to [V, bodies·joints·channels].
 */
export function prepareSequences(samples: SkeletonSample[], classNames: string[], options: PrepareOptions = {}): SequenceSet {
  const V = options.frames ?? 64;
  const M = options.maxBodies ?? 2;
  const cj = options.centreJoint ?? 1;
  const scale = options.scale ?? 1;
  if (samples.length === 0) throw new LlmarError('BAD_INPUT', 'prepareSequences: no samples');
  if (options.align) {
    const rng = new Rng(0); // alignView is deterministic; the Transform signature just asks for a random source
    samples = samples.map((s) => {
      if (s.channels !== 3 || s.joints < 9) {
        throw new LlmarError('BAD_INPUT', `sample ${s.id}: view alignment needs 3 channels and >= 9 joints, got ${s.channels} channels × ${s.joints} joints`);
      }
      return ALIGN(s, rng);
    });
  }
  const J = samples[0].joints;
  const C = samples[0].channels;
  const D = M * J * C;
  const n = samples.length;
  const x = new Float32Array(n * V * D);
  const labels = new Int32Array(n);
  const subjects = new Int32Array(n);
  const cameras = new Int32Array(n);
  const setups = new Int32Array(n);
  const ids: string[] = [];
  samples.forEach((s, i) => {
    if (s.joints !== J || s.channels !== C) {
      throw new LlmarError('SHAPE_MISMATCH', `sample ${s.id}: ${s.joints} joints × ${s.channels} channels, expected ${J} × ${C} like the first sample`);
    }
    if (s.frames < 1) throw new LlmarError('BAD_INPUT', `sample ${s.id} has no frames`);
    labels[i] = s.label;
    subjects[i] = s.subject;
    cameras[i] = s.camera;
    setups[i] = s.setup;
    ids.push(s.id);
    const per = s.bodies * J * C;
    const origin = [0, 0, 0];
    const cjj = Math.min(cj, J - 1);
    for (let f = 0; f < s.frames; f++) {
      const o = f * per + cjj * C;
      let nz = false;
      for (let c = 0; c < C; c++) nz ||= s.data[o + c] !== 0;
      if (nz) {
        for (let c = 0; c < C; c++) origin[c] = s.data[o + c];
        break;
      }
    }
    const bodies = Math.min(M, s.bodies);
    for (let t = 0; t < V; t++) {
      const pos = V === 1 ? 0 : (t * (s.frames - 1)) / (V - 1);
      const f0 = Math.floor(pos);
      const f1 = Math.min(f0 + 1, s.frames - 1);
      const w = pos - f0;
      const dst = (i * V + t) * D;
      for (let b = 0; b < bodies; b++) {
        for (let j = 0; j < J; j++) {
          const a0 = f0 * per + (b * J + j) * C;
          const a1 = f1 * per + (b * J + j) * C;
          for (let c = 0; c < C; c++) {
            const v0 = s.data[a0 + c];
            const v1 = s.data[a1 + c];
            // missing joints (exact zeros) stay zero rather than being pulled towards the origin offset
            const v = v0 === 0 && v1 === 0 ? 0 : ((1 - w) * v0 + w * v1 - (origin[c] ?? 0)) / scale;
            x[dst + (b * J + j) * C + c] = v;
          }
        }
      }
    }
  });
  return { x, n, frames: V, dim: D, labels, subjects, cameras, setups, ids, classNames, bodies: M, joints: J, channels: C };
}

/** The sub-set of rows `idx`. */
export function subset(s: SequenceSet, idx: ArrayLike<number>): SequenceSet {
  const per = s.frames * s.dim;
  const x = new Float32Array(idx.length * per);
  const pick = <T extends Int32Array>(a: T) => Int32Array.from(Array.from(idx, (i) => a[i]));
  for (let k = 0; k < idx.length; k++) x.set(s.x.subarray(idx[k] * per, (idx[k] + 1) * per), k * per);
  return {
    ...s, x, n: idx.length, labels: pick(s.labels), subjects: pick(s.subjects), cameras: pick(s.cameras), setups: pick(s.setups),
    ids: Array.from(idx, (i) => s.ids[i]),
  };
}

/** Random augmentation of prepared sequences (all off by default). */
export interface AugmentOptions {
  /** Rotation about the vertical (y) axis, max degrees. @default 0 */
  rotateDegrees?: number;
  /** Uniform scale factor drawn from [1 − s, 1 + s]. @default 0 */
  scale?: number;
  /** Random temporal crop keeping at least (1 − crop) of the frames, resized back to V (linear). @default 0 */
  crop?: number;
}

/** Whether any augmentation is on. */
export function augments(a?: AugmentOptions): boolean {
  return !!a && ((a.rotateDegrees ?? 0) > 0 || (a.scale ?? 0) > 0 || (a.crop ?? 0) > 0);
}

/** Augment one [V, D] row into `out` (xyz triples; other channel counts only get scale and crop). */
function augmentRow(src: Float32Array, out: Float32Array, o: number, V: number, D: number, channels: number, a: AugmentOptions, next: () => number): void {
  const crop = a.crop ?? 0;
  const keep = crop > 0 ? 1 - crop * next() : 1;
  const start = (1 - keep) * next() * (V - 1);
  const len = keep * (V - 1);
  const ang = ((2 * next() - 1) * (a.rotateDegrees ?? 0) * Math.PI) / 180;
  const sc = 1 + (2 * next() - 1) * (a.scale ?? 0);
  const cos = Math.cos(ang) * sc;
  const sin = Math.sin(ang) * sc;
  for (let t = 0; t < V; t++) {
    const pos = start + (V === 1 ? 0 : (t * len) / (V - 1));
    const f0 = Math.min(Math.floor(pos), V - 1);
    const f1 = Math.min(f0 + 1, V - 1);
    const w = pos - f0;
    const dst = o + t * D;
    for (let k = 0; k < D; k++) out[dst + k] = (1 - w) * src[f0 * D + k] + w * src[f1 * D + k];
    if (channels === 3) {
      for (let k = 0; k + 2 < D; k += 3) {
        const xx = out[dst + k];
        const zz = out[dst + k + 2];
        out[dst + k] = cos * xx + sin * zz;
        out[dst + k + 1] *= sc;
        out[dst + k + 2] = -sin * xx + cos * zz;
      }
    } else for (let k = 0; k < D; k++) out[dst + k] *= sc;
  }
}

/** Rows `idx` of x as one [B, V, D] Float32Array, augmented when `augment` is given (random numbers from `next`). */
export function gatherBatch(s: SequenceSet, idx: ArrayLike<number>, augment?: AugmentOptions & { next: () => number }): Float32Array {
  const per = s.frames * s.dim;
  const out = new Float32Array(idx.length * per);
  for (let k = 0; k < idx.length; k++) {
    const src = s.x.subarray(idx[k] * per, (idx[k] + 1) * per);
    if (!augment || !augments(augment)) out.set(src, k * per);
    else augmentRow(src, out, k * per, s.frames, s.dim, s.channels, augment, augment.next);
  }
  return out;
}

/** The set followed by `copies` augmented copies of every row (labels and metadata repeated). */
export function augmentSet(s: SequenceSet, copies: number, a: AugmentOptions, next: () => number): SequenceSet {
  if (copies <= 0 || !augments(a)) return s;
  const idx = Array.from({ length: s.n * (copies + 1) }, (_, i) => i % s.n);
  const base = subset(s, idx);
  const per = s.frames * s.dim;
  const aug = gatherBatch(s, idx.slice(s.n), { ...a, next });
  base.x.set(aug, s.n * per);
  return base;
}

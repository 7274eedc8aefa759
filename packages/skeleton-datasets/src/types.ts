/**
 * The one in-memory sample type every reader funnels into, and the packed dataset that holds many of them in a few
 * large typed arrays (no object per frame).
 */

/** Metadata of one sample. Ids are 1-based as in the datasets' file names; -1 when the dataset has no such field. */
export interface SampleMeta {
  /** A unique id, e.g. the file stem `S001C001P001R001A001`. */
  id: string;
  /** 0-based class index. */
  label: number;
  /** Human-readable class name, when known (e.g. `drink water`). */
  labelName?: string;
  subject: number;
  camera: number;
  setup: number;
  replication: number;
}

/** One skeleton sequence. `joints` is a dense Float32Array laid out as [frames, bodies, joints, channels]. */
export interface SkeletonSample extends SampleMeta {
  frames: number;
  bodies: number;
  joints: number;
  channels: number;
  /** Row-major [frames, bodies, joints, channels]; missing bodies or joints are zeros. */
  data: Float32Array;
  /** Optional per-joint tracking state [frames, bodies, joints] (0 not tracked, 1 inferred, 2 tracked). */
  tracking?: Uint8Array;
}

/**
 * Many samples packed into one Float32Array (concatenated `data` of every sample) plus per-sample columns.
 * Sample i's data is `data.subarray(offsets[i], offsets[i] + frames[i] * bodies * joints * channels)`.
 * All samples of a dataset share `bodies`, `joints` and `channels` (readers pad bodies with zeros).
 */
export interface PackedDataset {
  bodies: number;
  joints: number;
  channels: number;
  /** Class names by index (may be shorter than the highest label + 1 when names are unknown). */
  classNames: string[];
  ids: string[];
  labels: Int32Array;
  subjects: Int32Array;
  cameras: Int32Array;
  setups: Int32Array;
  replications: Int32Array;
  frames: Int32Array;
  /** Element offset of each sample in `data` (length n + 1; the last entry is data.length). */
  offsets: Float64Array;
  data: Float32Array;
}

/** A source of uniform numbers in [0, 1); `Rng` of this package implements it. */
export interface RandomSource {
  next(): number;
}

/** A pure, composable sample transform; random ones draw only from `rng` (deterministic by seed). */
export type Transform = (sample: SkeletonSample, rng: RandomSource) => SkeletonSample;

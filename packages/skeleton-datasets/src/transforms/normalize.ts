/** Dataset normalisation statistics (per-channel mean and standard deviation) and the normalise transform. */
import type { PackedDataset, SkeletonSample, Transform } from '../types';
import { badOption, checkSample, isMissing, withData } from './util';

/** Per-channel statistics of a dataset. */
export interface ChannelStats {
  mean: Float64Array;
  /** Population standard deviation. */
  std: Float64Array;
  /** Number of joint positions counted. */
  count: number;
}

/** Options of {@link computeChannelStats}. */
export interface StatsOptions {
  /** Count missing joints (all channels zero) as zeros instead of skipping them. @default false */
  includeMissing?: boolean;
}

function accumulate(data: Float32Array, C: number, sum: Float64Array, sq: Float64Array, includeMissing: boolean): number {
  let n = 0;
  for (let o = 0; o + C <= data.length; o += C) {
    if (!includeMissing && isMissing(data, o, C)) continue;
    for (let c = 0; c < C; c++) {
      sum[c] += data[o + c];
      sq[c] += data[o + c] * data[o + c];
    }
    n++;
  }
  return n;
}

const isPacked = (x: PackedDataset | readonly SkeletonSample[]): x is PackedDataset => !Array.isArray(x);

/**
 * Per-channel mean and standard deviation over every joint position of a PackedDataset or a list of samples
 * (all with the same channel count), accumulated in float64.
 */
export function computeChannelStats(source: PackedDataset | readonly SkeletonSample[], opts: StatsOptions = {}): ChannelStats {
  const includeMissing = opts.includeMissing ?? false;
  let C: number;
  let sum: Float64Array;
  let sq: Float64Array;
  let count = 0;
  if (isPacked(source)) {
    C = source.channels;
    sum = new Float64Array(C);
    sq = new Float64Array(C);
    count = accumulate(source.data, C, sum, sq, includeMissing);
  } else {
    if (source.length === 0) throw badOption('source', '[]', 'at least one sample');
    C = source[0].channels;
    sum = new Float64Array(C);
    sq = new Float64Array(C);
    for (const s of source) {
      checkSample(s);
      if (s.channels !== C) throw badOption(`channels of "${s.id}"`, s.channels, `${C} like the first sample`);
      count += accumulate(s.data, C, sum, sq, includeMissing);
    }
  }
  const mean = new Float64Array(C);
  const std = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    mean[c] = count > 0 ? sum[c] / count : 0;
    std[c] = count > 0 ? Math.sqrt(Math.max(0, sq[c] / count - mean[c] * mean[c])) : 0;
  }
  return { mean, std, count };
}

/** Options of {@link normalizeChannels}. */
export interface NormalizeOptions {
  /** Added to the standard deviation before dividing. @default 1e-6 */
  eps?: number;
}

/** (x − mean) / (std + eps) per channel for every present joint; missing joints stay zero. */
export function normalizeChannels(stats: Pick<ChannelStats, 'mean' | 'std'>, opts: NormalizeOptions = {}): Transform {
  const eps = opts.eps ?? 1e-6;
  return (sample) => {
    checkSample(sample);
    const C = sample.channels;
    if (stats.mean.length !== C || stats.std.length !== C) throw badOption(`stats for "${sample.id}"`, stats.mean.length, `${C} channels`);
    const data = new Float32Array(sample.data.length);
    for (let o = 0; o < data.length; o += C) {
      if (isMissing(sample.data, o, C)) continue;
      for (let c = 0; c < C; c++) data[o + c] = (sample.data[o + c] - stats.mean[c]) / (stats.std[c] + eps);
    }
    return withData(sample, data, {}, sample.tracking);
  };
}

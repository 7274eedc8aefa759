import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  NTU_BONE_PAIRS, SYNTHETIC_CLASS_NAMES, generateSyntheticDataset, pack, parseNtuSkeleton, parseToyotaJson, parseUavSkeleton,
  readGeneric, scanNtu, scanToyota, scanUav, standardPreprocess, unpackSample, Rng,
  type PackedDataset, type SkeletonSample,
} from '@llmar/skeleton-datasets';
import { ViewerError } from './errors';
import type { SampleSummary, SampleView, SequenceView } from './types';

/** Reader names accepted by `--dataset`. */
export const DATASET_READERS = ['synthetic', 'ntu60', 'ntu120', 'uav', 'toyota', 'generic'] as const;
export type DatasetReader = (typeof DATASET_READERS)[number];

/** A loaded dataset: the packed samples, their class names and what the scan skipped. */
export interface LoadedDataset {
  reader: DatasetReader;
  dataDir: string | null;
  packed: PackedDataset;
  skipped: { file: string; reason: string }[];
}

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions {
  /** Dataset folder; without it a small synthetic set is generated in memory. @default none */
  dataDir?: string;
  /** Reader. @default 'synthetic' */
  dataset?: string;
  /** Size of the in-memory synthetic set: subjects × 14 classes samples. @default 2 */
  syntheticSubjects?: number;
}

/**
 * Loads the samples to browse: any reader of @llmar/skeleton-datasets over `dataDir`, or, without a folder, a small
 * synthetic set generated in memory (seed 0, one camera, one repetition).
 */
export function loadDataset(opts: LoadDatasetOptions = {}): LoadedDataset {
  const reader = (opts.dataset ?? 'synthetic') as DatasetReader;
  if (!(DATASET_READERS as readonly string[]).includes(reader)) {
    throw new ViewerError('BAD_OPTION', `--dataset must be one of ${DATASET_READERS.join(', ')}, got "${opts.dataset}"`);
  }
  const dir = opts.dataDir ?? null;
  if (!dir) {
    if (reader !== 'synthetic') throw new ViewerError('BAD_OPTION', `--dataset ${reader} needs --data-dir`);
    const samples = generateSyntheticDataset({ seed: 0, subjects: opts.syntheticSubjects ?? 2, cameras: 1, repetitions: 1 });
    return { reader, dataDir: null, packed: pack(samples, { classNames: [...SYNTHETIC_CLASS_NAMES] }), skipped: [] };
  }
  const fromScan = (r: { dataset: PackedDataset; report: { skipped: { file: string; reason: string }[] } }): LoadedDataset =>
    ({ reader, dataDir: dir, packed: r.dataset, skipped: r.report.skipped.map((s) => ({ file: s.file, reason: s.reason })) });
  switch (reader) {
    case 'synthetic': {
      // Synthetic sets on disk are NTU-named `.skeleton` files (writeSyntheticDataset) with the synthetic class names.
      const r = fromScan(scanNtu(dir, { dataset: 'ntu120' }));
      r.packed.classNames = [...SYNTHETIC_CLASS_NAMES];
      return r;
    }
    case 'ntu60':
    case 'ntu120':
      return fromScan(scanNtu(dir, { dataset: reader }));
    case 'uav':
      return fromScan(scanUav(dir));
    case 'toyota':
      return fromScan(scanToyota(dir));
    case 'generic':
      return { reader, dataDir: dir, packed: readGeneric(dir), skipped: [] };
  }
}

/** Largest upload accepted (bytes, all files together). */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/** A file handed to the viewer (dropped onto the page, or opened from the data folder). */
export interface InputFile {
  name: string;
  bytes: Uint8Array;
}

const GENERIC_FILES = ['meta.json', 'index.jsonl', 'data.f32'];

/**
 * Parses dropped files into samples with the matching reader: `.skeleton` (NTU; metadata from the name when it is
 * an NTU name), `.txt` (UAV-Human), `.json` (Toyota Smarthome), or the three files of the generic format together.
 * Reader errors (DatasetError) propagate with their message. Samples without a class name get `classNames[label]`;
 * `overrideNames` puts those names over the reader's own (synthetic sets are NTU-named files with other classes).
 */
export function parseFiles(files: InputFile[], classNames: string[] = [], overrideNames = false): SkeletonSample[] {
  const named = (s: SkeletonSample, names: string[]) => withName(s, names, overrideNames);
  if (files.length === 0) throw new ViewerError('BAD_REQUEST', 'no file given');
  const names = files.map((f) => basename(f.name));
  if (GENERIC_FILES.every((g) => names.includes(g))) {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-view-'));
    try {
      for (const g of GENERIC_FILES) writeFileSync(join(dir, g), files[names.indexOf(g)].bytes);
      const ds = readGeneric(dir);
      return Array.from({ length: ds.ids.length }, (_, i) => named(unpackSample(ds, i, true), ds.classNames));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (files.length > 1) {
    throw new ViewerError('UNSUPPORTED_FILE', `several files (${names.join(', ')}): drop one sample file, or the generic format's ${GENERIC_FILES.join(' + ')} together`);
  }
  const { name, bytes } = files[0];
  const lower = name.toLowerCase();
  const base = basename(name);
  if (lower.endsWith('.skeleton')) {
    const ntuNamed = /S\d{3}C\d{3}P\d{3}R\d{3}A\d{3}/.test(base);
    return [named(parseNtuSkeleton(bytes, { file: base, names: ntuNamed ? 'ntu' : 'none' }), classNames)];
  }
  if (lower.endsWith('.txt')) return [named(parseUavSkeleton(bytes, { file: base }), classNames)];
  if (lower.endsWith('.json')) return [named(parseToyotaJson(bytes, { file: base }), classNames)];
  throw new ViewerError('UNSUPPORTED_FILE', `"${base}" is not a file the viewer reads (.skeleton, UAV .txt, Toyota .json, or generic ${GENERIC_FILES.join(' + ')})`);
}

function withName(s: SkeletonSample, classNames: string[], override: boolean): SkeletonSample {
  if ((override || !s.labelName) && s.label >= 0 && classNames[s.label]) s.labelName = classNames[s.label];
  return s;
}

/** The sample's row in the list. */
export function summarize(key: string, s: SkeletonSample): SampleSummary {
  return { key, id: s.id, label: s.label, labelName: s.labelName, frames: s.frames, bodies: s.bodies, joints: s.joints };
}

/** The 0-based bones of a joint count: NTU RGB+D's 24 bones for 25 joints, none (dots only) otherwise. */
export function bonesFor(joints: number): { name: string; bones: [number, number][] } {
  if (joints === 25) {
    return { name: 'NTU RGB+D (25 joints)', bones: NTU_BONE_PAIRS.filter(([a, b]) => a !== b).map(([a, b]) => [a - 1, b - 1] as [number, number]) };
  }
  return { name: `unknown topology (${joints} joints): joints drawn as dots`, bones: [] };
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** [frames, bodies, joints, channels] → [frames, bodies, joints, 3] numbers (missing channels are 0). */
export function toSequenceView(s: SkeletonSample, up: 'y' | 'z', note: string): SequenceView {
  const { frames: T, bodies: M, joints: J, channels: C } = s;
  const n = T * M * J;
  const data = new Array<number>(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) data[i * 3 + c] = c < C ? round4(s.data[i * C + c]) : 0;
  }
  return { frames: T, bodies: M, joints: J, up, data, note };
}

/** Frames of the preprocessed view when the recognizer does not say how many frames its model reads. */
export const PREPARED_FRAMES = 64;

/**
 * The sample as the page draws it: raw, and preprocessed like the paper's pipeline (drop empty frames, order bodies by
 * motion, centre on the spine, align the view for NTU-like 3-D data unless `align` is false, resize to `frames`, default 64).
 */
export function sampleView(key: string, s: SkeletonSample, opts: { frames?: number; align?: boolean } = {}): SampleView {
  const topo = bonesFor(s.joints);
  const length = opts.frames ?? PREPARED_FRAMES;
  const align = (opts.align ?? true) && s.joints === 25 && s.channels === 3;
  let prepared: SequenceView | null = null;
  let preparedError: string | undefined;
  try {
    const p = standardPreprocess({ length, maxBodies: Math.max(1, s.bodies), align })(s, new Rng(0));
    const note = `empty frames dropped, bodies ordered by motion, centred on joint 2${align ? ', view aligned (spine → +z, shoulders → +x)' : ''}, resized to ${length} frames`;
    prepared = toSequenceView(p, align ? 'z' : 'y', note);
  } catch (e) {
    preparedError = (e as Error).message;
  }
  return {
    ...summarize(key, s), bones: topo.bones, topology: topo.name,
    raw: toSequenceView(s, 'y', `as read: ${s.frames} frames, ${s.bodies} bodies, ${s.joints} joints, ${s.channels} channels`),
    prepared, preparedError,
  };
}

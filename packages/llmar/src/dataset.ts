import * as sd from '@llmar/skeleton-datasets';
import { existsSync, readFileSync } from 'node:fs';
import type { SkeletonSample } from '@llmar/skeleton-datasets';
import type { RunConfig } from './config';
import { prepareSequences, subset, type SequenceSet } from './data';
import { LlmarError } from './errors';

/** A dataset split into training and test sequences. */
export interface SplitData {
  all: SequenceSet;
  train: SequenceSet;
  test: SequenceSet;
  classNames: string[];
  /** Where the samples came from (one line). */
  description: string;
  /** Samples a reader skipped, with reasons. */
  skipped: string[];
}

/** Read the raw samples of the configured dataset. */
export function loadSamples(c: RunConfig): { samples: SkeletonSample[]; classNames: string[]; description: string; skipped: string[]; testFrom: number } {
  const d = c.data;
  if (d.dataset === 'synthetic') {
    const s = d.synthetic;
    for (const n of s.names) {
      if (!sd.SYNTHETIC_CLASS_NAMES.includes(n)) {
        throw new LlmarError('BAD_CONFIG', `config field "data.synthetic.names" has "${n}", not one of ${sd.SYNTHETIC_CLASS_NAMES.join(', ')}`);
      }
    }
    const classes = s.names.length ? s.names : s.classes;
    const samples = sd.generateSyntheticDataset({ seed: c.seed, subjects: s.subjects, cameras: s.cameras, repetitions: s.repetitions, classes });
    const classNames = s.names.length ? [...s.names] : sd.SYNTHETIC_CLASS_NAMES.slice(0, s.classes);
    return { samples, classNames, skipped: [], testFrom: -1, description: `synthetic: ${samples.length} samples, ${classNames.length} actions, ${s.subjects} subjects × ${s.cameras} cameras × ${s.repetitions} repetitions` };
  }
  if (!d.dataDir) throw new LlmarError('BAD_CONFIG', `config field "data.dataDir" must name the ${d.dataset} data (use --data-dir)`);
  return readDataset(d.dataset, d.dataDir, d.maxBodies);
}

function fromPacked(ds: sd.PackedDataset): SkeletonSample[] {
  return Array.from({ length: ds.labels.length }, (_, i) => sd.unpackSample(ds, i, true));
}

function readDataset(kind: RunConfig['data']['dataset'], dir: string, maxBodies: number) {
  if (!existsSync(dir)) throw new LlmarError('BAD_INPUT', `data directory ${dir} does not exist (--data-dir)`);
  let ds: sd.PackedDataset;
  let skipped: string[] = [];
  let testFrom = -1;
  if (kind === 'ntu60' || kind === 'ntu120' || kind === 'uav' || kind === 'toyota') {
    const r = kind === 'uav' ? sd.scanUav(dir, { maxBodies }) : kind === 'toyota' ? sd.scanToyota(dir, { maxBodies: 1 }) : sd.scanNtu(dir, { dataset: kind, maxBodies });
    ds = r.dataset;
    skipped = r.report.skipped.map((s) => `${s.file}: ${s.reason}`);
  } else if (kind === 'generic') {
    ds = sd.readGeneric(dir);
  } else {
    // a CTR-GCN archive carries its own split: training samples first, then test samples
    const r = sd.readCtrGcnNpz(readFileSync(dir), { file: dir });
    skipped = [...r.train.skipped, ...r.test.skipped].map((s) => `sample ${s.index}: ${s.reason}`);
    const train = fromPacked(r.train.dataset);
    const test = fromPacked(r.test.dataset);
    testFrom = train.length;
    const names = r.train.dataset.classNames.length ? r.train.dataset.classNames : r.test.dataset.classNames;
    return finish([...train, ...test], names, kind, dir, skipped, testFrom);
  }
  return finish(fromPacked(ds), ds.classNames, kind, dir, skipped, testFrom);
}

function finish(samples: SkeletonSample[], names: readonly string[], kind: string, dir: string, skipped: string[], testFrom: number) {
  if (!samples.length) throw new LlmarError('BAD_INPUT', `no samples were read from ${dir} (${kind})${skipped.length ? `; skipped: ${skipped.slice(0, 3).join('; ')}` : ''}`);
  const maxLabel = samples.reduce((m, s) => Math.max(m, s.label), 0);
  // every class of the dataset's list (NTU60: 60) even when the files at hand hold fewer, so that a run on part of the
  // data still scores every class name
  const classNames = Array.from({ length: Math.max(maxLabel + 1, names.length) }, (_, i) => names[i] ?? samples.find((s) => s.label === i)?.labelName ?? `action ${i + 1}`);
  return { samples, classNames, skipped, testFrom, description: `${kind} from ${dir}: ${samples.length} samples, ${classNames.length} classes${skipped.length ? `, ${skipped.length} skipped` : ''}` };
}

/** Load, preprocess and split the configured dataset. */
export function loadSplitData(c: RunConfig): SplitData {
  const { samples, classNames, description, skipped, testFrom } = loadSamples(c);
  const all = prepareSequences(samples, classNames, { frames: c.data.frames, maxBodies: c.data.maxBodies, scale: c.data.scale, align: c.data.align === true });
  let train: number[];
  let test: number[];
  let names = classNames;
  if (testFrom >= 0) {
    train = Array.from({ length: testFrom }, (_, i) => i);
    test = Array.from({ length: all.n - testFrom }, (_, i) => testFrom + i);
  } else if (c.data.protocol === 'xsub' || c.data.protocol === 'xview') {
    // generic rules: xsub tests on every third subject id, xview on camera 1 (the synthetic set's protocols)
    const rule = sd.syntheticProtocol(c.data.protocol, { subjects: Math.max(...all.subjects), cameras: Math.max(...all.cameras) });
    const r = sd.customSplit({ subjects: all.subjects, cameras: all.cameras, setups: all.setups, labels: all.labels }, rule);
    train = Array.from(r.train);
    test = Array.from(r.test);
  } else {
    const protos = Object.keys(sd.PROTOCOLS);
    if (!protos.includes(c.data.protocol)) {
      throw new LlmarError('BAD_CONFIG', `config field "data.protocol" must be one of xsub, xview, ${protos.join(', ')}; got "${c.data.protocol}"`);
    }
    const r = sd.splitByProtocol({ subjects: all.subjects, cameras: all.cameras, setups: all.setups, labels: all.labels, classNames }, c.data.protocol as sd.ProtocolName);
    train = Array.from(r.train);
    test = Array.from(r.test);
    if (r.labelMap && r.classNames) {
      for (let i = 0; i < all.n; i++) all.labels[i] = r.labelMap[all.labels[i]] ?? -1;
      names = r.classNames;
      all.classNames = names;
    }
  }
  if (c.data.maxTrainSamples > 0 && train.length > c.data.maxTrainSamples) train = train.slice(0, c.data.maxTrainSamples);
  if (!train.length || !test.length) throw new LlmarError('BAD_INPUT', `protocol ${c.data.protocol} leaves ${train.length} training and ${test.length} test samples`);
  return { all, train: subset(all, train), test: subset(all, test), classNames: names, description, skipped };
}

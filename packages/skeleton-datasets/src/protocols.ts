/**
 * Evaluation protocols (train/test splits by subject, camera or setup) of the skeleton datasets, a custom split and
 * the held-out-class split of the unseen-class experiment. Every id list lives in exactly one place below, with its
 * source. Splits return sample indices (Int32Array, ascending).
 */
import { DatasetError } from './errors';
import { Rng } from './rng';
import type { SampleMeta } from './types';

/** Which metadata column a split rule reads. */
export type SplitField = 'subject' | 'camera' | 'setup';

/** A split rule: samples whose `field` is in `train` go to training; to testing when in `test` (default: every other id). */
export interface SplitRule {
  field: SplitField;
  train: readonly number[];
  /** Ids of the test group; when omitted every id not in `train` is a test id. @default all other ids */
  test?: readonly number[];
}

/** Per-sample metadata a split reads: the columns of a PackedDataset (or plain arrays of the same length). */
export interface SplitMeta {
  subjects: ArrayLike<number>;
  cameras: ArrayLike<number>;
  setups: ArrayLike<number>;
  labels: ArrayLike<number>;
  /** Class names by label index; needed by protocols that keep a subset of classes (Toyota CV1/CV2). */
  classNames?: readonly string[];
}

/** Sample indices of each side; for class-subset protocols also the label remapping. */
export interface SplitResult {
  train: Int32Array;
  test: Int32Array;
  /** For class-subset protocols: old label → new label (0..k-1), or -1 when the class is not part of the protocol. */
  labelMap?: Int32Array;
  /** For class-subset protocols: the kept class names in new-label order. */
  classNames?: string[];
}

/** Names of the built-in protocols. */
export type ProtocolName =
  | 'ntu60-xsub'
  | 'ntu60-xview'
  | 'ntu120-xsub'
  | 'ntu120-xset'
  | 'uav-csv1'
  | 'uav-csv2'
  | 'toyota-cs'
  | 'toyota-cv1'
  | 'toyota-cv2';

/** A built-in protocol: its rule, optional class subset, and where the lists come from. */
export interface ProtocolSpec {
  name: ProtocolName;
  description: string;
  source: string;
  rule: SplitRule;
  /** Only samples of these classes (matched by name against `classNames`) take part; labels are remapped in this order. */
  classSubset?: readonly string[];
}

const range = (lo: number, hi: number, step = 1): number[] => {
  const out: number[] = [];
  for (let i = lo; i <= hi; i += step) out.push(i);
  return out;
};

/** NTU RGB+D 60 cross-subject training performers (Shahroudy et al., CVPR 2016, sec. 4.1; 1-based `Pppp`). */
export const NTU60_XSUB_TRAIN_SUBJECTS: readonly number[] = [
  1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38,
];

/** NTU RGB+D 120 cross-subject training performers (Liu et al., TPAMI 2019, sec. 5.1; 1-based `Pppp`). */
export const NTU120_XSUB_TRAIN_SUBJECTS: readonly number[] = [
  ...NTU60_XSUB_TRAIN_SUBJECTS, 45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85,
  86, 89, 91, 92, 93, 94, 95, 97, 98, 100, 103,
];

/**
 * UAV-Human cross-subject-v1 training subjects, as listed in the official repository README
 * (github.com/SUTDCV/UAV-Human, "Action Recognition Evaluation Protocols"). The ids are the dataset's own person ids
 * (`P000`..`P118`, 0-based as written in the file names); the remaining subjects are for testing.
 */
export const UAV_CSV1_TRAIN_SUBJECTS: readonly number[] = [
  0, 2, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 25, 26, 27, 28, 29, 30, 32, 33, 34, 35, 36, 37, 38,
  39, 40, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 56, 57, 59, 61, 62, 63, 64, 65, 67, 68, 69, 70, 71, 73,
  76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 98, 100, 102, 103, 105, 106, 110, 111, 112, 114, 115, 116,
  117, 118,
];

/** UAV-Human cross-subject-v2 training subjects (same source and id convention as {@link UAV_CSV1_TRAIN_SUBJECTS}). */
export const UAV_CSV2_TRAIN_SUBJECTS: readonly number[] = [
  0, 3, 4, 5, 6, 8, 10, 11, 12, 14, 16, 18, 19, 20, 21, 22, 24, 26, 29, 30, 31, 32, 35, 36, 37, 38, 39, 40, 43, 44, 45,
  46, 47, 49, 52, 54, 56, 57, 59, 60, 61, 62, 63, 64, 66, 67, 69, 70, 71, 72, 73, 74, 75, 77, 78, 79, 80, 81, 83, 84, 86,
  87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 99, 100, 101, 102, 103, 104, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115,
  117, 118,
];

/** Toyota Smarthome cross-subject training subjects (Das et al., ICCV 2019; `pNN` in the file names). */
export const TOYOTA_CS_TRAIN_SUBJECTS: readonly number[] = [3, 4, 6, 7, 9, 12, 13, 15, 17, 19, 25];

/** Toyota Smarthome: the 31 activity classes of the cross-subject protocol (dataset spelling, alphabetical order). */
export const TOYOTA_CS_CLASSES: readonly string[] = [
  'Cook.Cleandishes', 'Cook.Cleanup', 'Cook.Cut', 'Cook.Stir', 'Cook.Usestove', 'Cutbread', 'Drink.Frombottle',
  'Drink.Fromcan', 'Drink.Fromcup', 'Drink.Fromglass', 'Eat.Attable', 'Eat.Snack', 'Enter', 'Getup', 'Laydown', 'Leave',
  'Makecoffee.Pourgrains', 'Makecoffee.Pourwater', 'Maketea.Boilwater', 'Maketea.Insertteabag', 'Pour.Frombottle',
  'Pour.Fromcan', 'Pour.Fromkettle', 'Readbook', 'Sitdown', 'Takepills', 'Uselaptop', 'Usetablet', 'Usetelephone',
  'Walk', 'WatchTV',
];

/**
 * Toyota Smarthome: the 19 activities of the cross-view protocols (the classes seen from cameras 1, 2 and the CV2
 * training cameras), in the label order used by public Toyota Smarthome skeleton pipelines (e.g. the `labels_cv` /
 * `action_cv` tables of several open-source loaders, which agree on this list).
 */
export const TOYOTA_CV_CLASSES: readonly string[] = [
  'Cutbread', 'Drink.Frombottle', 'Drink.Fromcan', 'Drink.Fromcup', 'Drink.Fromglass', 'Eat.Attable', 'Eat.Snack',
  'Enter', 'Getup', 'Leave', 'Pour.Frombottle', 'Pour.Fromcan', 'Readbook', 'Sitdown', 'Takepills', 'Uselaptop',
  'Usetablet', 'Usetelephone', 'Walk',
];

/** Every built-in protocol, keyed by name. */
export const PROTOCOLS: Readonly<Record<ProtocolName, ProtocolSpec>> = {
  'ntu60-xsub': {
    name: 'ntu60-xsub', description: 'NTU RGB+D 60 cross-subject', source: 'Shahroudy et al., CVPR 2016',
    rule: { field: 'subject', train: NTU60_XSUB_TRAIN_SUBJECTS },
  },
  'ntu60-xview': {
    name: 'ntu60-xview', description: 'NTU RGB+D 60 cross-view: train cameras 2, 3; test camera 1',
    source: 'Shahroudy et al., CVPR 2016', rule: { field: 'camera', train: [2, 3], test: [1] },
  },
  'ntu120-xsub': {
    name: 'ntu120-xsub', description: 'NTU RGB+D 120 cross-subject', source: 'Liu et al., TPAMI 2019',
    rule: { field: 'subject', train: NTU120_XSUB_TRAIN_SUBJECTS },
  },
  'ntu120-xset': {
    name: 'ntu120-xset', description: 'NTU RGB+D 120 cross-setup: train even setup ids, test odd (setups 1..32)',
    source: 'Liu et al., TPAMI 2019', rule: { field: 'setup', train: range(2, 32, 2), test: range(1, 31, 2) },
  },
  'uav-csv1': {
    name: 'uav-csv1', description: 'UAV-Human cross-subject v1 (0-based person ids)', source: 'github.com/SUTDCV/UAV-Human README',
    rule: { field: 'subject', train: UAV_CSV1_TRAIN_SUBJECTS },
  },
  'uav-csv2': {
    name: 'uav-csv2', description: 'UAV-Human cross-subject v2 (0-based person ids)', source: 'github.com/SUTDCV/UAV-Human README',
    rule: { field: 'subject', train: UAV_CSV2_TRAIN_SUBJECTS },
  },
  'toyota-cs': {
    name: 'toyota-cs', description: 'Toyota Smarthome cross-subject (31 classes)', source: 'Das et al., ICCV 2019',
    rule: { field: 'subject', train: TOYOTA_CS_TRAIN_SUBJECTS },
  },
  'toyota-cv1': {
    name: 'toyota-cv1', description: 'Toyota Smarthome cross-view 1: train camera 1, test camera 2 (19 classes)',
    source: 'Das et al., ICCV 2019', rule: { field: 'camera', train: [1], test: [2] }, classSubset: TOYOTA_CV_CLASSES,
  },
  'toyota-cv2': {
    name: 'toyota-cv2', description: 'Toyota Smarthome cross-view 2: train cameras 1, 3, 4, 6, 7; test camera 2 (19 classes)',
    source: 'Das et al., ICCV 2019', rule: { field: 'camera', train: [1, 3, 4, 6, 7], test: [2] },
    classSubset: TOYOTA_CV_CLASSES,
  },
};

/** The split columns of a list of samples (e.g. the output of the synthetic generator or a reader). */
export function splitMetaOfSamples(samples: readonly SampleMeta[], classNames?: readonly string[]): SplitMeta {
  return {
    subjects: Int32Array.from(samples, (s) => s.subject),
    cameras: Int32Array.from(samples, (s) => s.camera),
    setups: Int32Array.from(samples, (s) => s.setup),
    labels: Int32Array.from(samples, (s) => s.label),
    classNames,
  };
}

const column = (meta: SplitMeta, field: SplitField): ArrayLike<number> =>
  field === 'subject' ? meta.subjects : field === 'camera' ? meta.cameras : meta.setups;

function checkMeta(meta: SplitMeta): number {
  const n = meta.labels.length;
  for (const [name, col] of [['subjects', meta.subjects], ['cameras', meta.cameras], ['setups', meta.setups]] as const) {
    if (!col || col.length !== n) {
      throw new DatasetError('SHAPE_MISMATCH', `split metadata column "${name}" has length ${col ? col.length : 'undefined'}`,
        { expected: `${n} (the length of labels)`, found: String(col ? col.length : 'undefined') });
    }
  }
  return n;
}

function checkRule(rule: SplitRule): void {
  if (rule.field !== 'subject' && rule.field !== 'camera' && rule.field !== 'setup') {
    throw new DatasetError('BAD_OPTION', `split rule field "${String(rule.field)}" is not one of subject, camera, setup`);
  }
  if (!Array.isArray(rule.train) || rule.train.length === 0) {
    throw new DatasetError('BAD_OPTION', `split rule on "${rule.field}" needs a non-empty train id list`);
  }
  if (rule.test) {
    const tr = new Set(rule.train);
    const both = rule.test.filter((id) => tr.has(id));
    if (both.length > 0) {
      throw new DatasetError('BAD_OPTION', `split rule on "${rule.field}" lists ids ${both.join(', ')} in both train and test`);
    }
  }
}

/** Indices of the samples meeting every rule's train (or every rule's test) condition; `keep` filters samples first. */
function applyRules(meta: SplitMeta, rules: readonly SplitRule[], keep?: (i: number) => boolean): SplitResult {
  const n = checkMeta(meta);
  for (const r of rules) checkRule(r);
  const sets = rules.map((r) => ({ col: column(meta, r.field), train: new Set(r.train), test: r.test ? new Set(r.test) : undefined }));
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < n; i++) {
    if (keep && !keep(i)) continue;
    let isTrain = true;
    let isTest = true;
    for (const s of sets) {
      const id = s.col[i];
      const inTrain = s.train.has(id);
      const inTest = s.test ? s.test.has(id) : !inTrain;
      isTrain &&= inTrain;
      isTest &&= inTest;
    }
    if (isTrain) train.push(i);
    else if (isTest) test.push(i);
  }
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

/**
 * Split samples by a built-in protocol. For Toyota CV1/CV2 only the 19 cross-view classes take part (matched by name
 * through `meta.classNames`, case-insensitively) and `labelMap` / `classNames` give the 19-class labelling.
 *
 * ```ts
 * const { train, test } = splitByProtocol(packed, 'ntu60-xsub');
 * ```
 */
export function splitByProtocol(meta: SplitMeta, protocol: ProtocolName): SplitResult {
  const spec = PROTOCOLS[protocol];
  if (!spec) {
    throw new DatasetError('BAD_OPTION', `unknown protocol "${String(protocol)}"`,
      { expected: Object.keys(PROTOCOLS).join(' | '), found: String(protocol) });
  }
  if (!spec.classSubset) return applyRules(meta, [spec.rule]);
  const names = meta.classNames;
  if (!names || names.length === 0) {
    throw new DatasetError('BAD_OPTION', `protocol "${protocol}" keeps ${spec.classSubset.length} named classes and needs meta.classNames`);
  }
  const wanted = new Map(spec.classSubset.map((c, k) => [c.toLowerCase(), k]));
  const labelMap = new Int32Array(names.length).fill(-1);
  names.forEach((c, k) => { labelMap[k] = wanted.get(c.toLowerCase()) ?? -1; });
  const labels = meta.labels;
  const res = applyRules(meta, [spec.rule], (i) => labels[i] >= 0 && labels[i] < labelMap.length && labelMap[labels[i]] >= 0);
  return { ...res, labelMap, classNames: [...spec.classSubset] };
}

/**
 * A custom split: one rule, or several rules that must all hold (e.g. train subjects AND train cameras).
 *
 * ```ts
 * customSplit(packed, { field: 'camera', train: [1, 2], test: [3] });
 * ```
 */
export function customSplit(meta: SplitMeta, rules: SplitRule | readonly SplitRule[]): SplitResult {
  const list = Array.isArray(rules) ? (rules as readonly SplitRule[]) : [rules as SplitRule];
  if (list.length === 0) throw new DatasetError('BAD_OPTION', 'customSplit needs at least one rule');
  return applyRules(meta, list);
}

/** The result of {@link heldOutClassSplit}. */
export interface HeldOutClassSplit {
  /** Classes present in training, ascending. */
  seenClasses: Int32Array;
  /** The K held-out classes, ascending. */
  unseenClasses: Int32Array;
  /** Indices of samples of seen classes (restricted to `base.train` when given). */
  train: Int32Array;
  /** Indices of samples of unseen classes (restricted to `base.test` when given). */
  test: Int32Array;
}

/**
 * The unseen-class split: K of `numClasses` classes, drawn by `seed` (Fisher-Yates with {@link Rng}), never appear in
 * training; the test side holds only samples of those K classes. With `base` (e.g. a protocol split) training keeps
 * the seen-class samples of `base.train` and testing the unseen-class samples of `base.test`.
 */
export function heldOutClassSplit(
  labels: ArrayLike<number>,
  numClasses: number,
  k: number,
  seed: number,
  base?: { train: ArrayLike<number>; test: ArrayLike<number> },
): HeldOutClassSplit {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new DatasetError('BAD_OPTION', `heldOutClassSplit numClasses must be an integer >= 2`, { found: String(numClasses) });
  }
  if (!Number.isInteger(k) || k < 1 || k >= numClasses) {
    throw new DatasetError('BAD_OPTION', `heldOutClassSplit k must be an integer in [1, ${numClasses - 1}]`, { found: String(k) });
  }
  const perm = new Rng(seed).shuffle(Int32Array.from({ length: numClasses }, (_, i) => i));
  const unseen = perm.slice(0, k).sort();
  const seen = perm.slice(k).sort();
  const isUnseen = new Uint8Array(numClasses);
  for (const c of unseen) isUnseen[c] = 1;
  const check = (i: number): number => {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) {
      throw new DatasetError('BAD_OPTION', `label ${c} of sample ${i} is outside [0, ${numClasses})`);
    }
    return c;
  };
  const all = (): number[] => Array.from({ length: labels.length }, (_, i) => i);
  const trainIdx = base ? Array.from(base.train) : all();
  const testIdx = base ? Array.from(base.test) : all();
  const train = trainIdx.filter((i) => !isUnseen[check(i)]);
  const test = testIdx.filter((i) => isUnseen[check(i)] === 1);
  return { seenClasses: seen, unseenClasses: unseen, train: Int32Array.from(train), test: Int32Array.from(test) };
}

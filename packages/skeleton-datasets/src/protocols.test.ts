import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors';
import {
  NTU120_XSUB_TRAIN_SUBJECTS, NTU60_XSUB_TRAIN_SUBJECTS, PROTOCOLS, TOYOTA_CS_CLASSES, TOYOTA_CS_TRAIN_SUBJECTS,
  TOYOTA_CV_CLASSES, UAV_CSV1_TRAIN_SUBJECTS, UAV_CSV2_TRAIN_SUBJECTS, customSplit, heldOutClassSplit, splitByProtocol,
  type SplitMeta,
} from './protocols';

/** Every combination of the given id ranges, one sample each. */
function grid(subjects: number[], cameras: number[], setups: number[], labels: number[], classNames?: string[]): SplitMeta {
  const s: number[] = [];
  const c: number[] = [];
  const e: number[] = [];
  const l: number[] = [];
  for (const a of subjects) for (const b of cameras) for (const d of setups) for (const k of labels) {
    s.push(a); c.push(b); e.push(d); l.push(k);
  }
  return { subjects: Int32Array.from(s), cameras: Int32Array.from(c), setups: Int32Array.from(e), labels: Int32Array.from(l), classNames };
}
const ids = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const valuesAt = (col: ArrayLike<number>, idx: Int32Array): Set<number> => new Set(Array.from(idx, (i) => col[i]));
const sortedUnique = (a: readonly number[]): boolean => a.every((x, i) => i === 0 || x > a[i - 1]);

describe('protocol id lists', () => {
  it('have the documented sizes, no duplicates, ascending order', () => {
    expect(NTU60_XSUB_TRAIN_SUBJECTS).toHaveLength(20);
    expect(NTU120_XSUB_TRAIN_SUBJECTS).toHaveLength(53);
    expect(UAV_CSV1_TRAIN_SUBJECTS).toHaveLength(89);
    expect(UAV_CSV2_TRAIN_SUBJECTS).toHaveLength(89);
    expect(TOYOTA_CS_TRAIN_SUBJECTS).toHaveLength(11);
    for (const l of [NTU60_XSUB_TRAIN_SUBJECTS, NTU120_XSUB_TRAIN_SUBJECTS, UAV_CSV1_TRAIN_SUBJECTS, UAV_CSV2_TRAIN_SUBJECTS, TOYOTA_CS_TRAIN_SUBJECTS]) {
      expect(sortedUnique(l)).toBe(true);
    }
    expect(UAV_CSV1_TRAIN_SUBJECTS.every((s) => s >= 0 && s <= 118)).toBe(true);
    // NTU120's list extends NTU60's (the 60-class performers keep their side).
    expect(NTU120_XSUB_TRAIN_SUBJECTS.slice(0, 20)).toEqual(NTU60_XSUB_TRAIN_SUBJECTS);
    expect(TOYOTA_CS_CLASSES).toHaveLength(31);
    expect(TOYOTA_CV_CLASSES).toHaveLength(19);
    expect(TOYOTA_CV_CLASSES.every((c) => TOYOTA_CS_CLASSES.includes(c))).toBe(true);
  });
});

describe('splitByProtocol', () => {
  it('NTU60 X-Sub trains on exactly the listed performers and tests on the other 20', () => {
    const meta = grid(ids(1, 40), [1, 2, 3], [1], [0, 1]);
    const { train, test } = splitByProtocol(meta, 'ntu60-xsub');
    expect(train.length + test.length).toBe(meta.labels.length);
    expect([...valuesAt(meta.subjects, train)].sort((a, b) => a - b)).toEqual([...NTU60_XSUB_TRAIN_SUBJECTS]);
    const testSubjects = valuesAt(meta.subjects, test);
    expect(testSubjects.size).toBe(20);
    for (const s of NTU60_XSUB_TRAIN_SUBJECTS) expect(testSubjects.has(s)).toBe(false);
    expect(Array.from(train)).toEqual(Array.from(train).sort((a, b) => a - b));
  });

  it('NTU60 X-View uses cameras 2, 3 vs 1; NTU120 X-Set even vs odd setups', () => {
    const meta = grid([1, 2], [1, 2, 3], ids(1, 32), [0]);
    const xv = splitByProtocol(meta, 'ntu60-xview');
    expect([...valuesAt(meta.cameras, xv.train)].sort()).toEqual([2, 3]);
    expect([...valuesAt(meta.cameras, xv.test)]).toEqual([1]);
    const xs = splitByProtocol(meta, 'ntu120-xset');
    expect([...valuesAt(meta.setups, xs.train)].every((s) => s % 2 === 0)).toBe(true);
    expect([...valuesAt(meta.setups, xs.test)].every((s) => s % 2 === 1)).toBe(true);
    expect(xs.train.length + xs.test.length).toBe(meta.labels.length);
  });

  it('NTU120 X-Sub and UAV CSv1/CSv2 keep the listed subjects on the training side', () => {
    const meta = grid(ids(0, 118), [1], [1], [0]);
    for (const [p, list] of [['ntu120-xsub', NTU120_XSUB_TRAIN_SUBJECTS], ['uav-csv1', UAV_CSV1_TRAIN_SUBJECTS], ['uav-csv2', UAV_CSV2_TRAIN_SUBJECTS]] as const) {
      const { train, test } = splitByProtocol(meta, p);
      expect(Array.from(train, (i) => meta.subjects[i])).toEqual([...list]);
      expect(test.length).toBe(119 - list.length);
    }
  });

  it('Toyota CS splits by subject; CV1/CV2 keep the 19 cross-view classes and cameras 1 / 1,3,4,6,7 vs 2', () => {
    const names = [...TOYOTA_CS_CLASSES];
    const meta = grid([3, 5], ids(1, 7), [-1], ids(0, 30), names);
    const cs = splitByProtocol(meta, 'toyota-cs');
    expect([...valuesAt(meta.subjects, cs.train)]).toEqual([3]);
    expect([...valuesAt(meta.subjects, cs.test)]).toEqual([5]);
    for (const [p, trainCams] of [['toyota-cv1', [1]], ['toyota-cv2', [1, 3, 4, 6, 7]]] as const) {
      const r = splitByProtocol(meta, p);
      expect([...valuesAt(meta.cameras, r.train)].sort()).toEqual(trainCams);
      expect([...valuesAt(meta.cameras, r.test)]).toEqual([2]);
      const kept = [...valuesAt(meta.labels, r.train)].map((l) => names[l]).sort();
      expect(kept).toEqual([...TOYOTA_CV_CLASSES].sort());
      expect(r.classNames).toEqual([...TOYOTA_CV_CLASSES]);
      // The label map sends each kept class to its position in the 19-class list and the others to -1.
      names.forEach((n, k) => expect(r.labelMap![k]).toBe(TOYOTA_CV_CLASSES.indexOf(n)));
      expect(r.test.length).toBe(2 * 19);
    }
  });

  it('rejects bad input with a DatasetError naming it', () => {
    const meta = grid([1], [1], [1], [0]);
    expect(() => splitByProtocol(meta, 'nope' as never)).toThrow(/unknown protocol "nope"/);
    expect(() => splitByProtocol(meta, 'toyota-cv1')).toThrow(DatasetError);
    expect(() => splitByProtocol({ ...meta, cameras: new Int32Array(3) }, 'ntu60-xview')).toThrow(/cameras/);
    expect(Object.keys(PROTOCOLS)).toHaveLength(9);
  });
});

describe('customSplit', () => {
  it('applies one rule or the conjunction of several', () => {
    const meta = grid(ids(1, 4), [1, 2, 3], [1], [0]);
    const one = customSplit(meta, { field: 'camera', train: [1, 2], test: [3] });
    expect([...valuesAt(meta.cameras, one.train)].sort()).toEqual([1, 2]);
    const both = customSplit(meta, [{ field: 'subject', train: [1, 2] }, { field: 'camera', train: [1], test: [3] }]);
    for (const i of both.train) expect(meta.subjects[i] <= 2 && meta.cameras[i] === 1).toBe(true);
    for (const i of both.test) expect(meta.subjects[i] > 2 && meta.cameras[i] === 3).toBe(true);
    expect(both.train.length).toBe(2);
    expect(both.test.length).toBe(2);
    expect(() => customSplit(meta, { field: 'camera', train: [1], test: [1, 2] })).toThrow(/both train and test/);
    expect(() => customSplit(meta, { field: 'view' as never, train: [1] })).toThrow(/field "view"/);
  });
});

describe('heldOutClassSplit', () => {
  const labels = Int32Array.from({ length: 600 }, (_, i) => i % 60);
  it('holds K classes out of training, deterministically by seed', () => {
    const a = heldOutClassSplit(labels, 60, 3, 11);
    const b = heldOutClassSplit(labels, 60, 3, 11);
    expect(Array.from(a.unseenClasses)).toEqual(Array.from(b.unseenClasses));
    expect(a.unseenClasses).toHaveLength(3);
    expect(a.seenClasses).toHaveLength(57);
    const unseen = new Set(a.unseenClasses);
    for (const i of a.train) expect(unseen.has(labels[i])).toBe(false);
    for (const i of a.test) expect(unseen.has(labels[i])).toBe(true);
    expect(a.test.length).toBe(30);
    expect(a.train.length).toBe(570);
    const draws = new Set([1, 2, 3, 4, 5].map((s) => heldOutClassSplit(labels, 60, 3, s).unseenClasses.join(',')));
    expect(draws.size).toBeGreaterThan(1);
  });

  it('restricts to a base split and validates its arguments', () => {
    const base = { train: Int32Array.from({ length: 300 }, (_, i) => i), test: Int32Array.from({ length: 300 }, (_, i) => 300 + i) };
    const r = heldOutClassSplit(labels, 60, 5, 2, base);
    for (const i of r.train) expect(i < 300).toBe(true);
    for (const i of r.test) expect(i >= 300).toBe(true);
    expect(r.test.length).toBe(25);
    expect(() => heldOutClassSplit(labels, 60, 60, 0)).toThrow(/k must be/);
    expect(() => heldOutClassSplit(Int32Array.of(70), 60, 3, 0)).toThrow(/label 70/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../errors';
import { randomSample, referenceParse, referenceSample, sameBits } from '../test-helpers';
import { parseNtuName, parseUavName, parseToyotaName } from './names';
import { parseNtuSkeleton, parseNtuSkeletonDetailed } from './ntu';
import { NTU_CLASS_NAMES, NTU60_CLASS_NAMES } from './ntu-classes';
import { formatFloat32, writeNtuSkeleton } from './ntu-writer';
import { parseUavSkeleton } from './uav';

const FIX = process.env.LLMAR_FIXTURES;
if (!FIX) console.warn('[skeleton-datasets] LLMAR_FIXTURES is unset: the real NTU fixture tests are skipped');

function err(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('expected a DatasetError, got a result');
}

// Values below were read from the fixture files by hand (head/tail of each file).
const FIXTURES = [
  { id: 'S001C001P001R001A001', frames: 103, ids: 1, first: [0.2181153, 0.1725972, 3.785547], last: [0.1140334, 0.7601054, 3.444], lastSlot: 0, name: 'drink water' },
  { id: 'S001C003P008R002A058', frames: 70, ids: 2, first: [0.7201789, 0.1647426, 3.561895], last: [0.2655148, 0.1555307, 3.263833], lastSlot: 1, name: 'handshaking' },
  { id: 'S002C001P003R001A003', frames: 100, ids: 1, first: [0.1264189, -0.08822607, 2.788731], last: [0.1229285, 0.5358315, 2.4055], lastSlot: 0, name: 'brushing teeth' },
  { id: 'S004C002P003R001A017', frames: 124, ids: 1, first: [0.0003003457, -0.3471032, 3.177691], last: [0.02893868, -0.4615996, 2.90275], lastSlot: 0, name: 'take off a shoe' },
];

describe('NTU .skeleton fixtures (real files)', () => {
  for (const fx of FIXTURES) {
    it.skipIf(!FIX)(`${fx.id}: counts, first and last joints, metadata`, () => {
      const path = join(FIX!, 'ntu-skeleton', `${fx.id}.skeleton`);
      const bytes = readFileSync(path);
      const r = parseNtuSkeletonDetailed(bytes, { file: path });
      const s = r.sample;
      expect([s.frames, s.bodies, s.joints, s.channels]).toEqual([fx.frames, 2, 25, 3]);
      expect(r.bodyIds.length).toBe(fx.ids);
      expect(r.emptyFrames).toBe(0);
      expect(Array.from(s.data.subarray(0, 3))).toEqual(fx.first.map(Math.fround));
      const o = ((fx.frames - 1) * 2 + fx.lastSlot) * 25 * 3 + 24 * 3;
      expect(Array.from(s.data.subarray(o, o + 3))).toEqual(fx.last.map(Math.fround));
      const m = parseNtuName(fx.id);
      expect(s.label).toBe(m.action - 1);
      expect(s.labelName).toBe(fx.name);
      expect([s.setup, s.camera, s.subject, s.replication]).toEqual([m.setup, m.camera, m.subject, m.replication]);
      // every value equals the independent reference parser's, bit for bit
      const ref = referenceSample(referenceParse(bytes.toString('utf8')), 2);
      expect(sameBits(s.data, ref.data)).toBe(true);
      // one-body files leave slot 1 all zero
      if (fx.ids === 1) for (let f = 0; f < s.frames; f++) expect(s.data.subarray((f * 2 + 1) * 75, (f * 2 + 2) * 75).every((v) => v === 0)).toBe(true);
      // extra channels: depth/colour positions and the tracking state
      const x = parseNtuSkeleton(bytes, { file: path, fields: ['x', 'y', 'z', 'depthX', 'depthY', 'colorX', 'colorY'], tracking: true });
      expect(x.channels).toBe(7);
      const line5 = bytes.toString('utf8').split(/\r?\n/)[4].split(' ').map(Number);
      expect(Array.from(x.data.subarray(0, 7))).toEqual(line5.slice(0, 7).map(Math.fround));
      expect(x.tracking![0]).toBe(line5[11]);
      const ow = parseNtuSkeleton(bytes, { file: path, fields: ['orientationW', 'trackingState', 'x'] });
      expect(Array.from(ow.data.subarray(0, 3))).toEqual([line5[7], line5[11], line5[0]].map(Math.fround));
    });
  }

  it.skipIf(!FIX)('round trip: write (CRLF and LF) then read gives the same sample', () => {
    for (const fx of FIXTURES) {
      const s = parseNtuSkeleton(readFileSync(join(FIX!, 'ntu-skeleton', `${fx.id}.skeleton`)), { file: fx.id });
      for (const lineEnding of ['crlf', 'lf'] as const) {
        const text = writeNtuSkeleton(s, { lineEnding });
        expect(text.includes('\r\n')).toBe(lineEnding === 'crlf');
        const back = parseNtuSkeleton(text, { file: fx.id });
        expect(sameBits(back.data, s.data)).toBe(true);
        expect(back.frames).toBe(s.frames);
      }
    }
  });
});

describe('NTU reader on written files', () => {
  it('round trips random samples of any joint count (17, 25), with and without gaps', () => {
    for (const [seed, joints] of [[1, 25], [2, 17], [3, 5]] as const) {
      const s = randomSample(seed, { frames: 9, bodies: 2, joints, gaps: true });
      const text = writeNtuSkeleton(s, { lineEnding: seed === 2 ? 'lf' : 'crlf' });
      const back = parseNtuSkeleton(text, { file: s.id, bodySelection: 'first' });
      expect(back.joints).toBe(joints);
      // bodies are stored in order of first appearance: a body missing from frame 0 changes slot order, so compare per
      // reference parser instead of positions when gaps exist
      const ref = referenceSample(referenceParse(text), 2);
      expect(sameBits(back.data, ref.data)).toBe(true);
    }
    const s = randomSample(4, { frames: 7, bodies: 2, joints: 25 });
    expect(sameBits(parseNtuSkeleton(writeNtuSkeleton(s), { file: s.id }).data, s.data)).toBe(true);
  });

  it('writes the documented layout (header counts, 10-field body lines, 12-field joint lines, plausible defaults)', () => {
    const s = randomSample(5, { frames: 2, bodies: 1, joints: 3 });
    const lines = writeNtuSkeleton(s, { lineEnding: 'lf' }).trimEnd().split('\n');
    expect(lines[0]).toBe('2');
    expect(lines[1]).toBe('1');
    expect(lines[2].split(' ')).toHaveLength(10);
    expect(lines[3]).toBe('3');
    const row = lines[4].split(' ').map(Number);
    expect(row).toHaveLength(12);
    expect(row[11]).toBe(2);
    const [x, y, z] = [s.data[0], s.data[1], s.data[2]];
    expect(row[3]).toBeCloseTo(256 + (365 * x) / z, 3);
    expect(row[6]).toBeCloseTo(540 - (1081 * y) / z, 3);
    expect(lines).toHaveLength(1 + 2 * (1 + 1 + 1 + 3));
  });

  it('formatFloat32 gives the shortest text that reads back to the same float32', () => {
    for (const v of [0.1, -1e-8, 3.4e38, 1.17549435e-38, 123456.789, -0, 1 / 3]) {
      const t = formatFloat32(v);
      expect(Math.fround(Number(t))).toBe(Math.fround(v));
      expect(t.replace(/[-.]|e.*$/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
  });

  it('empty frames, three bodies, body selection by motion or first appearance, all bodies', () => {
    const mk = (id: string, amp: number, f: number) => [`${id} 0 0 0 0 0 0 0 0 2`, '2',
      `${amp * Math.sin(f)} 0 3 0 0 0 0 0 0 0 0 2`, `0 ${amp * Math.cos(f)} 3 0 0 0 0 0 0 0 0 2`];
    const lines = ['5', '0'];
    for (let f = 1; f < 5; f++) lines.push('3', ...mk('11', 0.001, f), ...mk('22', 0.5, f), ...mk('33', 0.2, f));
    const text = lines.join('\n');
    const motion = parseNtuSkeletonDetailed(text, { file: 'x', names: 'none' });
    expect(motion.emptyFrames).toBe(1);
    expect(motion.bodyIds).toEqual(['11', '22', '33']);
    expect(motion.keptBodyIds).toEqual(['22', '33']);
    expect(motion.droppedBodyIds).toEqual(['11']);
    expect(motion.sample.data.subarray(0, 12).every((v) => v === 0)).toBe(true); // frame 0 empty
    expect(motion.sample.data[12]).toBe(Math.fround(0.5 * Math.sin(1))); // frame 1, slot 0 = body 22
    const first = parseNtuSkeletonDetailed(text, { file: 'x', names: 'none', bodySelection: 'first' });
    expect(first.keptBodyIds).toEqual(['11', '22']);
    const all = parseNtuSkeletonDetailed(text, { file: 'x', names: 'none', maxBodies: 'all' });
    expect(all.sample.bodies).toBe(3);
    expect(all.sample.joints).toBe(2);
  });

  it('number grammar: every accepted token reads exactly as Number(token)', () => {
    const tokens = ['5.', '.5', '-0', '+3', '1e5', '1E-3', '-2.5e+2', '00012', '123456789012345678', '0.1234567890123456789',
      '0.000000000000000000000001234', '-.5', '3.4028234e38', '7e-46', '0.30000000000000004', '9007199254740993'];
    for (const tok of tokens) {
      const text = ['1', '1', '1 0 0 0 0 0 0 0 0 2', '1', `${tok} ${tok} 1 0 0 0 0 0 0 0 0 2`].join('\r\n');
      const s = parseNtuSkeleton(text, { file: 'x', names: 'none' });
      expect(s.data[0], tok).toBe(Math.fround(Number(tok)));
      expect(Object.is(s.data[1], Math.fround(Number(tok))), tok).toBe(true);
    }
  });

  it('UAV-Human: 17 joints and metadata from the name', () => {
    const s = randomSample(6, { frames: 4, bodies: 2, joints: 17 });
    const name = 'P012S01G10B10H10UC022000LC021000A042R1_08241716.txt';
    const u = parseUavSkeleton(writeNtuSkeleton(s), { file: name });
    expect([u.joints, u.label, u.subject, u.setup, u.replication, u.id]).toEqual([17, 42, 12, 1, 1, name.slice(0, -4)]);
    expect(sameBits(u.data, s.data)).toBe(true);
    expect(err(() => parseUavSkeleton(writeNtuSkeleton(randomSample(7, { frames: 2, bodies: 1, joints: 25 })), { file: name })).code).toBe('JOINT_COUNT');
  });
});

describe('names and classes', () => {
  it('parses SsssCcccPpppRrrrAaaa, UAV and Toyota names; rejects others with BAD_FILENAME', () => {
    expect(parseNtuName('/x/S017C003P020R002A060.skeleton')).toEqual({ id: 'S017C003P020R002A060', setup: 17, camera: 3, subject: 20, replication: 2, action: 60 });
    expect(parseUavName('P000S00G10B10H10UC022000LC021000A000R0_08241716')).toMatchObject({ subject: 0, action: 0, replication: 0 });
    expect(parseToyotaName('Cook.Cleandishes_p02_r00_v02_c03.json')).toEqual({ id: 'Cook.Cleandishes_p02_r00_v02_c03', activity: 'Cook.Cleandishes', subject: 2, replication: 0, video: 2, camera: 3 });
    for (const bad of ['S01C003P020R002A060', 'readme.txt', 'S001C001P001R001A000']) {
      const e = err(() => parseNtuName(bad));
      expect(e.code).toBe('BAD_FILENAME');
      expect(e.message).toContain(bad);
    }
    expect(err(() => parseUavName('P0S0A0')).code).toBe('BAD_FILENAME');
    expect(err(() => parseToyotaName('Cook_p2.json')).code).toBe('BAD_FILENAME');
  });

  it('has 120 distinct class names, the first 60 being NTU60', () => {
    expect(NTU_CLASS_NAMES).toHaveLength(120);
    expect(new Set(NTU_CLASS_NAMES).size).toBe(120);
    expect(NTU60_CLASS_NAMES).toEqual(NTU_CLASS_NAMES.slice(0, 60));
    expect([NTU_CLASS_NAMES[0], NTU_CLASS_NAMES[57], NTU_CLASS_NAMES[119]]).toEqual(['drink water', 'handshaking', 'finger-guessing game (playing rock-paper-scissors)']);
  });
});

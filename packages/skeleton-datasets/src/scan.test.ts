import { mkdirSync, mkdtempSync, rmSync, writeFileSync, utimesSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError } from './errors';
import { unpackSample } from './pack';
import { writeNtuSkeleton } from './readers/ntu-writer';
import { writeToyotaJson, parseToyotaJson } from './readers/toyota';
import { scanNtu, scanToyota, scanUav } from './scan';
import { randomSample, sameBits } from './test-helpers';

const tmp = mkdtempSync(join(tmpdir(), 'llmar-ds-scan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function ntuDir(name: string) {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  const ids = ['S001C001P001R001A001', 'S001C002P002R001A059', 'S018C001P050R002A061', 'S001C003P001R001A010', 'S002C001P003R002A120'];
  const written = new Map<string, Float32Array>();
  ids.forEach((id, k) => {
    const s = randomSample(k, { frames: 4 + k, bodies: 2, joints: 25, id });
    written.set(id, s.data);
    writeFileSync(join(dir, k === 4 ? 'sub' : '.', `${id}.skeleton`), writeNtuSkeleton(s));
  });
  writeFileSync(join(dir, 'S001C001P001R001A002.skeleton'), '3\r\n1\r\n'); // truncated
  writeFileSync(join(dir, 'S001C001P001R001A003.skeleton'), '2\r\n0\r\n0\r\n'); // no body at all
  writeFileSync(join(dir, 'notes.skeleton'), '1\n0\n'); // bad name
  writeFileSync(join(dir, 'README.txt'), 'hello');
  return { dir, written };
}

describe('scanNtu', () => {
  it('NTU60 vs NTU120 membership, missing list, bad files reported with reasons, nothing dropped silently', () => {
    const { dir, written } = ntuDir('ntu');
    const r60 = scanNtu(dir, { dataset: 'ntu60', missingList: ['S001C003P001R001A010'], cache: false });
    expect(r60.dataset.ids).toEqual(['S001C001P001R001A001', 'S001C002P002R001A059']);
    const byCode = Object.fromEntries(r60.report.skipped.map((s) => [s.file.replace(/^.*\//, ''), s.code]));
    expect(byCode).toEqual({
      'S018C001P050R002A061.skeleton': 'NOT_IN_DATASET', 'S002C001P003R002A120.skeleton': 'NOT_IN_DATASET',
      'S001C003P001R001A010.skeleton': 'MISSING_LIST', 'S001C001P001R001A002.skeleton': 'TRUNCATED',
      'S001C001P001R001A003.skeleton': 'NO_BODY', 'notes.skeleton': 'BAD_FILENAME',
    });
    expect(r60.report.ignored.map((f) => f.replace(/^.*\//, ''))).toEqual(['README.txt']);
    expect(r60.report.skipped.find((s) => s.code === 'TRUNCATED')!.reason).toContain('S001C001P001R001A002.skeleton');
    expect(r60.report.samples + r60.report.skipped.length + r60.report.ignored.length).toBe(9);
    expect(r60.dataset.classNames).toHaveLength(60);
    const r120 = scanNtu(dir, { dataset: 'ntu120', cache: false });
    expect(r120.dataset.ids).toEqual(['S001C001P001R001A001', 'S001C002P002R001A059', 'S001C003P001R001A010', 'S018C001P050R002A061', 'S002C001P003R002A120']);
    expect(Array.from(r120.dataset.labels)).toEqual([0, 58, 9, 60, 119]);
    r120.dataset.ids.forEach((id, i) => expect(sameBits(unpackSample(r120.dataset, i).data, written.get(id)!)).toBe(true));
    expect(() => scanNtu(dir, { dataset: 'ntu120', strict: true, cache: false })).toThrow(DatasetError);
    const flat = scanNtu(dir, { dataset: 'ntu120', recursive: false, cache: false });
    expect(flat.dataset.ids).not.toContain('S002C001P003R002A120');
  });

  it('cache: first run parses and writes, second run reuses, changed/new/removed files are handled', () => {
    const { dir } = ntuDir('cached');
    const a = scanNtu(dir, { dataset: 'ntu120' });
    expect([a.report.cache, a.report.parsed, a.report.fromCache]).toEqual(['rebuilt', 7, 0]);
    expect(readdirSync(join(dir, '.llmar-cache')).filter((f) => f.endsWith('.f32'))).toHaveLength(1);
    const b = scanNtu(dir, { dataset: 'ntu120' });
    expect([b.report.cache, b.report.parsed, b.report.fromCache]).toEqual(['hit', 0, 7]);
    expect(b.dataset.ids).toEqual(a.dataset.ids);
    expect(sameBits(b.dataset.data, a.dataset.data)).toBe(true);
    expect(b.report.skipped).toEqual(a.report.skipped);
    // change one file (new content and mtime), fix the truncated one, remove one
    const changed = join(dir, 'S001C002P002R001A059.skeleton');
    const s2 = randomSample(99, { frames: 3, bodies: 2, joints: 25 });
    writeFileSync(changed, writeNtuSkeleton(s2));
    utimesSync(changed, new Date(), new Date(Date.now() + 5000));
    writeFileSync(join(dir, 'S001C001P001R001A002.skeleton'), writeNtuSkeleton(randomSample(98, { frames: 2, bodies: 2, joints: 25 })));
    unlinkSync(join(dir, 'S001C003P001R001A010.skeleton'));
    const c = scanNtu(dir, { dataset: 'ntu120' });
    expect([c.report.cache, c.report.parsed, c.report.fromCache]).toEqual(['updated', 2, 4]);
    expect(c.dataset.ids).toEqual(['S001C001P001R001A001', 'S001C001P001R001A002', 'S001C002P002R001A059', 'S018C001P050R002A061', 'S002C001P003R002A120']);
    expect(sameBits(unpackSample(c.dataset, 2).data, s2.data)).toBe(true);
    const fresh = scanNtu(dir, { dataset: 'ntu120', cache: false });
    expect(sameBits(c.dataset.data, fresh.dataset.data)).toBe(true);
    expect(Array.from(c.dataset.offsets)).toEqual(Array.from(fresh.dataset.offsets));
    const d = scanNtu(dir, { dataset: 'ntu120' });
    expect(d.report.cache).toBe('hit');
    // strict also fails on a bad file whose result came from the cache
    writeFileSync(join(dir, 'S001C001P001R001A004.skeleton'), '2\n1\n');
    unlinkSync(join(dir, 'notes.skeleton'));
    scanNtu(dir, { dataset: 'ntu120' });
    expect(() => scanNtu(dir, { dataset: 'ntu120', strict: true })).toThrow(/no body.*R001A003|R001A003.*no body/);
    unlinkSync(join(dir, 'S001C001P001R001A004.skeleton'));
    expect(scanNtu(dir, { dataset: 'ntu120' }).report.cache).toBe('updated');
    // other options use another cache file; a damaged cache is rebuilt and the problem reported
    expect(scanNtu(dir, { dataset: 'ntu120', maxBodies: 1 }).report.cache).toBe('rebuilt');
    const f32 = readdirSync(join(dir, '.llmar-cache')).filter((f) => f.endsWith('.f32'));
    for (const f of f32) writeFileSync(join(dir, '.llmar-cache', f), new Uint8Array(8));
    const e = scanNtu(dir, { dataset: 'ntu120' });
    expect(e.report.cache).toBe('rebuilt');
    expect(e.report.cacheProblem).toMatch(/bytes/);
    expect(sameBits(e.dataset.data, fresh.dataset.data)).toBe(true);
    expect(statSync(join(dir, '.llmar-cache')).isDirectory()).toBe(true);
  });

  it('a user-given cache folder and a missing directory error', () => {
    const { dir } = ntuDir('own-cache');
    const cache = join(tmp, 'my-cache');
    scanNtu(dir, { dataset: 'ntu60', cache });
    expect(readdirSync(cache).length).toBe(2);
    expect(scanNtu(dir, { dataset: 'ntu60', cache }).report.cache).toBe('hit');
    expect(() => scanNtu(join(tmp, 'nope'), { dataset: 'ntu60' })).toThrow(/NOT_FOUND/);
    // an unwritable cache location does not fail the scan; the report says why
    const blocker = join(tmp, 'a-file');
    writeFileSync(blocker, 'x');
    const r = scanNtu(dir, { dataset: 'ntu60', cache: join(blocker, 'cache') });
    expect(r.report.samples).toBe(3);
    expect(r.report.cacheProblem).toMatch(/could not write the cache/);
  });
});

describe('UAV-Human and Toyota Smarthome scans', () => {
  it('scanUav reads 17-joint files with labels from the name', () => {
    const dir = join(tmp, 'uav');
    mkdirSync(dir);
    const name = 'P001S01G10B10H10UC022000LC021000A017R1_08241716.txt';
    const s = randomSample(5, { frames: 6, bodies: 2, joints: 17 });
    writeFileSync(join(dir, name), writeNtuSkeleton(s));
    writeFileSync(join(dir, 'bad-name.txt'), writeNtuSkeleton(s));
    const r = scanUav(dir, { cache: false });
    expect([r.dataset.joints, Array.from(r.dataset.labels), Array.from(r.dataset.subjects)]).toEqual([17, [17], [1]]);
    expect(sameBits(unpackSample(r.dataset, 0).data, s.data)).toBe(true);
    expect(r.report.skipped.map((x) => x.code)).toEqual(['BAD_FILENAME']);
  });

  it('Toyota JSON: flat LCR-Net layout and nested joints, top-scoring detections, scan with class list', () => {
    const s = randomSample(6, { frames: 5, bodies: 1, joints: 13 });
    const text = writeToyotaJson(s);
    const back = parseToyotaJson(text, { file: 'Walk_p03_r01_v05_c02.json', classNames: ['Cook', 'Walk'] });
    expect([back.label, back.labelName, back.subject, back.camera, back.replication]).toEqual([1, 'Walk', 3, 2, 1]);
    expect(sameBits(back.data, s.data)).toBe(true);
    // nested [[x, y, z], ...] with a lower-score second detection; a frame without detections; 2-D
    const pose = (k: number) => Array.from({ length: 13 }, (_, j) => [j + k, -j, 2 * j]);
    const doc = { frames: [[{ pose3d: pose(0), pose2d: pose(0).map((p) => p.slice(0, 2)), cumscore: 1 }, { pose3d: pose(100), cumscore: 5 }], []] };
    const t = parseToyotaJson(JSON.stringify(doc), { file: 'Cook.Cut_p01_r00_v01_c01.json' });
    expect([t.frames, t.bodies, t.label, t.data[3]]).toEqual([2, 1, -1, 101]);
    expect(t.data.subarray(39).every((v) => v === 0)).toBe(true);
    const two = parseToyotaJson(JSON.stringify(doc), { file: 'Cook.Cut_p01_r00_v01_c01.json', dims: 2, maxBodies: 2 });
    expect([two.channels, two.data[2], two.data[26 + 2]]).toEqual([2, 1, 0]);
    expect(() => parseToyotaJson('{"frames": [[{"pose3d": [1, 2]}]]}', { file: 'Walk_p03_r01_v05_c02.json' })).toThrow(/JOINT_COUNT/);
    expect(() => parseToyotaJson('{"frames": [[{"pose3d": ' + JSON.stringify(pose(0).map(() => ['a', 1, 2])) + '}]]}', { file: 'Walk_p03_r01_v05_c02.json' })).toThrow(/NOT_A_NUMBER/);
    const dir = join(tmp, 'toyota');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Walk_p03_r01_v05_c02.json'), text);
    writeFileSync(join(dir, 'Cook.Cut_p01_r00_v01_c01.json'), JSON.stringify(doc));
    writeFileSync(join(dir, 'Drink.Fromcup_p01_r00_v01_c01.json'), '{"frames": [');
    writeFileSync(join(dir, 'Enter_p01_r00_v01_c01.json'), '{"frames": [[], []]}');
    const r = scanToyota(dir, { cache: false });
    expect(r.dataset.classNames).toEqual(['Cook.Cut', 'Drink.Fromcup', 'Enter', 'Walk']);
    expect(Array.from(r.dataset.labels)).toEqual([0, 3]);
    expect(r.report.skipped.map((x) => x.code)).toEqual(['BAD_FORMAT', 'NO_BODY']);
  });
});

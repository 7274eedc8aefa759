import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SYNTHETIC_CLASS_NAMES, encodeNtuSkeleton, generateSyntheticDataset, pack, writeGeneric, DatasetError, type SkeletonSample,
} from '@llmar/skeleton-datasets';
import { startViewer, type RunningViewer } from '../src/server';
import { bonesFor, loadDataset, parseFiles } from '../src/data';
import { fakeRecognizer, fakeRecognize, fakeTokenize } from './fake-recognizer';
import { getJson, postJson, rawGet } from './http';
import { readFileSync } from 'node:fs';

const classes = [...SYNTHETIC_CLASS_NAMES];
let viewer: RunningViewer;
let bare: RunningViewer;
let samples: SkeletonSample[];

beforeAll(async () => {
  viewer = await startViewer({ recognizer: fakeRecognizer(classes) });
  bare = await startViewer({});
  samples = generateSyntheticDataset({ seed: 0, subjects: 2, cameras: 1, repetitions: 1 }); // what the viewer generates
});

afterAll(async () => {
  await viewer.close();
  await bare.close();
});

const b64 = (u: Uint8Array | string) => Buffer.from(u).toString('base64');

describe('data', () => {
  it('without a folder, a small synthetic set is generated in memory (2 subjects × 14 classes)', () => {
    const d = loadDataset();
    expect(d.packed.ids.length).toBe(28);
    expect(d.packed.classNames).toEqual(classes);
    expect(() => loadDataset({ dataset: 'ntu60' })).toThrow(/needs --data-dir/);
    expect(() => loadDataset({ dataset: 'kinetics' })).toThrow(/--dataset must be one of/);
  });

  it('NTU bones form one tree over the 25 joints (24 bones, all joints reachable)', () => {
    const { bones } = bonesFor(25);
    expect(bones.length).toBe(24);
    const adj = Array.from({ length: 25 }, () => [] as number[]);
    for (const [a, b] of bones) { adj[a].push(b); adj[b].push(a); }
    const seen = new Set([0]);
    const stack = [0];
    while (stack.length) for (const n of adj[stack.pop()!]) if (!seen.has(n)) { seen.add(n); stack.push(n); }
    expect(seen.size).toBe(25);
    expect(bonesFor(17).bones).toEqual([]);
  });
});

describe('JSON API', () => {
  it('/api/info and /api/samples describe the dataset and the run', async () => {
    const info = (await getJson(viewer.url, '/api/info')).body;
    expect(info).toMatchObject({ dataset: 'synthetic', dataDir: null, samples: 28, recognizer: { available: true, codebookSize: 32, hasUsage: true } });
    const rows = (await getJson(viewer.url, '/api/samples')).body;
    expect(rows.length).toBe(28);
    expect(rows[3]).toEqual({ key: 'd3', id: samples[3].id, label: samples[3].label, labelName: classes[samples[3].label], frames: samples[3].frames, bodies: 2, joints: 25 });
  });

  it('/api/sample returns the raw data (to 0.1 mm) and a centred, aligned, 64-frame sequence with the same bone lengths', async () => {
    const s = samples[5];
    const { status, body: v } = await getJson(viewer.url, '/api/sample?key=d5');
    expect(status).toBe(200);
    expect(v.raw.frames).toBe(s.frames);
    let maxErr = 0;
    for (let i = 0; i < s.data.length; i++) maxErr = Math.max(maxErr, Math.abs(v.raw.data[i] - s.data[i]));
    expect(maxErr).toBeLessThanOrEqual(5e-5 + 1e-7);
    expect(v.prepared.frames).toBe(64);
    expect(v.prepared.up).toBe('z');
    // Centring + view alignment is rigid and the resize keeps the first frame: bone lengths of frame 0 agree (float64 reference).
    const first = (d: number[], j: number) => d.slice(j * 3, j * 3 + 3);
    const rawFirst = Array.from(s.data.subarray(0, 25 * 3));
    let checked = 0;
    for (const [a, b] of v.bones as [number, number][]) {
      const pa = first(v.prepared.data, a), pb = first(v.prepared.data, b), ra = first(rawFirst, a), rb = first(rawFirst, b);
      if ([pa, pb, ra, rb].some((p) => p.every((x: number) => x === 0))) continue; // missing joint (the centre reads as missing)
      expect(Math.abs(Math.hypot(pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]) - Math.hypot(ra[0] - rb[0], ra[1] - rb[1], ra[2] - rb[2]))).toBeLessThan(2e-4);
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('/api/tokens and /api/recognize pass the recognizer\'s answers through unchanged', async () => {
    const t = (await getJson(viewer.url, '/api/tokens?key=d7')).body;
    const want = fakeTokenize(samples[7], 32);
    expect(t).toEqual({ available: true, tokens: want.tokens, framesPerToken: 4, pairedWith: want.pairedWith!.map((p) => p ?? null), codebookSize: 32 });
    const r = (await getJson(viewer.url, '/api/recognize?key=d7')).body;
    const rec = fakeRecognize(samples[7], classes, 32);
    expect(r).toEqual({ available: true, ranked: rec.ranked, generated: rec.generated, trueLabel: classes[samples[7].label] });
    const u = (await getJson(viewer.url, '/api/usage')).body;
    expect(u.available).toBe(true);
    expect(u.usage.codebookCounts.length).toBe(32);
  });

  it('without a run the answers say what is missing instead of failing', async () => {
    const info = (await getJson(bare.url, '/api/info')).body;
    expect(info.recognizer.available).toBe(false);
    for (const p of ['/api/tokens?key=d0', '/api/recognize?key=d0', '/api/usage']) {
      const r = await getJson(bare.url, p);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ available: false, reason: expect.stringContaining('--run') });
    }
    expect((await getJson(bare.url, '/api/sample?key=d0')).status).toBe(200);
  });

  it('unknown keys and routes are 404 with a message naming them', async () => {
    const r = await getJson(viewer.url, '/api/sample?key=d999');
    expect(r.status).toBe(404);
    expect(r.body.error).toEqual({ code: 'NOT_FOUND', message: expect.stringContaining('"d999"') });
    expect((await getJson(viewer.url, '/api/nothing')).status).toBe(404);
    expect((await rawGet(viewer.url, '/api/info', 'DELETE')).status).toBe(400);
  });

  it('serves the page and its bundled script (no external URL in either)', async () => {
    const page = await rawGet(viewer.url, '/');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.text).toContain('<script src="/app.js">');
    const js = await rawGet(viewer.url, '/app.js');
    expect(js.status).toBe(200);
    expect(js.text.length).toBeGreaterThan(5000);
    for (const t of [page.text, js.text]) expect(t).not.toMatch(/https?:\/\/(?!viewer\.local)/);
  });
});

describe('uploads', () => {
  it('a dropped .skeleton reads back bit-exact through the NTU reader and gets the dataset\'s class name', async () => {
    const s = samples[12];
    const r = await postJson(viewer.url, '/api/upload', { files: [{ name: `${s.id}.skeleton`, base64: b64(encodeNtuSkeleton(s)) }] });
    expect(r.status).toBe(200);
    const row = r.body.samples[0];
    expect(row).toMatchObject({ id: s.id, label: s.label, labelName: classes[s.label], frames: s.frames });
    const v = (await getJson(viewer.url, `/api/sample?key=${row.key}`)).body;
    const want = (await getJson(viewer.url, '/api/sample?key=d12')).body;
    expect(v.raw.data).toEqual(want.raw.data);
    expect((await getJson(viewer.url, '/api/samples')).body.some((x: { key: string }) => x.key === row.key)).toBe(true);
  });

  it('the three generic-format files dropped together give every sample they hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-view-generic-'));
    try {
      writeGeneric(dir, pack(samples.slice(0, 3), { classNames: classes }));
      const files = ['meta.json', 'index.jsonl', 'data.f32'].map((name) => ({ name, base64: b64(readFileSync(join(dir, name))) }));
      const r = await postJson(viewer.url, '/api/upload', { files });
      expect(r.status).toBe(200);
      expect(r.body.samples.map((x: { id: string }) => x.id)).toEqual(samples.slice(0, 3).map((s) => s.id));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a corrupt file answers 400 with the reader\'s own message, and the server keeps serving', async () => {
    const good = encodeNtuSkeleton(samples[1]);
    const bad = good.subarray(0, Math.floor(good.length / 3)); // truncated in the middle of a frame
    let readerMessage = '';
    try {
      parseFiles([{ name: 'broken.skeleton', bytes: bad }]);
    } catch (e) {
      expect(e).toBeInstanceOf(DatasetError);
      readerMessage = (e as Error).message;
    }
    expect(readerMessage).toContain('broken.skeleton');
    const r = await postJson(viewer.url, '/api/upload', { files: [{ name: 'broken.skeleton', base64: b64(bad) }] });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe(readerMessage);
    expect((await getJson(viewer.url, '/api/sample?key=d1')).status).toBe(200);
  });

  it('refuses unknown file kinds, several unrelated files and malformed bodies with 400', async () => {
    const a = await postJson(viewer.url, '/api/upload', { files: [{ name: 'notes.docx', base64: b64('x') }] });
    expect(a.status).toBe(400);
    expect(a.body.error).toEqual({ code: 'UNSUPPORTED_FILE', message: expect.stringContaining('notes.docx') });
    const two = await postJson(viewer.url, '/api/upload', { files: [{ name: 'a.skeleton', base64: '' }, { name: 'b.skeleton', base64: '' }] });
    expect(two.body.error.code).toBe('UNSUPPORTED_FILE');
    const raw = await rawGet(viewer.url, '/api/upload', 'POST', '{not json');
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.text).error.code).toBe('BAD_REQUEST');
    const none = await postJson(viewer.url, '/api/upload', { nothing: true });
    expect(none.body.error.message).toContain('"files"');
  });
});

describe('upload size limit', () => {
  it('answers 413 TOO_LARGE for a body over the limit, and for decoded files over it', async () => {
    const v = await startViewer({ maxUploadBytes: 1000 });
    try {
      const big = await postJson(v.url, '/api/upload', { files: [{ name: 'a.skeleton', base64: b64(new Uint8Array(20_000)) }] });
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe('TOO_LARGE');
      const mid = await postJson(v.url, '/api/upload', { files: [{ name: 'a.skeleton', base64: b64(new Uint8Array(1200)) }] });
      expect(mid.status).toBe(413);
      expect(mid.body.error.message).toContain('1200 bytes exceeds 1000');
      expect((await getJson(v.url, '/api/info')).status).toBe(200);
    } finally {
      await v.close();
    }
  });
});

describe('failures of the injected recognizer and of the front end', () => {
  it('a recognizer error with a code is a 400 naming it; the sample itself still loads', async () => {
    const err = Object.assign(new Error('[SHAPE_MISMATCH] samples give D = 75, the run was trained with D = 150'), { code: 'SHAPE_MISMATCH' });
    const v = await startViewer({ recognizer: { classNames: ['a'], tokenize: () => { throw err; }, recognize: async () => { throw err; } } });
    try {
      for (const p of ['/api/tokens?key=d0', '/api/recognize?key=d0']) {
        const r = await getJson(v.url, p);
        expect(r.status).toBe(400);
        expect(r.body.error).toEqual({ code: 'SHAPE_MISMATCH', message: err.message });
      }
      expect((await getJson(v.url, '/api/sample?key=d0')).status).toBe(200);
    } finally {
      await v.close();
    }
  });

  it('the built front end is read from publicDir; a missing one is NO_FRONT_END (500) with the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-view-public-'));
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'app.js'), 'console.log("built")');
      const v = await startViewer({ publicDir: dir });
      const missing = await startViewer({ publicDir: join(dir, 'nope') });
      try {
        expect((await rawGet(v.url, '/app.js')).text).toBe('console.log("built")');
        const r = await getJson(missing.url, '/app.js');
        expect(r.status).toBe(500);
        expect(r.body.error.code).toBe('NO_FRONT_END');
        expect(r.body.error.message).toContain(join(dir, 'nope', 'app.js'));
      } finally {
        await v.close();
        await missing.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

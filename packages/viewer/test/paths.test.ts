import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticDataset } from '@llmar/skeleton-datasets';
import { resolveInside } from '../src/paths';
import { ViewerError } from '../src/errors';
import { startViewer, type RunningViewer } from '../src/server';
import { rawGet, getJson } from './http';

let top: string;
let root: string;
let viewer: RunningViewer;
let dataDir: string;

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ViewerError);
    return (e as ViewerError).code;
  }
  return 'no error';
}

beforeAll(async () => {
  top = realpathSync(mkdtempSync(join(tmpdir(), 'llmar-view-paths-')));
  root = join(top, 'run');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(top, 'secret.txt'), 'TOP-SECRET-CONTENT');
  writeFileSync(join(root, 'metrics.json'), JSON.stringify({ metrics: { top1: 0.625 } }));
  writeFileSync(join(root, 'sub', 'a.json'), '{"a":1}');
  symlinkSync(join(top, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(top, join(root, 'dir-out'));
  symlinkSync(join(root, 'sub', 'a.json'), join(root, 'link-in.json'));
  dataDir = join(top, 'data');
  const files = writeSyntheticDataset(dataDir, { subjects: 1, cameras: 1, repetitions: 1, classes: 2 });
  copyFileSync(files[0], join(top, 'S009C001P001R001A001.skeleton'));
  symlinkSync(join(top, 'S009C001P001R001A001.skeleton'), join(dataDir, 'S009C001P001R001A002.skeleton.link'));
  viewer = await startViewer({ runDir: root, dataDir, dataset: 'synthetic' });
});

afterAll(async () => {
  await viewer?.close();
  rmSync(top, { recursive: true, force: true });
});

describe('resolveInside (path guard)', () => {
  it('accepts files inside the root, also through links that stay inside', () => {
    expect(resolveInside(root, 'metrics.json')).toBe(join(root, 'metrics.json'));
    expect(resolveInside(root, 'sub/../sub/a.json')).toBe(join(root, 'sub', 'a.json'));
    expect(resolveInside(root, 'link-in.json')).toBe(join(root, 'sub', 'a.json'));
  });

  it('refuses ../, absolute paths, NUL bytes and links leading outside', () => {
    expect(code(() => resolveInside(root, '../secret.txt'))).toBe('OUTSIDE_ROOT');
    expect(code(() => resolveInside(root, 'sub/../../secret.txt'))).toBe('OUTSIDE_ROOT');
    expect(code(() => resolveInside(root, '..'))).toBe('OUTSIDE_ROOT');
    expect(code(() => resolveInside(root, join(top, 'secret.txt')))).toBe('OUTSIDE_ROOT');
    expect(code(() => resolveInside(root, '/etc/passwd'))).toBe('OUTSIDE_ROOT');
    expect(code(() => resolveInside(root, 'metrics.json\0.png'))).toBe('OUTSIDE_ROOT');
    expect(code(() => resolveInside(root, 'link-out.txt'))).toBe('OUTSIDE_ROOT');
    expect(code(() => resolveInside(root, 'dir-out/secret.txt'))).toBe('OUTSIDE_ROOT');
    expect(code(() => resolveInside(root, 'nope.json'))).toBe('NOT_FOUND');
  });

  it('a root that is itself reached through a link still contains its files', () => {
    const alias = join(top, 'alias');
    symlinkSync(root, alias);
    expect(resolveInside(alias, 'metrics.json')).toBe(join(root, 'metrics.json'));
    expect(code(() => resolveInside(alias, '../secret.txt'))).toBe('OUTSIDE_ROOT');
  });
});

describe('the server refuses paths outside its folders', () => {
  it('binds to loopback by default', () => {
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves run files inside the run folder', async () => {
    const r = await rawGet(viewer.url, '/run/metrics.json');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).metrics.top1).toBe(0.625);
    expect((await getJson(viewer.url, '/api/info')).body.runTop1).toBe(0.625);
  });

  it('answers 403 / 404 with the reason, never the file, for escapes', async () => {
    for (const p of ['/run/..%2fsecret.txt', '/run/sub%2f..%2f..%2fsecret.txt', '/run/link-out.txt', '/run/dir-out/secret.txt',
      `/run/${encodeURIComponent(join(top, 'secret.txt'))}`, '/run/%2fetc%2fpasswd']) {
      const r = await rawGet(viewer.url, p);
      expect(r.status, p).toBe(403);
      expect(r.text).not.toContain('TOP-SECRET');
      expect(JSON.parse(r.text).error.code).toBe('OUTSIDE_ROOT');
    }
    const malformed = await rawGet(viewer.url, '/run/%E0%A4%A');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text).error.code).toBe('BAD_REQUEST');
    // Plain ../ segments are folded by URL parsing before routing: they end on no route at all.
    const dotted = await rawGet(viewer.url, '/run/../secret.txt');
    expect([403, 404]).toContain(dotted.status);
    expect(dotted.text).not.toContain('TOP-SECRET');
  });

  it('/api/open reads files of the data folder and refuses the rest', async () => {
    const ok = await getJson(viewer.url, '/api/open?path=S001C001P001R001A002.skeleton');
    expect(ok.status).toBe(200);
    expect(ok.body.samples[0].id).toBe('S001C001P001R001A002');
    expect(ok.body.samples[0].labelName).toBe('wave right hand');
    for (const p of ['../S009C001P001R001A001.skeleton', encodeURIComponent(join(top, 'S009C001P001R001A001.skeleton')), 'S009C001P001R001A002.skeleton.link']) {
      const r = await getJson(viewer.url, `/api/open?path=${p}`);
      expect(r.status, p).toBe(403);
      expect(r.body.error.code).toBe('OUTSIDE_ROOT');
    }
    const v = await startViewer({});
    try {
      const r = await getJson(v.url, '/api/open?path=x.skeleton');
      expect(r.status).toBe(404); // no --data-dir: nothing can be opened
      expect(r.body.error.message).toContain('--data-dir');
    } finally {
      await v.close();
    }
  });
});

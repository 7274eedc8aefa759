import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DatasetError, type DatasetErrorCode } from './errors';
import { atomicWrite, f32Bytes, readF32File } from './io';
import type { PackedDataset, SkeletonSample } from './types';

/** Why a file did not become a sample: a parse error code or one of the scan's own reasons. */
export type SkipCode = DatasetErrorCode | 'NOT_IN_DATASET' | 'MISSING_LIST' | 'NO_BODY';

/** One file that was not turned into a sample, and why. */
export interface SkippedFile {
  file: string;
  code: SkipCode;
  reason: string;
}

/** What a scan did. Every file found is either a sample, in `skipped`, or in `ignored` (wrong extension). */
export interface ScanReport {
  /** Files that became samples. */
  samples: number;
  /** Files parsed in this run (the rest came from the cache). */
  parsed: number;
  /** Files whose result was reused from the cache. */
  fromCache: number;
  skipped: SkippedFile[];
  /** Files that do not have the reader's extension (not candidates). */
  ignored: string[];
  /** `hit` (nothing re-parsed), `updated` (some files re-parsed), `rebuilt` (no usable cache), `off`. */
  cache: 'hit' | 'updated' | 'rebuilt' | 'off';
  /** Why an existing cache could not be used, when it could not. */
  cacheProblem?: string;
}

/** Result of parsing one file: a sample, or a reasoned skip. Thrown DatasetErrors become skips (unless strict). */
export type ParseOutcome = SkeletonSample | { skip: SkipCode; reason: string };

/** Options of {@link cachedParse}. */
export interface CachedParseOptions {
  /** The scanned directory (file paths are stored relative to it). */
  root: string;
  /** Absolute paths of the files to parse, in dataset order. */
  files: readonly string[];
  /** Parses one file. */
  parse: (file: string, bytes: Uint8Array) => ParseOutcome;
  /** Shape every sample has (readers pad bodies). */
  bodies: number;
  joints: number;
  channels: number;
  /** Everything that changes parse results (reader name, options); a different key rebuilds the cache. */
  key: string;
  /** Cache folder, or false for no cache. @default `<root>/.llmar-cache` */
  cacheDir?: string | false;
  /** Throw the first parse error instead of reporting it. @default false */
  strict?: boolean;
}

interface Entry {
  file: string;
  size: number;
  mtimeMs: number;
  /** Present for samples. */
  s?: { id: string; label: number; labelName?: string; subject: number; camera: number; setup: number; replication: number; frames: number; offset: number };
  skip?: { code: SkipCode; reason: string };
}

interface CacheIndex {
  format: 'llmar-scan-cache';
  version: 1;
  key: string;
  bodies: number;
  joints: number;
  channels: number;
  dataValues: number;
  entries: Entry[];
}

/** FNV-1a 32-bit hash as 8 hex digits (cache file names). */
export function hash32(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Paths of the cache files of a scan (`<cacheDir>/scan-<hash>.json` and `.f32`). */
export function cachePaths(cacheDir: string, key: string): { index: string; data: string } {
  const h = hash32(key);
  return { index: join(cacheDir, `scan-${h}.json`), data: join(cacheDir, `scan-${h}.f32`) };
}

function loadCache(paths: { index: string; data: string }, o: CachedParseOptions): { index: CacheIndex; data: Float32Array } | string {
  if (!existsSync(paths.index) || !existsSync(paths.data)) return 'no cache yet';
  let index: CacheIndex;
  try {
    index = JSON.parse(readFileSync(paths.index, 'utf8')) as CacheIndex;
  } catch (e) {
    return `unreadable index ${paths.index}: ${(e as Error).message}`;
  }
  if (index.format !== 'llmar-scan-cache' || index.version !== 1 || index.key !== o.key) return 'cache written with other options';
  if (index.bodies !== o.bodies || index.joints !== o.joints || index.channels !== o.channels) return 'cache has another sample shape';
  const bytes = statSync(paths.data).size;
  if (bytes !== index.dataValues * 4) return `data file ${paths.data} has ${bytes} bytes, expected ${index.dataValues * 4}`;
  return { index, data: readF32File(paths.data) };
}

/**
 * Parses files into one packed dataset through a binary cache: the first run parses every file and writes
 * `<cacheDir>/scan-<hash>.json` (file sizes, mtimes, sample metadata, skips) plus `scan-<hash>.f32` (all samples'
 * values); later runs re-parse only files whose size or mtime changed (or that are new) and reuse the rest.
 * Skipped files (and why) are cached too, so the report is the same on every run.
 */
export function cachedParse(o: CachedParseOptions): { dataset: PackedDataset; report: ScanReport } {
  const cacheDir = o.cacheDir === undefined ? join(o.root, '.llmar-cache') : o.cacheDir;
  const paths = cacheDir ? cachePaths(cacheDir, o.key) : undefined;
  const loaded = paths ? loadCache(paths, o) : 'off';
  const old = typeof loaded === 'string' ? undefined : loaded;
  const oldByFile = new Map<string, Entry>();
  if (old) for (const e of old.index.entries) oldByFile.set(e.file, e);
  const per = o.bodies * o.joints * o.channels;
  const entries: Entry[] = [];
  const fresh = new Map<number, Float32Array>();
  let parsed = 0;
  let fromCache = 0;
  const prefix = o.root.endsWith(sep) ? o.root : o.root + sep;
  for (const abs of o.files) {
    const rel = abs.startsWith(prefix) ? abs.slice(prefix.length) : relative(o.root, abs);
    const st = statSync(abs);
    const prev = oldByFile.get(rel);
    if (prev && prev.size === st.size && prev.mtimeMs === st.mtimeMs) {
      entries.push(prev);
      fromCache++;
      continue;
    }
    parsed++;
    const e: Entry = { file: rel, size: st.size, mtimeMs: st.mtimeMs };
    let out: ParseOutcome;
    try {
      out = o.parse(abs, readFileSync(abs));
    } catch (err) {
      if (o.strict || !(err instanceof DatasetError)) throw err;
      out = { skip: err.code, reason: err.message };
    }
    if ('skip' in out) {
      if (o.strict) throw new DatasetError('BAD_FORMAT', out.reason, { file: abs });
      e.skip = { code: out.skip, reason: out.reason };
    } else {
      if (out.joints !== o.joints || out.channels !== o.channels || out.bodies !== o.bodies || out.data.length !== out.frames * per) {
        throw new DatasetError('SHAPE_MISMATCH', 'parser returned a sample of another shape than the scan', {
          file: abs, expected: `${o.bodies}x${o.joints}x${o.channels}`, found: `${out.bodies}x${out.joints}x${out.channels}` });
      }
      e.s = { id: out.id, label: out.label, subject: out.subject, camera: out.camera, setup: out.setup,
        replication: out.replication, frames: out.frames, offset: -1 };
      if (out.labelName !== undefined) e.s.labelName = out.labelName;
      fresh.set(entries.length, out.data);
    }
    entries.push(e);
  }
  if (o.strict) {
    const bad = entries.find((e) => e.skip);
    if (bad) {
      const code = bad.skip!.code;
      throw new DatasetError(['NOT_IN_DATASET', 'MISSING_LIST', 'NO_BODY'].includes(code) ? 'BAD_FORMAT' : (code as DatasetErrorCode),
        bad.skip!.reason, { file: join(o.root, bad.file) });
    }
  }
  // Assemble the packed arrays (zero copy when everything came from the cache in the same layout).
  const rows = entries.map((e, k) => ({ e, k })).filter((r) => r.e.s);
  const n = rows.length;
  const offsets = new Float64Array(n + 1);
  let total = 0;
  let sameLayout = !!old && parsed === 0;
  rows.forEach((r, i) => { offsets[i] = total; if (r.e.s!.offset !== total) sameLayout = false; total += r.e.s!.frames * per; });
  offsets[n] = total;
  let data: Float32Array;
  if (sameLayout && old && old.data.length === total) data = old.data;
  else {
    data = new Float32Array(total);
    rows.forEach((r, i) => {
      const src = fresh.get(r.k) ?? old!.data.subarray(r.e.s!.offset, r.e.s!.offset + r.e.s!.frames * per);
      data.set(src, offsets[i]);
    });
  }
  const removed = old ? old.index.entries.length !== fromCache : false;
  let writeProblem: string | undefined;
  if (paths && (parsed > 0 || removed || !old || !sameLayout)) {
    const newEntries = entries.map((e) => (e.s ? { ...e, s: { ...e.s } } : e));
    let ri = 0;
    for (const e of newEntries) if (e.s) e.s.offset = offsets[ri++];
    const index: CacheIndex = { format: 'llmar-scan-cache', version: 1, key: o.key, bodies: o.bodies, joints: o.joints,
      channels: o.channels, dataValues: total, entries: newEntries };
    try {
      mkdirSync(cacheDir as string, { recursive: true });
      atomicWrite(paths.data, f32Bytes(data));
      atomicWrite(paths.index, JSON.stringify(index));
    } catch (err) {
      // e.g. a read-only dataset folder: the scan still succeeds, the report says why nothing was cached
      writeProblem = `could not write the cache in ${cacheDir}: ${(err as Error).message}`;
    }
  }
  const classNames: string[] = [];
  const col = (f: 'label' | 'subject' | 'camera' | 'setup' | 'replication' | 'frames') => Int32Array.from(rows, (r) => r.e.s![f]);
  for (const r of rows) {
    const s = r.e.s!;
    if (s.labelName !== undefined && s.label >= 0 && !classNames[s.label]) {
      while (classNames.length <= s.label) classNames.push('');
      classNames[s.label] = s.labelName;
    }
  }
  const dataset: PackedDataset = { bodies: o.bodies, joints: o.joints, channels: o.channels, classNames,
    ids: rows.map((r) => r.e.s!.id), labels: col('label'), subjects: col('subject'), cameras: col('camera'), setups: col('setup'),
    replications: col('replication'), frames: col('frames'), offsets, data };
  const report: ScanReport = {
    samples: n, parsed, fromCache,
    skipped: entries.filter((e) => e.skip).map((e) => ({ file: join(o.root, e.file), code: e.skip!.code, reason: e.skip!.reason })),
    ignored: [],
    cache: !paths ? 'off' : !old ? 'rebuilt' : parsed === 0 && !removed ? 'hit' : 'updated',
  };
  if (paths && typeof loaded === 'string' && loaded !== 'no cache yet') report.cacheProblem = loaded;
  if (writeProblem) report.cacheProblem = report.cacheProblem ? `${report.cacheProblem}; ${writeProblem}` : writeProblem;
  return { dataset, report };
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from './errors';
import { cachedParse, type ScanReport, type SkippedFile, type ParseOutcome } from './cache';
import { parseNtuName, parseUavName, parseToyotaName } from './readers/names';
import { parseNtuSkeletonDetailed, type BodySelection, type NtuJointField } from './readers/ntu';
import { NTU_CLASS_NAMES } from './readers/ntu-classes';
import { parseToyotaJson, type ToyotaOptions } from './readers/toyota';
import type { PackedDataset } from './types';

/** Options shared by the directory scans. */
export interface ScanOptions {
  /** Descend into sub-folders (folders starting with `.` are never entered). @default true */
  recursive?: boolean;
  /** Throw the first bad file's DatasetError instead of skipping and reporting it. @default false */
  strict?: boolean;
  /** Cache folder, or false to parse everything every time. @default `<dir>/.llmar-cache` */
  cache?: string | false;
}

/** A scanned dataset and the report of what was read, skipped (with why) and ignored. */
export interface ScanResult {
  dataset: PackedDataset;
  report: ScanReport;
}

/** Every file under `dir` (sorted by path; dot-folders skipped). */
export function listFiles(dir: string, recursive = true): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DatasetError('NOT_FOUND', 'dataset directory not found', { file: dir, expected: 'a directory', found: existsSync(dir) ? 'a file' : 'nothing' });
  }
  const out: string[] = [];
  const walk = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      if (ent.name.startsWith('.')) continue;
      const p = join(d, ent.name);
      if (ent.isDirectory()) { if (recursive) walk(p); } else if (ent.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Reads a list of sample ids (one per line; blank lines and `#` comments ignored) from text. */
export function parseIdList(text: string): Set<string> {
  const ids = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const t = line.replace(/#.*/, '').trim();
    if (t) ids.add(t.replace(/\.skeleton$/, ''));
  }
  return ids;
}

/** Options of {@link scanNtu}. */
export interface NtuScanOptions extends ScanOptions {
  /** NTU RGB+D 60 (actions 1..60) or 120 (actions 1..120). */
  dataset: 'ntu60' | 'ntu120';
  /** Samples to skip: a path to the authors' "samples with missing skeletons" list, or the ids themselves. @default none */
  missingList?: string | readonly string[];
  /** Body slots (see parseNtuSkeleton). @default 2 */
  maxBodies?: number;
  /** @default 'motion' */
  bodySelection?: BodySelection;
  /** Channels. @default ['x', 'y', 'z'] */
  fields?: readonly NtuJointField[];
}

function split(files: string[], ext: string): { cand: string[]; ignored: string[] } {
  const cand: string[] = [];
  const ignored: string[] = [];
  for (const f of files) (f.toLowerCase().endsWith(ext) ? cand : ignored).push(f);
  return { cand, ignored };
}

function finish(r: ScanResult, pre: SkippedFile[], ignored: string[]): ScanResult {
  r.report.skipped = [...pre, ...r.report.skipped].sort((a, b) => (a.file < b.file ? -1 : 1));
  r.report.ignored = ignored;
  return r;
}

/**
 * Scans a folder of NTU RGB+D `.skeleton` files. Files of actions outside the dataset, ids in the missing list,
 * files without any body and files that fail to parse are skipped and listed in the report with the reason (a bad
 * file never stops the scan unless `strict`). Results are cached (see cachedParse).
 */
export function scanNtu(dir: string, opts: NtuScanOptions): ScanResult {
  if (opts.dataset !== 'ntu60' && opts.dataset !== 'ntu120') {
    throw new DatasetError('BAD_OPTION', 'dataset must be ntu60 or ntu120', { expected: 'ntu60 | ntu120', found: String(opts.dataset) });
  }
  const maxAction = opts.dataset === 'ntu60' ? 60 : 120;
  const missing = opts.missingList === undefined ? new Set<string>()
    : typeof opts.missingList === 'string' ? parseIdList(readFileSync(opts.missingList, 'utf8')) : new Set(opts.missingList);
  const { cand, ignored } = split(listFiles(dir, opts.recursive ?? true), '.skeleton');
  const pre: SkippedFile[] = [];
  const files: string[] = [];
  for (const f of cand) {
    let a: number;
    let id: string;
    try {
      ({ action: a, id } = parseNtuName(f));
    } catch (e) {
      if (opts.strict) throw e;
      pre.push({ file: f, code: 'BAD_FILENAME', reason: (e as Error).message });
      continue;
    }
    if (a > maxAction) pre.push({ file: f, code: 'NOT_IN_DATASET', reason: `action A${String(a).padStart(3, '0')} is not in ${opts.dataset} (1..${maxAction})` });
    else if (missing.has(id)) pre.push({ file: f, code: 'MISSING_LIST', reason: `${id} is in the missing-skeleton list` });
    else files.push(f);
  }
  const bodies = opts.maxBodies ?? 2;
  const fields = opts.fields ?? ['x', 'y', 'z'];
  const parse = (file: string, bytes: Uint8Array): ParseOutcome => {
    const r = parseNtuSkeletonDetailed(bytes, { file, maxBodies: bodies, bodySelection: opts.bodySelection, fields, joints: 25 });
    if (r.bodyIds.length === 0) return { skip: 'NO_BODY', reason: `${file}: no body in any of its ${r.frames} frames` };
    return r.sample;
  };
  const key = JSON.stringify({ reader: 'ntu', v: 1, dataset: opts.dataset, bodies, sel: opts.bodySelection ?? 'motion', fields });
  const r = cachedParse({ root: dir, files, parse, bodies, joints: 25, channels: fields.length, key, cacheDir: opts.cache, strict: opts.strict });
  r.dataset.classNames = NTU_CLASS_NAMES.slice(0, maxAction);
  return finish(r, pre, ignored);
}

/** Options of {@link scanUav}. */
export interface UavScanOptions extends ScanOptions {
  /** @default 2 */
  maxBodies?: number;
  /** @default 'motion' */
  bodySelection?: BodySelection;
  /** @default 17 */
  joints?: number;
  /** Class names by 0-based action. @default none (labels only) */
  classNames?: readonly string[];
}

/** Scans a folder of UAV-Human skeleton `.txt` files (NTU layout, 17 joints; labels from the `A` field, 0-based). */
export function scanUav(dir: string, opts: UavScanOptions = {}): ScanResult {
  const { cand, ignored } = split(listFiles(dir, opts.recursive ?? true), '.txt');
  const pre: SkippedFile[] = [];
  const files: string[] = [];
  for (const f of cand) {
    try { parseUavName(f); files.push(f); } catch (e) {
      if (opts.strict) throw e;
      pre.push({ file: f, code: 'BAD_FILENAME', reason: (e as Error).message });
    }
  }
  const bodies = opts.maxBodies ?? 2;
  const joints = opts.joints ?? 17;
  const parse = (file: string, bytes: Uint8Array): ParseOutcome => {
    const r = parseNtuSkeletonDetailed(bytes, { file, maxBodies: bodies, bodySelection: opts.bodySelection, joints, names: 'none' });
    if (r.bodyIds.length === 0) return { skip: 'NO_BODY', reason: `${file}: no body in any of its ${r.frames} frames` };
    const m = parseUavName(file);
    return { ...r.sample, id: m.id, label: m.action, labelName: opts.classNames?.[m.action], subject: m.subject, setup: m.setup,
      replication: m.replication, camera: -1 };
  };
  const key = JSON.stringify({ reader: 'uav', v: 1, bodies, joints, sel: opts.bodySelection ?? 'motion', names: opts.classNames ?? null });
  const r = cachedParse({ root: dir, files, parse, bodies, joints, channels: 3, key, cacheDir: opts.cache, strict: opts.strict });
  if (opts.classNames) r.dataset.classNames = [...opts.classNames];
  return finish(r, pre, ignored);
}

/** Options of {@link scanToyota}. */
export interface ToyotaScanOptions extends ScanOptions, Omit<ToyotaOptions, 'file' | 'classNames'> {
  /** Class names; a clip whose activity is not in the list is skipped. @default the sorted activities found */
  classNames?: readonly string[];
}

/** Scans a folder of Toyota Smarthome per-clip LCR-Net++ `.json` files (13 joints). */
export function scanToyota(dir: string, opts: ToyotaScanOptions = {}): ScanResult {
  const { cand, ignored } = split(listFiles(dir, opts.recursive ?? true), '.json');
  const pre: SkippedFile[] = [];
  const files: string[] = [];
  const found = new Set<string>();
  for (const f of cand) {
    try { found.add(parseToyotaName(f).activity); files.push(f); } catch (e) {
      if (opts.strict) throw e;
      pre.push({ file: f, code: 'BAD_FILENAME', reason: (e as Error).message });
    }
  }
  const names = opts.classNames ? [...opts.classNames] : [...found].sort();
  const kept = files.filter((f) => {
    const a = parseToyotaName(f).activity;
    if (names.includes(a)) return true;
    pre.push({ file: f, code: 'NOT_IN_DATASET', reason: `activity ${a} is not in classNames` });
    return false;
  });
  const bodies = opts.maxBodies ?? 1;
  const dims = opts.dims ?? 3;
  const parse = (file: string, bytes: Uint8Array): ParseOutcome => {
    const s = parseToyotaJson(bytes, { ...opts, file, classNames: names, maxBodies: bodies, dims });
    if (s.data.every((v) => v === 0)) return { skip: 'NO_BODY', reason: `${file}: no usable detection in any of its ${s.frames} frames` };
    return s;
  };
  const key = JSON.stringify({ reader: 'toyota', v: 1, bodies, dims, names, min: opts.minScore ?? 0 });
  const r = cachedParse({ root: dir, files: kept, parse, bodies, joints: 13, channels: dims, key, cacheDir: opts.cache, strict: opts.strict });
  r.dataset.classNames = names;
  return finish(r, pre, ignored);
}

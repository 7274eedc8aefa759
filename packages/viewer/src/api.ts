import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unpackSample, type SkeletonSample } from '@llmar/skeleton-datasets';
import { ViewerError } from './errors';
import { loadDataset, parseFiles, sampleView, summarize, MAX_UPLOAD_BYTES, type InputFile, type LoadedDataset } from './data';
import { resolveInside } from './paths';
import { zipfTarget } from './adapter';
import type {
  RecognizeAnswer, SampleSummary, SampleView, TokensAnswer, UsageAnswer, ViewerInfo, ViewerRecognizer,
} from './types';

/** Options of {@link ViewerApi}. */
export interface ViewerApiOptions {
  /** Dataset folder. @default none (a synthetic set in memory) */
  dataDir?: string;
  /** Reader name. @default 'synthetic' */
  dataset?: string;
  /** The trained run, seen through {@link ViewerRecognizer}. @default none */
  recognizer?: ViewerRecognizer;
  /** The run folder (its metrics.json and files are served read-only). @default none */
  runDir?: string;
  /** Why there is no recognizer (shown on the page). @default 'no trained run: start `llmar view --run <dir>`' */
  noRecognizerReason?: string;
  /** Align the view of NTU-like samples in the preprocessed view (spine → +z, shoulders → +x). @default true */
  align?: boolean;
  /** Samples tokenized to count codebook usage when the recognizer brings none. @default 64 */
  usageSamples?: number;
  /** Largest upload accepted, all files together (bytes). @default MAX_UPLOAD_BYTES (64 MiB) */
  maxUploadBytes?: number;
  /** Dropped samples kept in memory (oldest evicted). @default 50 */
  maxUploads?: number;
}

/** The JSON API behind the page, independent of HTTP (the server maps routes onto these methods). */
export class ViewerApi {
  readonly data: LoadedDataset;
  private readonly uploads = new Map<string, SkeletonSample>();
  private nextUpload = 1;
  private computedUsage?: Promise<UsageAnswer>;

  constructor(readonly opts: ViewerApiOptions = {}) {
    this.data = loadDataset({ dataDir: opts.dataDir, dataset: opts.dataset });
  }

  private get reason(): string {
    return this.opts.noRecognizerReason ?? 'no trained run: start `llmar view --run <dir>` to see tokens and recognition';
  }

  info(): ViewerInfo {
    const r = this.opts.recognizer;
    const info: ViewerInfo = {
      dataset: this.data.reader, dataDir: this.data.dataDir, samples: this.data.packed.ids.length, classNames: this.data.packed.classNames,
      skipped: this.data.skipped.slice(0, 20),
      recognizer: r ? { available: true, classNames: r.classNames, codebookSize: r.codebookSize, hasUsage: !!r.usage }
        : { available: false, reason: this.reason, classNames: [], hasUsage: false },
      runDir: this.opts.runDir ?? null,
    };
    const metrics = this.opts.runDir ? join(this.opts.runDir, 'metrics.json') : '';
    if (metrics && existsSync(metrics)) {
      try {
        const m = JSON.parse(readFileSync(metrics, 'utf8')) as { metrics?: { top1?: number } };
        if (typeof m.metrics?.top1 === 'number') info.runTop1 = m.metrics.top1;
      } catch { /* an unreadable metrics.json only hides the number */ }
    }
    return info;
  }

  samples(): SampleSummary[] {
    const ds = this.data.packed;
    const out: SampleSummary[] = [];
    for (let i = 0; i < ds.ids.length; i++) out.push(summarize(`d${i}`, this.sample(`d${i}`)));
    for (const [k, s] of this.uploads) out.push(summarize(k, s));
    return out;
  }

  /** The sample behind a key: `d<i>` (dataset) or `u<n>` (dropped / opened). */
  sample(key: string): SkeletonSample {
    const m = /^([du])(\d+)$/.exec(key ?? '');
    if (m && m[1] === 'd') {
      const i = Number(m[2]);
      const ds = this.data.packed;
      if (i < ds.ids.length) {
        const s = unpackSample(ds, i);
        if (!s.labelName && s.label >= 0 && ds.classNames[s.label]) s.labelName = ds.classNames[s.label];
        return s;
      }
    } else if (m) {
      const s = this.uploads.get(key);
      if (s) return s;
    }
    throw new ViewerError('NOT_FOUND', `no sample "${key}" (keys are d0..d${this.data.packed.ids.length - 1} and uploaded u<n>)`);
  }

  view(key: string): SampleView {
    return sampleView(key, this.sample(key), { frames: this.opts.recognizer?.inputFrames, align: this.opts.align });
  }

  async tokens(key: string): Promise<TokensAnswer> {
    const s = this.sample(key);
    const r = this.opts.recognizer;
    if (!r) return { available: false, reason: this.reason };
    const t = await r.tokenize(s);
    if (!Array.isArray(t.tokens) || !(t.framesPerToken > 0)) {
      throw new ViewerError('BAD_REQUEST', `the recognizer returned a malformed sentence for "${s.id}" (tokens ${typeof t.tokens}, framesPerToken ${t.framesPerToken})`);
    }
    const paired = t.pairedWith ?? [];
    return { available: true, tokens: t.tokens, framesPerToken: t.framesPerToken, pairedWith: t.tokens.map((_, i) => paired[i] ?? null), codebookSize: r.codebookSize };
  }

  async recognize(key: string): Promise<RecognizeAnswer> {
    const s = this.sample(key);
    const r = this.opts.recognizer;
    if (!r) return { available: false, reason: this.reason };
    const out = await r.recognize(s);
    const trueLabel = s.labelName ?? (s.label >= 0 ? (this.data.packed.classNames[s.label] || undefined) : undefined);
    return { available: true, ranked: out.ranked, generated: out.generated, trueLabel };
  }

  /**
   * The token usage for the plots: the recognizer's own when complete; otherwise codebook counts (and, when the run
   * gave none, the rank-frequency) are counted over the first `usageSamples` loaded samples.
   */
  async usage(): Promise<UsageAnswer> {
    const r = this.opts.recognizer;
    if (!r) return { available: false, reason: this.reason };
    const u = r.usage;
    if (u && u.codebookCounts.length && u.rankFrequency.length) return { available: true, usage: u, source: 'the run' };
    const n = Math.min(this.opts.usageSamples ?? 64, this.data.packed.ids.length);
    if (n === 0) return { available: false, reason: 'the run gave no token usage and there are no samples to count' };
    this.computedUsage ??= (async () => {
      const tokens: number[] = [];
      for (let i = 0; i < n; i++) tokens.push(...(await r.tokenize(this.sample(`d${i}`))).tokens);
      const U = r.codebookSize ?? Math.max(0, ...tokens) + 1;
      const counts = new Array<number>(U).fill(0);
      for (const t of tokens) if (t >= 0 && t < U) counts[t]++;
      const fromRun = !!u?.rankFrequency.length;
      const rankFrequency = fromRun ? u!.rankFrequency : [...counts].sort((a, b) => b - a);
      return {
        available: true as const,
        usage: { rankFrequency, zipfTarget: u?.zipfTarget.length ? u.zipfTarget : zipfTarget(rankFrequency.length), codebookCounts: counts },
        source: `${fromRun ? 'rank-frequency of the run; ' : ''}codebook counts over the first ${n} loaded samples`,
      };
    })().catch((e) => { this.computedUsage = undefined; throw e; });
    return this.computedUsage;
  }

  /** Adds dropped files (parsed by the matching reader) and returns their rows. */
  upload(files: InputFile[]): SampleSummary[] {
    const total = files.reduce((a, f) => a + f.bytes.byteLength, 0);
    const max = this.opts.maxUploadBytes ?? MAX_UPLOAD_BYTES;
    if (total > max) throw new ViewerError('TOO_LARGE', `upload of ${total} bytes exceeds ${max} bytes`);
    const samples = parseFiles(files, this.data.packed.classNames, this.data.reader === 'synthetic');
    const rows: SampleSummary[] = [];
    for (const s of samples) {
      const key = `u${this.nextUpload++}`;
      this.uploads.set(key, s);
      rows.push(summarize(key, s));
    }
    const keep = this.opts.maxUploads ?? 50;
    while (this.uploads.size > keep) this.uploads.delete(this.uploads.keys().next().value as string);
    return rows;
  }

  /** Opens one sample file of the data folder by its relative path (path-guarded). */
  open(path: string): SampleSummary[] {
    if (!this.data.dataDir) throw new ViewerError('NOT_FOUND', 'no --data-dir was given, so there is no folder to open files from');
    const real = resolveInside(this.data.dataDir, path);
    return this.upload([{ name: real, bytes: readFileSync(real) }]);
  }

  /** A file of the run folder (path-guarded), e.g. metrics.json or a report chart. */
  runFile(path: string): { path: string; bytes: Buffer } {
    if (!this.opts.runDir) throw new ViewerError('NOT_FOUND', 'no --run folder was given');
    const real = resolveInside(this.opts.runDir, path);
    return { path: real, bytes: readFileSync(real) };
  }
}

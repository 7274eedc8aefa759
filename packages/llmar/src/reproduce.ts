import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from './config';
import { resolveConfig } from './config';
import { trainAndEvaluate, type RunResult } from './pipeline';
import { writeReport } from './report';
import type { Reporter } from './progress';

/** The experiments of `llmar reproduce`. */
export const EXPERIMENTS = ['main', 'ablation-biases', 'ablation-discretization', 'ablation-hyperbolic', 'ablation-lora', 'unseen'] as const;
export type ExperimentName = (typeof EXPERIMENTS)[number];

/** One row: a name, the config patch that makes it, and the paper's top-1 (%) for the same row. */
export interface ExperimentRow {
  id: string;
  label: string;
  patch: Record<string, unknown>;
  /** The paper's number (NTU120 X-Set top-1 for ablations; see `paperSetting`). */
  paper: number | null;
}

/** The paper's main results (top-1 %, Toyota: mean per-class), DESIGN.md. */
export const PAPER_MAIN: Record<string, number> = {
  'NTU60 X-Sub': 95.0, 'NTU60 X-View': 98.4, 'NTU120 X-Sub': 88.7, 'NTU120 X-Set': 91.5, 'Toyota CS': 67.0, 'Toyota CV1': 36.1, 'Toyota CV2': 66.6,
};

/** Rows of each experiment. Ablation numbers are the paper's NTU120 X-Set rows. */
export function experimentRows(name: ExperimentName): { rows: ExperimentRow[]; paperSetting: string } {
  const off = (k: string) => ({ tokenizer: { bias: { zipf: k !== 'zipf', context: k !== 'context', mmd: k !== 'mmd' } } });
  switch (name) {
    case 'main':
      return { paperSetting: 'paper: NTU60 X-Sub 95.0, X-View 98.4; NTU120 X-Sub 88.7, X-Set 91.5; Toyota CS 67.0, CV1 36.1, CV2 66.6', rows: [{ id: 'full', label: 'LLM-AR (full method)', patch: {}, paper: 91.5 }] };
    case 'ablation-biases':
      return {
        paperSetting: 'paper: NTU120 X-Set top-1',
        rows: [
          { id: 'full', label: 'all linguistic biases', patch: {}, paper: 91.5 },
          { id: 'no-biases', label: 'without biases', patch: { tokenizer: { bias: { zipf: false, context: false, mmd: false } } }, paper: 87.6 },
          { id: 'no-zipf', label: 'without L_zipf', patch: off('zipf'), paper: 89.9 },
          { id: 'no-context', label: 'without L_context', patch: off('context'), paper: 89.8 },
          { id: 'no-mmd', label: 'without MMD', patch: off('mmd'), paper: 90.3 },
        ],
      };
    case 'ablation-discretization':
      return { paperSetting: 'paper: NTU120 X-Set top-1', rows: [
        { id: 'full', label: 'discrete action tokens', patch: {}, paper: 91.5 },
        { id: 'continuous', label: 'without discretisation (continuous features)', patch: { stage2: { discretize: false } }, paper: 83.4 },
      ] };
    case 'ablation-hyperbolic':
      return { paperSetting: 'paper: NTU120 X-Set top-1', rows: [
        { id: 'full', label: 'hyperbolic codebook', patch: {}, paper: 91.5 },
        { id: 'euclidean', label: 'Euclidean codebook', patch: { tokenizer: { codebook: 'euclidean' } }, paper: 89.7 },
      ] };
    case 'ablation-lora':
      return { paperSetting: 'paper: NTU120 X-Set top-1', rows: [
        { id: 'full', label: 'LoRA', patch: {}, paper: 91.5 },
        { id: 'full-ft', label: 'full fine-tuning', patch: { stage2: { mode: 'full' } }, paper: 79.6 },
      ] };
    case 'unseen':
      return { paperSetting: 'paper: 3 held-out classes, 5 draws', rows: [
        { id: 'unseen-lora', label: 'unseen classes, LoRA', patch: { data: { unseen: { classes: 3, draws: 5 } } }, paper: 62.4 },
        { id: 'unseen-full-ft', label: 'unseen classes, full fine-tuning', patch: { data: { unseen: { classes: 3, draws: 5 } }, stage2: { mode: 'full' } }, paper: 37.7 },
      ] };
  }
}

/** Deep-merge a patch into a config (validated). */
function apply(base: RunConfig, patch: Record<string, unknown>): RunConfig {
  return resolveConfig(patch, base);
}

/**
 * Run every row of an experiment (each in `<out>/<row id>`, resumable) and return them with a table that puts the
 * measured top-1 beside the paper's number. Rows with the same stage-1 settings reuse the first row's tokenizer.
 */
export function runReproduce(name: ExperimentName, base: RunConfig, outDir: string, reporter: Reporter, backend?: string) {
  const { rows, paperSetting } = experimentRows(name);
  const results: { row: ExperimentRow; result: RunResult }[] = [];
  const stage1ByKey = new Map<string, string>();
  for (const row of rows) {
    const c = apply(base, row.patch);
    const dir = join(outDir, row.id);
    mkdirSync(dir, { recursive: true });
    const key = JSON.stringify({ tok: c.tokenizer, seed: c.seed, data: c.data });
    const prev = stage1ByKey.get(key);
    if (prev) {
      // same stage-1 settings: reuse the trained tokenizer(s) (one per draw for the unseen protocol)
      const files = c.data.unseen.classes > 0 ? Array.from({ length: c.data.unseen.draws }, (_, d) => join(`draw-${d + 1}`, 'stage1.ckpt')) : ['stage1.ckpt'];
      for (const f of files) {
        if (existsSync(join(prev, f)) && !existsSync(join(dir, f))) {
          mkdirSync(join(dir, f, '..'), { recursive: true });
          copyFileSync(join(prev, f), join(dir, f));
        }
      }
    }
    reporter.log(`== ${name}: ${row.label}`);
    const result = trainAndEvaluate({ config: c, outDir: dir, reporter, backend });
    writeReport(dir, result);
    stage1ByKey.set(key, dir);
    results.push({ row, result });
  }
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '  n/a' : (100 * v).toFixed(1).padStart(5));
  const w = Math.max(...rows.map((r) => r.label.length), 10);
  const lines = [
    `${name} on ${results[0]?.result.dataset ?? ''}`,
    `LLM: ${results[0]?.result.llm ?? ''}`,
    `${'row'.padEnd(w)}  top-1  top-5  mean/cls  paper top-1 (${paperSetting})`,
    ...results.map(({ row, result }) => `${row.label.padEnd(w)}  ${fmt(result.metrics.top1)}  ${fmt(result.metrics.top5)}  ${fmt(result.metrics.meanClassAccuracy)}     ${row.paper ?? 'n/a'}`),
  ];
  if (name === 'main') lines.push('', 'paper main results:', ...Object.entries(PAPER_MAIN).map(([k, v]) => `  ${k}: ${v}`));
  const table = lines.join('\n');
  const summary = results.map(({ row, result }) => ({ id: row.id, label: row.label, paper: row.paper, top1: result.metrics.top1, top5: result.metrics.top5, meanClassAccuracy: result.metrics.meanClassAccuracy, seconds: result.seconds }));
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify({ experiment: name, paperSetting, rows: summary }, null, 2));
  writeFileSync(join(outDir, `${name}.md`), `\`\`\`\n${table}\n\`\`\`\n`);
  return { rows: summary, table };
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from './pipeline';
import { lineChart, confusionChart, type Series } from './svg';
import { zipfTarget } from './health';
import { formatDuration } from './progress';

const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`);

/** The result table printed by `llmar demo` / `evaluate` (plain text, aligned). */
export function resultTable(r: RunResult): string {
  const m = r.metrics;
  const h = r.testHealth;
  const rows: [string, string][] = [
    ['dataset', r.dataset],
    ['LLM', r.llm],
    ['train / test samples', `${r.trainSamples} / ${r.testSamples}`],
    ['top-1 (candidate scoring)', pct(m.top1)],
    ['top-5', pct(m.top5)],
    ['mean per-class accuracy', pct(m.meanClassAccuracy)],
    ['greedy generation, exact match', pct(m.generationAccuracy)],
    ['token perplexity (test)', `${h.perplexity.toFixed(1)} of ${h.codebookSize}`],
    ['dead codes (test)', `${h.deadCodes} of ${h.codebookSize}`],
    ['Zipf JS gap (test)', Number.isFinite(h.zipfGap) ? h.zipfGap.toFixed(4) : 'n/a'],
    ['paired tokens used together', pct(h.pairedShare)],
    ['stage 1 time', formatDuration(r.seconds.stage1)],
    ['stage 2 time', formatDuration(r.seconds.stage2)],
    ['evaluation time', formatDuration(r.seconds.evaluation)],
    ['total time', formatDuration(r.seconds.total)],
  ];
  if (r.backend) rows.push(['backend', r.backend]);
  const w = Math.max(...rows.map((x) => x[0].length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** Markdown summary of a run. */
export function markdownSummary(r: RunResult): string {
  const m = r.metrics;
  const lines = [
    `# llmar run: ${r.name}`,
    '',
    `- Data: ${r.dataset}`,
    `- LLM: ${r.llm}`,
    `- Backend: ${r.backend ?? 'n/a'}`,
    '',
    '| metric | value |',
    '|---|---|',
    ...resultTable(r).split('\n').map((l) => {
      const [k, ...v] = l.split(/\s{2,}/);
      return `| ${k} | ${v.join(' ')} |`;
    }),
    '',
    '## Per-class accuracy',
    '',
    '| class | accuracy | n |',
    '|---|---|---|',
    ...m.confusion.map((row, i) => {
      const n = row.reduce((a, b) => a + b, 0);
      return `| ${r.testClasses[i]} | ${n ? pct(row[i] / n) : 'n/a'} | ${n} |`;
    }),
    '',
    'Plots: `loss-stage1.svg`, `loss-stage2.svg`, `rank-frequency.svg`, `confusion.svg`.',
    '',
  ];
  if (!r.llmPretrained) lines.push('Note: the LLM was built from a fixed seed and has no pretrained knowledge; it learns the task only through stage 2.', '');
  return lines.join('\n');
}

/** Write `report/` (metrics.json, summary.md and SVG plots) under `dir`; returns the folder. */
export function writeReport(dir: string, r: RunResult): string {
  const out = join(dir, 'report');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'metrics.json'), JSON.stringify(r, null, 2));
  writeFileSync(join(out, 'summary.md'), markdownSummary(r));
  const h1 = r.stage1.history;
  const terms = ['total', 'rec', 'emb', 'commit', 'zipf', 'context', 'mmd'] as const;
  const s1: Series[] = terms
    .filter((k) => h1.some((row) => row[k] !== undefined))
    .map((k) => ({ name: k, points: h1.filter((row) => row[k] !== undefined).map((row) => [row.step, row[k] as number] as [number, number]) }));
  writeFileSync(join(out, 'loss-stage1.svg'), lineChart(s1, { title: 'Stage 1 losses (unweighted terms)', xLabel: 'step', yLabel: 'loss' }));
  const s2: Series[] = [{ name: 'answer CE', points: r.stage2.history.map((row) => [row.step, row.loss] as [number, number]) }];
  writeFileSync(join(out, 'loss-stage2.svg'), lineChart(s2, { title: 'Stage 2 answer loss', xLabel: 'step', yLabel: 'cross-entropy', logY: true }));
  const rf = r.testHealth.rankFrequency;
  const tot = rf.reduce((a, b) => a + b, 0) || 1;
  const z = zipfTarget(rf.length);
  writeFileSync(join(out, 'rank-frequency.svg'), lineChart(
    [
      { name: 'tokens (test)', points: rf.map((c, k) => [k + 1, c / tot] as [number, number]).filter((p) => p[1] > 0) },
      { name: 'Zipf target', points: z.map((p, k) => [k + 1, p] as [number, number]) },
    ],
    { title: 'Token rank-frequency vs Zipf (α 1, β 2.7)', xLabel: 'rank', yLabel: 'frequency', logX: true, logY: true },
  ));
  writeFileSync(join(out, 'confusion.svg'), confusionChart(r.metrics.confusion, r.testClasses));
  return out;
}

#!/usr/bin/env node
/**
 * Runs vitest over the whole monorepo (from source), then prints one plain closing line
 * `Tests: N passed, N failed, N skipped` read from vitest's JSON report. Exits with vitest's code.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'test-output');
mkdirSync(out, { recursive: true });
const report = join(out, 'vitest.json');
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json',
  `--outputFile.json=${report}`, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
if (existsSync(report)) {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  process.stdout.write(`\nTests: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${skipped} skipped\n`);
}
process.exit(r.status ?? 1);

#!/usr/bin/env node
/**
 * `npm run bench`: runs every packages/<name>/bench/*.bench.mjs in its own process and forwards its JSON lines.
 * When @llmar/native is built, each benchmark runs twice: with the native kernels and with LLMAR_NATIVE=0.
 * Filters: `npm run bench -- <substring>` runs only bench files whose path contains it.
 * Extra: LLMAR_BENCH_BACKENDS=wasm,cpu runs each file on each listed backend (default: the auto choice).
 */
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv.slice(2);
const files = [];
for (const pkg of readdirSync(join(root, 'packages')).sort()) {
  const dir = join(root, 'packages', pkg, 'bench');
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.bench.mjs')) files.push(join(dir, f));
}
const selected = files.filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)));
const nativeBuilt = existsSync(join(root, 'packages', 'native', 'build', 'Release'));
const nativeModes = nativeBuilt ? ['1', '0'] : ['0'];
const backends = (process.env.LLMAR_BENCH_BACKENDS ?? '').split(',').filter(Boolean);
let failed = 0;
for (const file of selected) {
  for (const backend of backends.length ? backends : [undefined]) {
    for (const native of nativeModes) {
      const env = { ...process.env, LLMAR_NATIVE: native };
      if (backend) env.LLMAR_BACKEND = backend;
      process.stderr.write(`# ${relative(root, file)} backend=${backend ?? 'auto'} native=${native === '1' ? 'on' : 'off'}\n`);
      const r = spawnSync(process.execPath, [file], { env, stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
      if (r.status !== 0) {
        failed++;
        process.stderr.write(`# FAILED (exit ${r.status}): ${relative(root, file)}\n`);
      }
    }
  }
}
if (selected.length === 0) process.stderr.write('# no benchmark matched\n');
process.exit(failed ? 1 : 0);

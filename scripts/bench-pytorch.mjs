#!/usr/bin/env node
/**
 * `npm run bench:pytorch`: the issue-6 configs against their PyTorch peers, measured in alternation on this machine.
 *
 * On a shared machine the speed drifts (±30% within minutes on the 2-core VM this was written on), so a ratio is only
 * meaningful when both sides are measured in the same minutes. For each config and each round this runs the PyTorch
 * peer, then ours, each in its own process; it prints every measurement as a JSON line and, per config, a summary line
 * with the medians and the median of the per-round ratios.
 *
 *   npm run bench:pytorch [-- <config...>] [-- --rounds N] [-- --warmup N]
 *
 * Configs: stage1-cpu-small, stage1-paper-width, stage2-stories260K-lora, stage2-15M-lora, matmul (512, 1024, 2048).
 * The peers live in ../shared/bench (env LLMAR_PYTORCH_BENCH), run by /usr/bin/python3 (env LLMAR_PYTORCH_PYTHON) with
 * torch importable; without them this says why and exits 2. Each peer reports the better of 1 and 2 torch threads.
 *
 * OpenBLAS: some machines here set OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) to an older core for old OpenBLAS builds'
 * sake; on an AVX-512 machine that halves PyTorch's matmul speed. The peers run with both unset, so OpenBLAS picks its
 * own kernel (printed in the first line, e.g. Cooperlake, and checked against float64 products there);
 * `--keep-openblas-env` keeps the machine's settings.
 *
 * Warm-up: by default both sides time 8 training steps after 3 untimed ones (the peers' own protocol). `--warmup N`
 * runs N untimed steps on both sides instead (the peer's file is run unchanged but for its run() default; ours get env
 * LLMAR_BENCH_WARMUP). PyTorch is at its steady speed after 3 steps; JavaScript is not: V8 compiles the hot tfjs code
 * in the background for the first ~20 steps (stories260K: 20–28 ms a step at steps 3–10, 14–16 ms from step ~22),
 * so `--warmup 30` compares the speeds a long training run sees. The matmul lines are not affected.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './bench-utils.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const python = process.env.LLMAR_PYTORCH_PYTHON ?? '/usr/bin/python3';
const peers = resolve(process.env.LLMAR_PYTORCH_BENCH ?? join(root, '..', 'shared', 'bench'));

// The matmul peer: the same measurement as packages/native/bench/native.bench.mjs (3 warm-up products, median of 20,
// 5 at n = 2048, no read-back), the better of 1 and 2 torch threads.
const MATMUL_PY = `
import json, time, torch
for n in (512, 1024, 2048):
    a = torch.randn(n, n); b = torch.randn(n, n); best = None
    for th in (1, 2):
        torch.set_num_threads(th); ts = []
        for _ in range(3): a @ b
        for _ in range(5 if n >= 2048 else 20):
            t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
        ts.sort(); ms = ts[len(ts) // 2] * 1e3
        best = ms if best is None or ms < best else best
    print(json.dumps(dict(name='matmul-%d' % n, impl='pytorch-' + torch.__version__, ms_per_step=round(best, 3),
                          gflops=round(2 * n ** 3 / (best * 1e6), 1))))
`;

const CONFIGS = {
  'stage1-cpu-small': { ours: ['packages/llmar/bench/stage1.bench.mjs', 'stage1-cpu-small'], peer: ['stage1_torch.py', 'stage1-cpu-small'] },
  'stage1-paper-width': { ours: ['packages/llmar/bench/stage1.bench.mjs', 'stage1-paper-width'], peer: ['stage1_torch.py', 'stage1-paper-width'] },
  'stage2-stories260K-lora': { ours: ['packages/llm-lora/bench/lora.bench.mjs', 'stage2-stories260K-lora'], peer: ['stage2_torch.py', 'stage2-stories260K-lora'] },
  'stage2-15M-lora': { ours: ['packages/llm-lora/bench/lora.bench.mjs', 'stage2-15M-lora'], peer: ['stage2_torch.py', 'stage2-15M-lora'] },
  matmul: { ours: ['packages/native/bench/native.bench.mjs', 'matmul'], peer: null },
};

const argv = process.argv.slice(2);
const keepOpenblasEnv = argv.includes('--keep-openblas-env');
const peerEnv = { ...process.env };
if (!keepOpenblasEnv) {
  delete peerEnv.OPENBLAS_CORETYPE;
  delete peerEnv.OPENBLAS_L2_SIZE;
}
const ri = argv.indexOf('--rounds');
const rounds = ri >= 0 ? Number(argv[ri + 1]) : 3;
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench-pytorch: --rounds must be a positive integer, got ${argv[ri + 1]}`);
  process.exit(2);
}
const wi = argv.indexOf('--warmup');
const warmup = wi >= 0 ? Number(argv[wi + 1]) : undefined;
if (warmup !== undefined && !(Number.isInteger(warmup) && warmup >= 0)) {
  console.error(`bench-pytorch: --warmup must be an integer >= 0, got ${argv[wi + 1]}`);
  process.exit(2);
}
const names = argv.filter((a, i) => !a.startsWith('--') && (ri < 0 || i !== ri + 1) && (wi < 0 || i !== wi + 1));
for (const n of names) {
  if (!(n in CONFIGS)) {
    console.error(`bench-pytorch: unknown config "${n}"; known: ${Object.keys(CONFIGS).join(', ')}`);
    process.exit(2);
  }
}

// torch's version, the OpenBLAS core it runs, and the largest error of a float32 product against float64 (a core
// mismatched to the CPU can give wrong results, which is why some machines force an older one)
const PROBE_PY = `
import ctypes, json, torch
torch.manual_seed(0)
a = torch.randn(256, 300); b = torch.randn(300, 200)
err = ((a @ b).double() - a.double() @ b.double()).abs().max().item()
libs = sorted({l for l in open('/proc/self/maps').read().split() if 'openblas' in l and l.endswith('.so.3')})
core = None
try:
    L = ctypes.CDLL(libs[0]); L.openblas_get_corename.restype = ctypes.c_char_p; core = L.openblas_get_corename().decode()
except Exception:
    pass
print(json.dumps(dict(torch=torch.__version__, openblas_core=core, matmul_max_abs_err=err)))
`;
const probe = spawnSync(python, ['-c', PROBE_PY], { encoding: 'utf8', env: peerEnv });
if (probe.status !== 0) {
  console.error(`bench-pytorch: ${python} cannot import torch (${(probe.stderr || String(probe.error)).trim().split('\n').pop()}); ` +
    'install it (see ../shared/bench/README.md) or set LLMAR_PYTORCH_PYTHON');
  process.exit(2);
}
const probeInfo = JSON.parse(probe.stdout.trim().split('\n').pop());
console.log(JSON.stringify({ pytorch: probeInfo, openblas_env: keepOpenblasEnv ? 'kept' : 'unset' }));
if (!(probeInfo.matmul_max_abs_err < 1e-3)) {
  console.error(`bench-pytorch: PyTorch's float32 product is off by ${probeInfo.matmul_max_abs_err} on OpenBLAS core ${probeInfo.openblas_core}; ` +
    'not a fair peer (try --keep-openblas-env)');
  process.exit(2);
}
if (!existsSync(join(peers, 'stage1_torch.py'))) {
  console.error(`bench-pytorch: the PyTorch peers are not in ${peers} (set LLMAR_PYTORCH_BENCH)`);
  process.exit(2);
}

// A peer file run with another warm-up count: its code unchanged but for the last line (which runs best() on argv)
// and the default of run(name, steps=8, warm=3).
const PEER_WARMUP_PY = `
import sys
path, name, warm = sys.argv[1], sys.argv[2], int(sys.argv[3])
src = open(path).read().rstrip()
tail = 'for n in (sys.argv[1:] or CONFIGS): best(n)'
if not src.endswith(tail): sys.exit('bench-pytorch: %s does not end with the expected line %r' % (path, tail))
g = {'__name__': 'peer', '__file__': path}
exec(compile(src[:-len(tail)], path, 'exec'), g)
g['run'].__defaults__ = (8, warm)
g['best'](name)
`;

/** Run a command; return its JSON lines (stderr passes through). */
function jsonLines(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24, env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

for (const name of names.length ? names : Object.keys(CONFIGS)) {
  const cfg = CONFIGS[name];
  const rows = new Map(); // line name -> { ours: [], peer: [], backend }
  for (let r = 0; r < rounds; r++) {
    const peerArgs = !cfg.peer ? ['-c', MATMUL_PY]
      : warmup === undefined ? [join(peers, cfg.peer[0]), cfg.peer[1]]
        : ['-c', PEER_WARMUP_PY, join(peers, cfg.peer[0]), cfg.peer[1], String(warmup)];
    const peerOut = jsonLines(python, peerArgs, peerEnv);
    const oursEnv = warmup === undefined ? process.env : { ...process.env, LLMAR_BENCH_WARMUP: String(warmup) };
    const oursOut = jsonLines(process.execPath, cfg.ours, oursEnv);
    for (const p of peerOut) {
      const o = oursOut.find((x) => x.name === p.name);
      if (!o) continue;
      console.log(JSON.stringify({ round: r, ...p }));
      console.log(JSON.stringify({ round: r, ...o }));
      const row = rows.get(p.name) ?? { ours: [], peer: [], backend: o.backend };
      row.ours.push(o.ms_per_step);
      row.peer.push(p.ms_per_step);
      rows.set(p.name, row);
    }
  }
  for (const [line, row] of rows) {
    const ratios = row.ours.map((v, i) => v / row.peer[i]);
    console.log(JSON.stringify({
      name: line, backend: row.backend, ms_per_step: +median(row.ours).toFixed(3), pytorch_ms_per_step: +median(row.peer).toFixed(3),
      time_ratio_vs_pytorch: +median(ratios).toFixed(3), rounds, ...(cfg.peer ? { warmup: warmup ?? 3 } : {}), summary: true,
    }));
  }
}

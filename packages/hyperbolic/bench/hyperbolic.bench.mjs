// Benchmark of PoincareBall.pairwiseDist against a plain matMul of the same shape ([N,d] x [d,M]).
// Run after building: (cd packages/tensor && npx tsup) && (cd packages/hyperbolic && npx tsup) && node packages/hyperbolic/bench/hyperbolic.bench.mjs
// Prints one JSON line per config. Env: BENCH_REPS (timed repetitions, default 3), BENCH_D (comma list, default 512,5120).
import { PoincareBall } from '@llmar/hyperbolic';
import { tf, initBackend } from '@llmar/tensor';
import { loadavg } from 'node:os';

const info = await initBackend();
const N = 4096;
const M = 512;
const reps = Number(process.env.BENCH_REPS ?? 3);
const widths = (process.env.BENCH_D ?? '512,5120').split(',').map(Number);

function median(a) {
  const s = [...a].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median wall time of f (its result read back so that asynchronous backends finish), after one warm-up run; also the
 * median process CPU time, which is steadier than wall time on a shared machine.
 */
async function time(f) {
  const once = async () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = f();
    await out.data();
    const ms = performance.now() - t0;
    const cu = process.cpuUsage(c0);
    out.dispose();
    return [ms, (cu.user + cu.system) / 1000];
  };
  await once();
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await once());
  return [median(runs.map((r) => r[0])), median(runs.map((r) => r[1]))];
}

for (const d of widths) {
  const ball = new PoincareBall({ c: 1 });
  const x = tf.tidy(() => ball.expmap0(tf.randomNormal([N, d], 0, 1, 'float32', 1)));
  const y = tf.tidy(() => ball.expmap0(tf.randomNormal([M, d], 0, 1, 'float32', 2)));
  const yT = tf.transpose(y);
  const flops = 2 * N * M * d;
  const [ms, cpu] = await time(() => ball.pairwiseDist(x, y));
  const [mm, mmCpu] = await time(() => tf.matMul(x, yT));
  console.log(
    JSON.stringify({
      name: 'hyperbolic-pairwise-dist',
      backend: info.label,
      N,
      M,
      d,
      ms_per_step: Number(ms.toFixed(2)),
      gflops: Number((flops / ms / 1e6).toFixed(2)),
      matmul_ms: Number(mm.toFixed(2)),
      matmul_gflops: Number((flops / mm / 1e6).toFixed(2)),
      rate_vs_matmul: Number((mm / ms).toFixed(3)),
      cpu_ms_per_step: Number(cpu.toFixed(2)),
      matmul_cpu_ms: Number(mmCpu.toFixed(2)),
      kernel: ball.pairwiseKernel === 'auto' ? (['cpu', 'wasm'].includes(info.tfBackend) ? 'fused' : 'ops') : ball.pairwiseKernel,
      loadavg: Number(loadavg()[0].toFixed(1)),
    }),
  );
  tf.dispose([x, y, yT]);
}

// Benchmarks of @llmar/native through tfjs: square matMul (GFLOP/s) and a conv1d forward + backward step.
// Run after building (npx tsup in packages/tensor and packages/native, npm run build:native). LLMAR_NATIVE=0 measures the
// stock kernels (npm run bench does both); the "backend" field tells which ran (e.g. wasm vs wasm+native).
import { tf, initBackend, conv1d } from '@llmar/tensor';
import { nativeStatus } from '@llmar/native';

const info = await initBackend();
const st = nativeStatus();
// which micro-kernel and how many threads, when the native kernels are in use
const extra = info.native ? { simd: st.simd, threads: st.threads } : {};
const quick = process.env.LLMAR_BENCH_QUICK === '1';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(fn, warm, reps) {
  for (let i = 0; i < warm; i++) fn();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

for (const n of quick ? [512] : [512, 1024, 2048]) {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  // dataSync forces the kernel on every backend; the read-back is small next to n^3 work. (Nothing is returned from
  // tf.tidy: it would walk a returned typed array element by element looking for tensors.)
  const ms = time(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), 1, n >= 2048 ? 3 : 5);
  const gflops = (2 * n ** 3) / (ms * 1e6);
  console.log(JSON.stringify({ name: `matmul-${n}`, backend: info.label, ms_per_step: +ms.toFixed(3), gflops: +gflops.toFixed(1), ...extra }));
  tf.dispose([a, b]);
}

{
  // [64, 75, 64] -> 256 channels, kernel 3, padding 1: forward and both gradients
  const x = tf.randomNormal([64, 75, 64]);
  const w = tf.randomNormal([3, 64, 256], 0, 0.1);
  const step = () =>
    tf.tidy(() => {
      const [gx, gw] = tf.grads((xx, ww) => tf.sum(conv1d(xx, ww, { padding: 1 })))([x, w]);
      gx.dataSync();
      gw.dataSync();
    });
  const ms = time(step, 1, quick ? 3 : 7);
  console.log(JSON.stringify({ name: 'conv1d-64x75x64-256-k3-fwd-bwd', backend: info.label, ms_per_step: +ms.toFixed(3), ...extra }));
  tf.dispose([x, w]);
}

{
  // an optimizer's flat parameter vector split into per-variable pieces (stage-1: 1.24M values); SplitV is native
  const sizes = [16384, 49152, 128, 393216, 128, 65536, 64, 716834];
  const v = tf.randomNormal([sizes.reduce((a, b) => a + b, 0)]);
  const ms = time(() => tf.tidy(() => void tf.split(v, sizes).map((p) => p.dataSync())), 1, quick ? 3 : 7);
  console.log(JSON.stringify({ name: `splitv-${v.size}-${sizes.length}`, backend: info.label, ms_per_step: +ms.toFixed(3), ...extra }));
  v.dispose();
}

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
// `node native.bench.mjs matmul` runs only the square products (scripts/bench-pytorch.mjs compares them with PyTorch)
const onlyMatmul = process.argv.slice(2).includes('matmul');

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
  // The cpu and wasm backends run kernels synchronously, inside tf.matMul: no read-back is needed to time the product
  // (as PyTorch's `a @ b` is timed). A dataSync here cost 1.3 ms at n = 512 (a 1 MB copy out of the wasm heap and a
  // fresh typed array), 40% of the product.
  // 3 warm-up products, then the median of 20 (5 at n = 2048), as the PyTorch peer in scripts/bench-pytorch.mjs: with one
  // warm-up and 5 products, OpenBLAS's 512 product (its threads still waking) measured 4 ms against 0.9 ms once warm
  const ms = time(() => tf.tidy(() => void tf.matMul(a, b)), 3, n >= 2048 ? 5 : 20);
  const gflops = (2 * n ** 3) / (ms * 1e6);
  console.log(JSON.stringify({ name: `matmul-${n}`, backend: info.label, ms_per_step: +ms.toFixed(3), gflops: +gflops.toFixed(1), ...extra }));
  tf.dispose([a, b]);
}

// The vocabulary products of a stage-2 step (stories15M: dim 288, vocab 32000, 8 x 64 tokens), with the transposed
// operands of its gradients: logits = h E^T, dh = dlogits E, dE^T = h^T dlogits. Stock wasm takes seconds per call on
// the transposed ones: one unwarmed call there.
if (!quick && !onlyMatmul) {
  const skinny = [
    ['matmul-logits-512x288x32000-tB', [512, 288], [32000, 288], false, true],
    ['matmul-dh-512x32000x288', [512, 32000], [32000, 288], false, false],
    ['matmul-dEt-288x512x32000-tA', [512, 288], [512, 32000], true, false],
  ];
  for (const [name, as, bs, ta, tb] of skinny) {
    const a = tf.randomNormal(as);
    const b = tf.randomNormal(bs);
    const M = ta ? as[1] : as[0], K = ta ? as[0] : as[1], N = tb ? bs[0] : bs[1];
    // no read-back here: it would copy 65 MB (about as long as the product) and time tfjs, not the kernel
    const ms = time(() => tf.tidy(() => void tf.matMul(a, b, ta, tb)), info.native ? 1 : 0, info.native ? 5 : 1);
    console.log(JSON.stringify({ name, backend: info.label, ms_per_step: +ms.toFixed(3), gflops: +((2 * M * N * K) / (ms * 1e6)).toFixed(1), ...extra }));
    tf.dispose([a, b]);
  }
}

if (!onlyMatmul) {
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

if (!onlyMatmul) {
  // an optimizer's flat parameter vector split into per-variable pieces (stage-1: 1.24M values); SplitV is native
  const sizes = [16384, 49152, 128, 393216, 128, 65536, 64, 716834];
  const v = tf.randomNormal([sizes.reduce((a, b) => a + b, 0)]);
  const ms = time(() => tf.tidy(() => void tf.split(v, sizes).map((p) => p.dataSync())), 1, quick ? 3 : 7);
  console.log(JSON.stringify({ name: `splitv-${v.size}-${sizes.length}`, backend: info.label, ms_per_step: +ms.toFixed(3), ...extra }));
  v.dispose();
}

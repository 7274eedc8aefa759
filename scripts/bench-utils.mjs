// Helpers shared by the benchmarks and per-kernel profiles under packages/*/bench (imported by relative path): kernel
// timers and per-step tables. Plain JavaScript without package imports, so any bench script can use it.

/** Adds one call of `ms` milliseconds to the { ms, calls } entry of `key` in `stats`. */
export function addTime(stats, key, ms) {
  const s = stats.get(key) ?? { ms: 0, calls: 0 };
  s.ms += ms;
  s.calls += 1;
  stats.set(key, s);
}

/**
 * Wraps every kernel registered on `backendName` with a timer and returns the Map the times go to (key -> { ms, calls }).
 * A call is timed only while `recording()` is true; it counts under `keyOf(kernelName, kernelArgs)` (the kernel name by
 * default), and `onCall(ms)`, when given, sees each timed call too.
 */
export function timeKernels(tf, backendName, { recording, keyOf = (name) => name, onCall } = {}) {
  const stats = new Map();
  for (const k of tf.getKernelsForBackend(backendName)) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: (a) => {
        if (!recording()) return f(a);
        const t = performance.now();
        const out = f(a);
        const dt = performance.now() - t;
        addTime(stats, keyOf(k.kernelName, a), dt);
        onCall?.(dt);
        return out;
      },
    });
  }
  return stats;
}

/** The shapes of a kernel call's inputs, e.g. "[8,64][64]" (absent inputs left out). */
export function inputShapes(kernelArgs) {
  return Object.values(kernelArgs.inputs).filter(Boolean).map((x) => `[${x.shape}]`).join('');
}

/** The entries of `stats` per step ({ key, ms, calls } divided by `steps`), most time first. */
export function perStep(stats, steps) {
  return [...stats].map(([key, s]) => ({ key, ms: s.ms / steps, calls: s.calls / steps })).sort((a, b) => b.ms - a.ms);
}

/** The median of a list of numbers (the upper one of an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

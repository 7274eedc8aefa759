// Benchmarks of @llmar/skeleton-datasets (built package; plain JS, no tensor backend, so "backend" is "js").
//   ntu-skeleton-parse: MB/s of parseNtuSkeleton on realistic .skeleton text made in memory with the writer
//                       (mb_per_s from this process's CPU time, robust on a shared machine; mb_per_s_wall too).
//   cache-load:         ms to load a 10k-sample NTU scan from its cache (every file unchanged).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNtuSkeleton, parseNtuSkeleton, scanNtu } from '@llmar/skeleton-datasets';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function sample(k, frames, bodies) {
  const joints = 25;
  const data = new Float32Array(frames * bodies * joints * 3);
  for (let f = 0; f < frames; f++) for (let b = 0; b < bodies; b++) for (let j = 0; j < joints; j++) {
    const o = ((f * bodies + b) * joints + j) * 3;
    data[o] = b - 0.5 + 0.3 * Math.sin(0.05 * f + j + k);
    data[o + 1] = 0.8 * Math.cos(j) + 0.01 * f;
    data[o + 2] = 3 + 0.5 * b + 0.1 * Math.sin(0.1 * f * j);
  }
  const id = `S001C001P001R001A${String((k % 60) + 1).padStart(3, '0')}`;
  return { id, label: k % 60, subject: 1, camera: 1, setup: 1, replication: 1, frames, bodies, joints, channels: 3, data };
}

// ntu-skeleton-parse: ~4 MB of text (10 files of 100 frames, 2 bodies)
{
  const files = Array.from({ length: 10 }, (_, k) => encodeNtuSkeleton(sample(k, 100, 2)));
  const bytes = files.reduce((a, f) => a + f.length, 0);
  for (let w = 0; w < 10; w++) for (const f of files) parseNtuSkeleton(f, { file: 'S001C001P001R001A001.skeleton' });
  // CPU time of this process (robust on a shared machine) and wall time, per repetition; medians
  const cpu = [];
  const wall = [];
  for (let r = 0; r < 9; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const f of files) parseNtuSkeleton(f, { file: 'S001C001P001R001A001.skeleton' });
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const ms = median(cpu);
  console.log(JSON.stringify({ name: 'ntu-skeleton-parse', backend: 'js', mb_per_s: +(bytes / 1e6 / (ms / 1000)).toFixed(1),
    mb_per_s_wall: +(bytes / 1e6 / (median(wall) / 1000)).toFixed(1), bytes, cpu_ms: +ms.toFixed(2) }));
}

// cache-load: 10k small samples (2 frames, 1 body, 25 joints); first scan parses and writes the cache
{
  const dir = mkdtempSync(join(tmpdir(), 'llmar-bench-cache-'));
  try {
    const n = 10000;
    for (let k = 0; k < n; k++) {
      const s = sample(k, 2, 1);
      const id = `S${String(1 + (k % 17)).padStart(3, '0')}C00${1 + (k % 3)}P${String(1 + Math.floor(k / 60) % 999).padStart(3, '0')}R00${1 + (k % 2)}A${String((k % 60) + 1).padStart(3, '0')}`;
      writeFileSync(join(dir, `${id}.${k}.skeleton`), encodeNtuSkeleton({ ...s, id }));
    }
    const t0 = performance.now();
    const first = scanNtu(dir, { dataset: 'ntu60' });
    const firstMs = performance.now() - t0;
    const times = [];
    const cpu = [];
    let r;
    for (let rep = 0; rep < 5; rep++) {
      const c0 = process.cpuUsage();
      const t = performance.now();
      r = scanNtu(dir, { dataset: 'ntu60' });
      times.push(performance.now() - t);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    if (r.report.cache !== 'hit' || r.report.samples !== n) throw new Error(`unexpected cache result ${JSON.stringify(r.report.cache)} ${r.report.samples}`);
    console.log(JSON.stringify({ name: 'cache-load', backend: 'js', ms_per_step: +median(times).toFixed(1), cpu_ms: +median(cpu).toFixed(1), samples: n,
      first_scan_ms: +firstMs.toFixed(1), first_scan_samples: first.report.samples }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

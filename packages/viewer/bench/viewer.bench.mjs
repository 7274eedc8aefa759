// Benchmarks of the viewer's server (built package): how fast a sample view (raw + preprocessed JSON) and an upload
// of a .skeleton file are answered over loopback HTTP. One JSON line per config.
import { initBackend } from '@llmar/tensor';
import { encodeNtuSkeleton, generateSyntheticDataset } from '@llmar/skeleton-datasets';
import { startViewer } from '@llmar/viewer';

const info = await initBackend();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn, warm = 3, reps = 15) {
  for (let i = 0; i < warm; i++) await fn();
  const ts = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    bytes = await fn();
    ts.push(performance.now() - t0);
  }
  const ms = median(ts);
  return { ms, mbPerS: bytes / 1e6 / (ms / 1e3), bytes };
}

const viewer = await startViewer({});
try {
  const view = await time(async () => (await (await fetch(`${viewer.url}api/sample?key=d13`)).arrayBuffer()).byteLength);
  console.log(JSON.stringify({ name: 'viewer-sample-view', backend: info.label, ms_per_step: +view.ms.toFixed(2), mb_per_s: +view.mbPerS.toFixed(1), bytes: view.bytes }));
  const s = generateSyntheticDataset({ seed: 0, subjects: 1, cameras: 1, repetitions: 1, classes: 1, frames: [120, 120] })[0];
  const body = JSON.stringify({ files: [{ name: `${s.id}.skeleton`, base64: Buffer.from(encodeNtuSkeleton(s)).toString('base64') }] });
  const up = await time(async () => {
    const r = await fetch(`${viewer.url}api/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await r.arrayBuffer();
    return body.length;
  });
  console.log(JSON.stringify({ name: 'viewer-upload-skeleton', backend: info.label, ms_per_step: +up.ms.toFixed(2), mb_per_s: +up.mbPerS.toFixed(1), frames: s.frames }));
} finally {
  await viewer.close();
}

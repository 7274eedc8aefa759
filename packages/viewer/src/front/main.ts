/** The page's script: sample list, two skeleton players, token chips, recognition and usage plots, file drop. */
import { SkeletonView, attachOrbit, type OrbitState } from './player';
import { drawCodebook, drawRankFrequency } from './plots';
import { tokenAt, tokenColor } from './projection';
import type { RecognizeAnswer, SampleSummary, SampleView, TokensAnswer, UsageAnswer, ViewerInfo } from '../types';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function api<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = (await res.json().catch(() => null)) as (T & { error?: { message: string } }) | null;
  if (!res.ok) throw new Error(body?.error?.message ?? `${url}: HTTP ${res.status}`);
  return body as T;
}

function showError(e: unknown): void {
  $('error').textContent = e instanceof Error ? e.message : String(e);
}

const orbit: OrbitState = { yaw: 0, pitch: 0.2, zoom: 1 };
const raw = new SkeletonView($<HTMLCanvasElement>('raw'), orbit);
const prepared = new SkeletonView($<HTMLCanvasElement>('prepared'), orbit);
const state = { t: 0, playing: false, last: 0, tokens: null as TokensAnswer | null, key: '', load: 0 };

function redraw(): void {
  raw.draw(state.t);
  prepared.draw(state.t);
  const fr = raw.frameAt(state.t);
  const fp = prepared.frameAt(state.t);
  $('frame').textContent = fr < 0 ? 'frame –'
    : `frame ${fr + 1} / ${raw.frames}` + (fp >= 0 ? ` · preprocessed ${fp + 1} / ${prepared.frames}` : '');
  ($<HTMLInputElement>('scrub')).value = String(Math.round(state.t * 1000));
  $('cursor').style.left = `calc(${(state.t * 100).toFixed(2)}% - 1px)`;
  const chips = $('tokens').children;
  const cur = tokenAt(state.t, chips.length);
  for (let i = 0; i < chips.length; i++) (chips[i] as HTMLElement).style.opacity = i === cur || !state.playing ? '1' : '0.75';
}

function tick(now: number): void {
  if (state.playing) {
    const dt = state.last ? Math.min(0.1, (now - state.last) / 1000) : 0;
    const n = Math.max(2, raw.frames);
    state.t += (dt * 30) / (n - 1); // 30 raw frames per second
    if (state.t > 1) state.t = 0;
    redraw();
  }
  state.last = now;
  requestAnimationFrame(tick);
}

function setPlaying(p: boolean): void {
  state.playing = p;
  $('play').textContent = p ? 'pause' : 'play';
  redraw();
}

function showSpan(i: number | null, n: number): void {
  const span = $('span');
  const chips = $('tokens').children;
  for (const c of Array.from(chips)) c.classList.remove('hl', 'partner');
  if (i === null) { span.style.display = 'none'; return; }
  span.style.display = 'block';
  span.style.left = `${((i / n) * 100).toFixed(3)}%`;
  span.style.width = `${(100 / n).toFixed(3)}%`;
  chips[i]?.classList.add('hl');
  const partner = (chips[i] as HTMLElement | undefined)?.dataset.partner;
  if (partner) chips[Number(partner)]?.classList.add('partner');
}

function renderTokens(t: TokensAnswer): void {
  const box = $('tokens');
  box.textContent = '';
  showSpan(null, 1);
  if (!t.available) { $('tokenNote').textContent = t.reason; return; }
  const n = t.tokens.length;
  t.tokens.forEach((id, i) => {
    const chip = document.createElement('div');
    chip.className = 'chip';
    chip.textContent = String(id);
    chip.dataset.index = String(i);
    chip.dataset.token = String(id);
    chip.style.background = tokenColor(id);
    const a = i * t.framesPerToken;
    const partner = t.pairedWith[i];
    chip.title = `token ${id} at position ${i + 1}: model-input frames ${a + 1}–${a + t.framesPerToken}` +
      (partner !== null ? `; paired with token ${t.tokens[partner]} at position ${partner + 1}` : '');
    if (partner !== null) { chip.classList.add('paired'); chip.dataset.partner = String(partner); }
    chip.addEventListener('mouseenter', () => showSpan(i, n));
    chip.addEventListener('mouseleave', () => showSpan(null, n));
    chip.addEventListener('click', () => { state.t = n > 1 ? i / n + 0.5 / n : 0; redraw(); });
    box.appendChild(chip);
  });
  const paired = t.pairedWith.filter((p) => p !== null).length;
  $('tokenNote').textContent = `${n} tokens, ${t.framesPerToken} model-input frames each; ${paired} paired (dot); hover a chip to see its span` +
    (t.codebookSize ? `; codebook of ${t.codebookSize}` : '');
}

function renderRecognition(r: RecognizeAnswer): void {
  const list = $('ranked');
  list.textContent = '';
  if (!r.available) {
    $('norun').textContent = r.reason;
    $('generated').textContent = '–';
    return;
  }
  $('norun').textContent = '';
  $('truth').textContent = r.trueLabel ?? 'unknown';
  $('generated').textContent = r.generated ?? '(not generated)';
  for (const c of r.ranked.slice(0, 10)) {
    const li = document.createElement('li');
    if (c.name === r.trueLabel) li.classList.add('truth');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.name;
    const score = document.createElement('span');
    score.textContent = c.score.toFixed(3);
    li.append(name, score);
    list.appendChild(li);
  }
}

async function loadSample(key: string): Promise<void> {
  const ticket = ++state.load;
  state.key = key;
  const v = await api<SampleView>(`/api/sample?key=${encodeURIComponent(key)}`);
  if (ticket !== state.load) return;
  raw.set(v.raw, v.bones);
  prepared.set(v.prepared, v.bones, v.preparedError ? `preprocessing failed: ${v.preparedError}` : '');
  $('rawNote').textContent = `${v.id}: ${v.raw.note}; ${v.topology}`;
  $('preparedNote').textContent = v.prepared?.note ?? v.preparedError ?? '';
  $('truth').textContent = v.labelName ?? (v.label >= 0 ? `class ${v.label}` : 'unknown');
  state.t = 0;
  redraw();
  $('error').textContent = '';
  const [tokens, rec] = await Promise.all([
    api<TokensAnswer>(`/api/tokens?key=${encodeURIComponent(key)}`).catch((e) => ({ available: false as const, reason: `tokenizer failed: ${(e as Error).message}` })),
    api<RecognizeAnswer>(`/api/recognize?key=${encodeURIComponent(key)}`).catch((e) => ({ available: false as const, reason: `recognition failed: ${(e as Error).message}` })),
  ]);
  if (ticket !== state.load) return;
  state.tokens = tokens;
  renderTokens(tokens);
  renderRecognition(rec);
  redraw();
  document.body.dataset.loaded = key;
}

function addOptions(rows: SampleSummary[]): void {
  const sel = $<HTMLSelectElement>('sample');
  for (const r of rows) {
    const o = document.createElement('option');
    o.value = r.key;
    o.textContent = `${r.key.startsWith('u') ? '[dropped] ' : ''}${r.id} · ${r.labelName ?? (r.label >= 0 ? `class ${r.label}` : '?')} · ${r.frames} frames`;
    sel.appendChild(o);
  }
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function uploadFiles(files: File[]): Promise<void> {
  if (!files.length) return;
  const payload = { files: await Promise.all(files.map(async (f) => ({ name: f.name, base64: toBase64(new Uint8Array(await f.arrayBuffer())) }))) };
  const r = await api<{ samples: SampleSummary[] }>('/api/upload', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  addOptions(r.samples);
  const sel = $<HTMLSelectElement>('sample');
  sel.value = r.samples[0].key;
  await loadSample(r.samples[0].key);
}

async function loadUsage(): Promise<void> {
  const u = await api<UsageAnswer>('/api/usage');
  if (!u.available) { $('usageNote').textContent = u.reason; return; }
  drawRankFrequency($<HTMLCanvasElement>('rankfreq'), u.usage);
  drawCodebook($<HTMLCanvasElement>('codebook'), u.usage.codebookCounts);
  $('usageNote').textContent = `${u.usage.codebookCounts.filter((c) => c > 0).length} of ${u.usage.codebookCounts.length} codes used (from ${u.source})`;
}

async function init(): Promise<void> {
  for (const v of [raw, prepared]) attachOrbit(v.canvas, orbit, redraw);
  $('play').addEventListener('click', () => setPlaying(!state.playing));
  $('scrub').addEventListener('input', (e) => { state.t = Number((e.target as HTMLInputElement).value) / 1000; redraw(); });
  $('resetView').addEventListener('click', () => { Object.assign(orbit, { yaw: 0, pitch: 0.2, zoom: 1 }); redraw(); });
  $('sample').addEventListener('change', (e) => { loadSample((e.target as HTMLSelectElement).value).catch(showError); });
  $('file').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    uploadFiles(Array.from(input.files ?? [])).catch(showError).finally(() => { input.value = ''; });
  });
  const drop = $('drop');
  window.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  window.addEventListener('dragleave', () => drop.classList.remove('over'));
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    uploadFiles(Array.from(e.dataTransfer?.files ?? [])).catch(showError);
  });
  window.addEventListener('resize', redraw);
  window.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement | null;
    if (target && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) return;
    if (e.key === ' ') { e.preventDefault(); setPlaying(!state.playing); }
    else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const n = Math.max(2, raw.frames);
      const f = Math.min(n - 1, Math.max(0, raw.frameAt(state.t) + (e.key === 'ArrowRight' ? 1 : -1)));
      state.t = f / (n - 1);
      redraw();
    }
  });
  requestAnimationFrame(tick);
  const info = await api<ViewerInfo>('/api/info');
  $('dataset').textContent = `${info.dataset}${info.dataDir ? ` from ${info.dataDir}` : ' (generated in memory)'}: ${info.samples} samples` +
    (info.skipped.length ? `, ${info.skipped.length}+ skipped` : '') + (info.runDir ? ` · run ${info.runDir}` : '');
  if (!info.recognizer.available) $('norun').textContent = info.recognizer.reason ?? 'no trained run';
  if (info.runTop1 !== undefined) $('runTop1').textContent = `${(info.runTop1 * 100).toFixed(1)} % (metrics.json)`;
  loadUsage().catch(showError);
  const rows = await api<SampleSummary[]>('/api/samples');
  addOptions(rows);
  if (rows.length) await loadSample(rows[0].key);
  else raw.set(null, [], 'the dataset has no samples');
  document.body.dataset.ready = '1';
}

init().catch(showError);

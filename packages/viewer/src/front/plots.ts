import { tokenColor } from './projection';
import type { TokenUsage } from '../types';

function prepare(c: HTMLCanvasElement): { g: CanvasRenderingContext2D; w: number; h: number; dpr: number } | null {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(c.clientWidth * dpr));
  const h = Math.max(1, Math.round(c.clientHeight * dpr));
  c.width = w;
  c.height = h;
  const g = c.getContext('2d');
  if (!g) return null;
  g.clearRect(0, 0, w, h);
  g.font = `${10 * dpr}px system-ui, sans-serif`;
  return { g, w, h, dpr };
}

/** Log-log rank-frequency of the run's token usage (dots) against the Zipf target (line), both as probabilities. */
export function drawRankFrequency(c: HTMLCanvasElement, usage: TokenUsage): void {
  const p = prepare(c);
  if (!p) return;
  const { g, w, h, dpr } = p;
  const total = usage.rankFrequency.reduce((a, b) => a + b, 0) || 1;
  const zTotal = usage.zipfTarget.reduce((a, b) => a + b, 0) || 1;
  const freq = usage.rankFrequency.map((v) => v / total);
  const zipf = usage.zipfTarget.map((v) => v / zTotal);
  const n = Math.max(freq.length, zipf.length, 2);
  const positive = [...freq, ...zipf].filter((v) => v > 0);
  const lo = Math.log10(Math.min(...positive, 1e-4));
  const hi = Math.log10(Math.max(...positive, 1e-3));
  const L = 34 * dpr, R = 8 * dpr, T = 8 * dpr, B = 20 * dpr;
  const X = (k: number) => L + (Math.log10(k) / Math.log10(n)) * (w - L - R);
  const Y = (v: number) => T + (1 - (Math.log10(v) - lo) / (hi - lo || 1)) * (h - T - B);
  g.strokeStyle = '#c7c7cc';
  g.strokeRect(L, T, w - L - R, h - T - B);
  g.fillStyle = '#6b6b70';
  g.fillText('rank (log)', w / 2 - 20 * dpr, h - 5 * dpr);
  g.fillText(`1e${Math.round(hi)}`, 2 * dpr, T + 8 * dpr);
  g.fillText(`1e${Math.round(lo)}`, 2 * dpr, h - B);
  g.strokeStyle = '#f59e0b';
  g.lineWidth = 2 * dpr;
  g.beginPath();
  zipf.forEach((v, i) => { if (v > 0) (i ? g.lineTo(X(i + 1), Y(v)) : g.moveTo(X(i + 1), Y(v))); });
  g.stroke();
  g.fillStyle = '#2563eb';
  freq.forEach((v, i) => {
    if (v <= 0) return;
    g.beginPath();
    g.arc(X(i + 1), Y(v), 2 * dpr, 0, Math.PI * 2);
    g.fill();
  });
  g.fillStyle = '#f59e0b';
  g.fillText('Zipf target', w - 70 * dpr, T + 12 * dpr);
  g.fillStyle = '#2563eb';
  g.fillText('run', w - 70 * dpr, T + 24 * dpr);
}

/** One bar per codebook index (its usage count), coloured like the token chips. */
export function drawCodebook(c: HTMLCanvasElement, counts: number[]): void {
  const p = prepare(c);
  if (!p) return;
  const { g, w, h, dpr } = p;
  const L = 6 * dpr, B = 16 * dpr, T = 6 * dpr;
  const max = Math.max(1, ...counts);
  const bw = (w - 2 * L) / Math.max(1, counts.length);
  counts.forEach((v, i) => {
    const bh = (v / max) * (h - T - B);
    g.fillStyle = tokenColor(i);
    g.fillRect(L + i * bw, h - B - bh, Math.max(1, bw - (bw > 3 ? 1 : 0)), bh);
  });
  const dead = counts.filter((v) => v === 0).length;
  g.fillStyle = '#6b6b70';
  g.fillText(`index 0 … ${counts.length - 1}; ${dead} unused; max ${max}`, L, h - 3 * dpr);
}

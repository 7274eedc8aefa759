/** Small dependency-free SVG charts for run reports. */

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 || a < 0.01 ? v.toExponential(1) : v.toFixed(a >= 10 ? 0 : 2);
}

/** A line series. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  /** Log-scale axes. @default false */
  logX?: boolean;
  /** @default false */
  logY?: boolean;
  /** @default 640 */
  width?: number;
  /** @default 360 */
  height?: number;
}

/** A multi-series line chart with axes, ticks and a legend. */
export function lineChart(series: Series[], o: LineChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 360;
  const m = { l: 64, r: 150, t: 32, b: 44 };
  const tx = (v: number) => (o.logX ? Math.log10(Math.max(v, 1e-12)) : v);
  const ty = (v: number) => (o.logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  let [x0, x1] = [Math.min(...pts.map((p) => tx(p[0]))), Math.max(...pts.map((p) => tx(p[0])))];
  let [y0, y1] = [Math.min(...pts.map((p) => ty(p[1]))), Math.max(...pts.map((p) => ty(p[1])))];
  if (!pts.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const px = (v: number) => m.l + ((tx(v) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (v: number) => H - m.b - ((ty(v) - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${esc(o.title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const xv = x0 + ((x1 - x0) * k) / 4;
    const yv = y0 + ((y1 - y0) * k) / 4;
    const X = m.l + ((W - m.l - m.r) * k) / 4;
    const Y = H - m.b - ((H - m.t - m.b) * k) / 4;
    out.push(`<text x="${X}" y="${H - m.b + 14}" text-anchor="middle">${fmt(o.logX ? 10 ** xv : xv)}</text>`);
    out.push(`<text x="${m.l - 4}" y="${Y + 4}" text-anchor="end">${fmt(o.logY ? 10 ** yv : yv)}</text>`);
    out.push(`<line x1="${m.l}" y1="${Y}" x2="${W - m.r}" y2="${Y}" stroke="#eee"/>`);
  }
  if (o.xLabel) out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  if (o.yLabel) out.push(`<text x="14" y="${(m.t + H - m.b) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(m.t + H - m.b) / 2})">${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const d = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y], k) => `${k ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
    if (d) out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    out.push(`<line x1="${W - m.r + 10}" y1="${m.t + 10 + 16 * i}" x2="${W - m.r + 28}" y2="${m.t + 10 + 16 * i}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${W - m.r + 32}" y="${m.t + 14 + 16 * i}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** A confusion-matrix heat map (rows: true class, columns: predicted), with counts. */
export function confusionChart(matrix: number[][], names: string[], title = 'Confusion matrix'): string {
  const n = matrix.length;
  const cell = Math.max(14, Math.min(36, Math.floor(480 / Math.max(n, 1))));
  const lab = 150;
  const W = lab + n * cell + 20;
  const H = lab + n * cell + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="10">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="14" text-anchor="middle" font-size="13">${esc(title)}</text>`,
  ];
  matrix.forEach((row, i) => {
    const tot = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((v, j) => {
      const a = v / tot;
      const x = lab + j * cell;
      const y = lab + i * cell;
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${Math.round(255 - 224 * a)},${Math.round(255 - 136 * a)},${Math.round(255 - 75 * a)})" stroke="#ddd"/>`);
      if (v > 0 && cell >= 16) out.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 3}" text-anchor="middle" fill="${a > 0.5 ? 'white' : 'black'}">${v}</text>`);
    });
    out.push(`<text x="${lab - 4}" y="${lab + i * cell + cell / 2 + 3}" text-anchor="end">${esc(names[i] ?? String(i))}</text>`);
    const cx = lab + i * cell + cell / 2;
    out.push(`<text x="${cx}" y="${lab - 4}" transform="rotate(-60 ${cx} ${lab - 4})">${esc(names[i] ?? String(i))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

import { boundingSphere, frameAt, isMissing, project, toYUp, type OrbitCamera, type Projected } from './projection';
import type { SequenceView } from '../types';

/** Body colours (body 1, 2, 3, ...). */
export const BODY_COLORS = ['#2563eb', '#dc2626', '#059669', '#9333ea', '#d97706'];

/** Shared orbit state of both views (drag on either turns both). */
export interface OrbitState {
  yaw: number;
  pitch: number;
  zoom: number;
}

/** Draws one sequence on one canvas at a normalised time. */
export class SkeletonView {
  private seq: SequenceView | null = null;
  private bones: [number, number][] = [];
  private sphere = { center: [0, 0, 0] as [number, number, number], radius: 1 };
  message = '';

  constructor(readonly canvas: HTMLCanvasElement, private readonly orbit: OrbitState) {}

  set(seq: SequenceView | null, bones: [number, number][], message = ''): void {
    this.seq = seq;
    this.bones = bones;
    this.message = message;
    if (seq) this.sphere = boundingSphere(seq.data, seq.up);
  }

  /** Frame drawn at time t (0-based), or -1 without a sequence. */
  frameAt(t: number): number {
    return this.seq ? frameAt(t, this.seq.frames) : -1;
  }

  get frames(): number {
    return this.seq?.frames ?? 0;
  }

  draw(t: number): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    const g = c.getContext('2d');
    if (!g) return;
    g.clearRect(0, 0, w, h);
    if (!this.seq) {
      g.fillStyle = '#6b6b70';
      g.font = `${13 * dpr}px system-ui, sans-serif`;
      g.fillText(this.message || 'no sequence', 12 * dpr, 24 * dpr);
      return;
    }
    const cam: OrbitCamera = { ...this.orbit, center: this.sphere.center, radius: this.sphere.radius };
    this.drawAxes(g, cam, w, h, dpr);
    const s = this.seq;
    const f = frameAt(t, s.frames);
    const J = s.joints;
    for (let b = 0; b < s.bodies; b++) {
      const base = (f * s.bodies + b) * J * 3;
      const pts: (Projected | null)[] = [];
      let any = false;
      for (let j = 0; j < J; j++) {
        const o = base + j * 3;
        if (isMissing(s.data, o)) { pts.push(null); continue; }
        any = true;
        pts.push(project(toYUp(s.data[o], s.data[o + 1], s.data[o + 2], s.up), cam, w, h));
      }
      if (!any) continue;
      const color = BODY_COLORS[b % BODY_COLORS.length];
      g.strokeStyle = color;
      g.fillStyle = color;
      g.lineWidth = 2.5 * dpr;
      g.lineCap = 'round';
      g.beginPath();
      for (const [a, q] of this.bones) {
        const pa = pts[a];
        const pb = pts[q];
        if (!pa || !pb) continue;
        g.moveTo(pa.x, pa.y);
        g.lineTo(pb.x, pb.y);
      }
      g.stroke();
      for (const p of pts) {
        if (!p) continue;
        g.beginPath();
        g.arc(p.x, p.y, (this.bones.length ? 2.5 : 3.5) * dpr, 0, Math.PI * 2);
        g.fill();
      }
    }
  }

  /** A small x / y / z triad at the sequence centre (faint), so orbiting shows which way is which. */
  private drawAxes(g: CanvasRenderingContext2D, cam: OrbitCamera, w: number, h: number, dpr: number): void {
    const s = this.seq;
    if (!s) return;
    const c = cam.center;
    const L = cam.radius * 0.35;
    const o = project(c, cam, w, h);
    if (!o) return;
    const axes: [string, [number, number, number]][] = [['x', [1, 0, 0]], ['y', [0, 1, 0]], ['z', [0, 0, 1]]];
    g.lineWidth = 1 * dpr;
    g.font = `${10 * dpr}px system-ui, sans-serif`;
    for (const [name, d] of axes) {
      const dd = toYUp(d[0], d[1], d[2], s.up);
      const p = project([c[0] + dd[0] * L, c[1] + dd[1] * L, c[2] + dd[2] * L], cam, w, h);
      if (!p) continue;
      g.strokeStyle = 'rgba(0,0,0,0.15)';
      g.beginPath();
      g.moveTo(o.x, o.y);
      g.lineTo(p.x, p.y);
      g.stroke();
      g.fillStyle = 'rgba(0,0,0,0.35)';
      g.fillText(name, p.x + 2 * dpr, p.y - 2 * dpr);
    }
  }
}

/** Drag to orbit, wheel to zoom: updates the shared state and calls `redraw`. */
export function attachOrbit(canvas: HTMLCanvasElement, orbit: OrbitState, redraw: () => void): void {
  let last: { x: number; y: number } | null = null;
  canvas.addEventListener('pointerdown', (e) => {
    last = { x: e.clientX, y: e.clientY };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    orbit.yaw -= (e.clientX - last.x) * 0.01;
    orbit.pitch = Math.max(-1.5, Math.min(1.5, orbit.pitch + (e.clientY - last.y) * 0.01));
    last = { x: e.clientX, y: e.clientY };
    redraw();
  });
  const end = () => { last = null; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    orbit.zoom = Math.max(0.2, Math.min(8, orbit.zoom * Math.exp(-e.deltaY * 0.001)));
    redraw();
  }, { passive: false });
}

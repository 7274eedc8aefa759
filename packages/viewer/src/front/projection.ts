/**
 * Our own small 3-D projection for line skeletons: an orbit camera (yaw, pitch, distance around a centre) and a pinhole
 * projection onto the canvas. Pure functions, no DOM, so they are unit-tested in Node.
 */
export type Vec3 = [number, number, number];

/** Orbit camera: looks at `center` from `distance` away; yaw turns about the vertical axis, pitch > 0 looks down. */
export interface OrbitCamera {
  yaw: number;
  pitch: number;
  center: Vec3;
  /** Radius of the sequence's bounding sphere (sets the scale). */
  radius: number;
  /** Zoom factor (wheel). @default 1 */
  zoom: number;
}

/** A projected point: canvas pixels and depth in front of the camera (> 0). */
export interface Projected {
  x: number;
  y: number;
  depth: number;
}

/** Camera distance in bounding-sphere radii (a mild perspective). */
export const DISTANCE_RADII = 3;

/**
 * Maps data coordinates to the viewer's y-up world: raw Kinect data is already y-up; view-aligned data (spine on +z)
 * is turned by −90° about x, (x, y, z) → (x, z, −y), a proper rotation.
 */
export function toYUp(x: number, y: number, z: number, up: 'y' | 'z'): Vec3 {
  return up === 'y' ? [x, y, z] : [x, z, -y];
}

/** Unit forward, right and up vectors of the camera (right-handed: right = forward × worldUp, up = right × forward). */
export function cameraBasis(yaw: number, pitch: number): { f: Vec3; r: Vec3; u: Vec3 } {
  const cp = Math.cos(pitch);
  const f: Vec3 = [Math.sin(yaw) * cp, -Math.sin(pitch), Math.cos(yaw) * cp];
  // f × (0, 1, 0) = (−f_z, 0, f_x), normalised.
  const n = Math.hypot(f[2], f[0]) || 1;
  const r: Vec3 = [-f[2] / n, 0, f[0] / n];
  const u: Vec3 = [r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2], r[0] * f[1] - r[1] * f[0]];
  return { f, r, u };
}

/** Projects world point p (y up) onto a w × h canvas; null when it is behind (or too close to) the camera. */
export function project(p: Vec3, cam: OrbitCamera, w: number, h: number): Projected | null {
  const { f, r, u } = cameraBasis(cam.yaw, cam.pitch);
  const d0 = cam.radius * DISTANCE_RADII;
  const q: Vec3 = [p[0] - cam.center[0], p[1] - cam.center[1], p[2] - cam.center[2]];
  const X = q[0] * r[0] + q[1] * r[1] + q[2] * r[2];
  const Y = q[0] * u[0] + q[1] * u[1] + q[2] * u[2];
  const Z = q[0] * f[0] + q[1] * f[1] + q[2] * f[2] + d0;
  if (Z < d0 * 0.05) return null;
  const k = (cam.zoom * Math.min(w, h)) / (2.4 * cam.radius);
  return { x: w / 2 + (k * X * d0) / Z, y: h / 2 - (k * Y * d0) / Z, depth: Z };
}

/** True when all three coordinates are zero: the datasets' mark of a missing joint. */
export function isMissing(data: ArrayLike<number>, off: number): boolean {
  return data[off] === 0 && data[off + 1] === 0 && data[off + 2] === 0;
}

/** Bounding sphere (box centre, half diagonal, at least 0.1) of every present joint of a [.., 3] array, y-up. */
export function boundingSphere(data: ArrayLike<number>, up: 'y' | 'z'): { center: Vec3; radius: number } {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let o = 0; o + 2 < data.length; o += 3) {
    if (isMissing(data, o)) continue;
    const p = toYUp(data[o], data[o + 1], data[o + 2], up);
    for (let c = 0; c < 3; c++) {
      if (p[c] < lo[c]) lo[c] = p[c];
      if (p[c] > hi[c]) hi[c] = p[c];
    }
  }
  if (!(lo[0] <= hi[0])) return { center: [0, 0, 0], radius: 1 };
  const center: Vec3 = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2];
  const radius = Math.max(0.1, Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) / 2);
  return { center, radius };
}

/** Frame index shown at normalised time t ∈ [0, 1] of a sequence of n frames. */
export function frameAt(t: number, n: number): number {
  if (n <= 1) return 0;
  return Math.min(n - 1, Math.max(0, Math.round(t * (n - 1))));
}

/** Index of the token covering normalised time t in a sentence of n tokens (token i covers [i/n, (i+1)/n)). */
export function tokenAt(t: number, n: number): number {
  if (n <= 0) return -1;
  return Math.min(n - 1, Math.max(0, Math.floor(t * n)));
}

/** Colour of a codebook index: golden-angle hues, so neighbouring indices differ clearly. */
export function tokenColor(id: number): string {
  const hue = ((id * 137.508) % 360 + 360) % 360;
  return `hsl(${hue.toFixed(1)}, 62%, 42%)`;
}

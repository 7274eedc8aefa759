import { describe, expect, it } from 'vitest';
import { boundingSphere, cameraBasis, frameAt, project, toYUp, tokenAt, DISTANCE_RADII, type OrbitCamera, type Vec3 } from '../src/front/projection';

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const angles = [[0, 0], [0.3, 0.2], [-1.2, 0.9], [2.5, -0.7], [Math.PI, 1.4]];

describe('orbit camera projection (float64 identities)', () => {
  it('the camera basis is orthonormal and right-handed for any yaw / pitch (1e-12)', () => {
    for (const [yaw, pitch] of angles) {
      const { f, r, u } = cameraBasis(yaw, pitch);
      for (const v of [f, r, u]) expect(Math.abs(dot(v, v) - 1)).toBeLessThan(1e-12);
      expect(Math.abs(dot(f, r))).toBeLessThan(1e-12);
      expect(Math.abs(dot(f, u))).toBeLessThan(1e-12);
      expect(Math.abs(dot(r, u))).toBeLessThan(1e-12);
      // r × u = -f for a camera looking along f with right r and up u (screen x right, y up, depth forward: left-handed view).
      const c: Vec3 = [r[1] * u[2] - r[2] * u[1], r[2] * u[0] - r[0] * u[2], r[0] * u[1] - r[1] * u[0]];
      for (let k = 0; k < 3; k++) expect(c[k]).toBeCloseTo(-f[k], 12);
      expect(u[1]).toBeGreaterThan(0); // never upside down within |pitch| < π/2
    }
  });

  it('at yaw 0 the camera looks along +z like the Kinect, so +x (the camera\'s left) is drawn on the left', () => {
    const cam: OrbitCamera = { yaw: 0, pitch: 0, center: [0, 1, 3], radius: 1, zoom: 1 };
    const c = project(cam.center, cam, 400, 300)!;
    expect(c.x).toBeCloseTo(200, 9);
    expect(c.y).toBeCloseTo(150, 9);
    expect(project([0.5, 1, 3], cam, 400, 300)!.x).toBeLessThan(200);
    expect(project([0, 1.5, 3], cam, 400, 300)!.y).toBeLessThan(150);
    expect(project([0, 1, 3.5], cam, 400, 300)!.depth).toBeCloseTo(DISTANCE_RADII + 0.5, 12);
  });

  it('is a pinhole: points on one ray from the eye land on one pixel, and nearer points of a segment look longer', () => {
    for (const [yaw, pitch] of angles) {
      const cam: OrbitCamera = { yaw, pitch, center: [0.2, -0.1, 2], radius: 0.8, zoom: 1.7 };
      const { f } = cameraBasis(yaw, pitch);
      const eye: Vec3 = [0, 1, 2].map((k) => cam.center[k] - f[k] * cam.radius * DISTANCE_RADII) as Vec3;
      const dir: Vec3 = [0.3, -0.2, 1];
      const along = (s: number): Vec3 => [eye[0] + (f[0] + 0.1 * dir[0]) * s, eye[1] + (f[1] + 0.1 * dir[1]) * s, eye[2] + (f[2] + 0.1 * dir[2]) * s];
      const a = project(along(1.5), cam, 640, 480)!;
      const b = project(along(4), cam, 640, 480)!;
      expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeLessThan(1e-9);
      expect(project(along(-1), cam, 640, 480)).toBeNull(); // behind the eye
    }
  });

  it('toYUp turns view-aligned data (z up) by a proper rotation: lengths kept, +z → +y', () => {
    expect(toYUp(0, 0, 1, 'z')).toEqual([0, 1, -0]);
    const p = toYUp(0.3, -1.2, 0.7, 'z');
    expect(Math.hypot(...p)).toBeCloseTo(Math.hypot(0.3, -1.2, 0.7), 14);
    // det of the map's matrix [[1,0,0],[0,0,1],[0,-1,0]] = +1 (no mirror): e_x × e_y ↦ e_z image.
    const ex = toYUp(1, 0, 0, 'z'), ey = toYUp(0, 1, 0, 'z'), ez = toYUp(0, 0, 1, 'z');
    const cross: Vec3 = [ex[1] * ey[2] - ex[2] * ey[1], ex[2] * ey[0] - ex[0] * ey[2], ex[0] * ey[1] - ex[1] * ey[0]];
    for (let k = 0; k < 3; k++) expect(cross[k]).toBeCloseTo(ez[k], 14);
  });

  it('the bounding sphere ignores missing (all-zero) joints', () => {
    const s = boundingSphere([0, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 0], 'y');
    expect(s.center).toEqual([2, 2, 2]);
    expect(s.radius).toBeCloseTo(Math.hypot(2, 0, 2) / 2, 14);
  });

  it('maps time to frames and tokens consistently at the ends', () => {
    expect(frameAt(0, 87)).toBe(0);
    expect(frameAt(1, 87)).toBe(86);
    expect(frameAt(0.5, 3)).toBe(1);
    expect(tokenAt(0, 16)).toBe(0);
    expect(tokenAt(1, 16)).toBe(15);
    expect(tokenAt(0.51, 16)).toBe(8);
  });
});

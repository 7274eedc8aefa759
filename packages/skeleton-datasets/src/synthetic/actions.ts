/**
 * The synthetic action classes: each one writes pose parameters for a normalised time u ∈ [0, 1] of its active phase.
 * Amplitude, speed of repetitive motions and a per-(subject, class) style vector make every person do it a bit
 * differently; two-person actions pose both bodies, which face each other.
 */
import { P } from './body';

/** Per-performance modifiers of an action. */
export interface ActionContext {
  /** 0 for the main person, 1 for the partner of a two-person action. */
  body: number;
  /** Scales the excursion from the rest pose (about 0.8..1.15). */
  amp: number;
  /** Scales the frequency of repetitive motions (waving, clapping, shaking). */
  freq: number;
  /** Per-(subject, class) style numbers in [−1, 1]. */
  style: Float64Array;
}

/** One synthetic action class. */
export interface SyntheticAction {
  name: string;
  /** 1 or 2 people. */
  bodies: 1 | 2;
  /** Typical length at 30 fps for an average performer, before speed variation. */
  frames: number;
  /** For two-person actions: the distance between the two pelvises (m) at time u. */
  distance?: (u: number, ctx: ActionContext) => number;
  /** Writes the pose of body `ctx.body` at time u into `p` (which holds the performer's rest pose). */
  pose: (u: number, p: Float64Array, ctx: ActionContext) => void;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
/** Smooth 0 → 1 between a and b. */
const ramp = (u: number, a: number, b: number): number => {
  const x = clamp01((u - a) / (b - a));
  return x * x * (3 - 2 * x);
};
/** Rises a → b, holds, falls c → d. */
const bump = (u: number, a: number, b: number, c: number, d: number): number => ramp(u, a, b) * (1 - ramp(u, c, d));
const osc = (u: number, cycles: number): number => Math.sin(2 * Math.PI * cycles * u);
/** p[i] ← p[i] + w · (target − p[i]). */
const mix = (p: Float64Array, i: number, target: number, w: number): void => {
  p[i] += w * (target - p[i]);
};

function wave(side: 'L' | 'R'): SyntheticAction['pose'] {
  const [E, A, B] = side === 'L' ? [P.L_ELEV, P.L_AZIM, P.L_ELBOW] : [P.R_ELEV, P.R_AZIM, P.R_ELBOW];
  return (u, p, { amp, freq, style }) => {
    const e = bump(u, 0, 0.2, 0.8, 1);
    mix(p, E, 2.2 + 0.25 * style[0] * amp, e);
    mix(p, A, 0.4 + 0.2 * style[1], e);
    mix(p, B, 0.8 + 0.2 * style[2], e);
    p[A] += e * 0.35 * amp * osc(u, 3 * freq);
    p[B] += e * 0.3 * amp * osc(u, 3 * freq);
  };
}

function stepInPlace(u: number, p: Float64Array, w: number, cycles: number): void {
  const s = osc(u, cycles);
  p[P.L_HIP] += w * 0.35 * Math.max(0, s);
  p[P.L_KNEE] += w * 0.6 * Math.max(0, s);
  p[P.R_HIP] += w * 0.35 * Math.max(0, -s);
  p[P.R_KNEE] += w * 0.6 * Math.max(0, -s);
}

/** Sitting weight w ∈ [0, 1] → pose (knees and hips bent to 90°, trunk leaning forward mid-way). */
function sit(p: Float64Array, w: number, style: Float64Array): void {
  for (const [h, k] of [[P.L_HIP, P.L_KNEE], [P.R_HIP, P.R_KNEE]]) {
    mix(p, h, 1.5 + 0.1 * style[0], w);
    mix(p, k, 1.55 + 0.1 * style[1], w);
  }
  p[P.PITCH] += 0.55 * Math.sin(Math.PI * w) + 0.12 * w;
  mix(p, P.L_ELEV, 0.5, w);
  mix(p, P.R_ELEV, 0.5, w);
  mix(p, P.L_AZIM, 1.3, w);
  mix(p, P.R_AZIM, 1.3, w);
  mix(p, P.L_ELBOW, 0.9, w);
  mix(p, P.R_ELBOW, 0.9, w);
}

/** The built-in actions, in label order. */
export const SYNTHETIC_ACTIONS: readonly SyntheticAction[] = [
  { name: 'wave left hand', bodies: 1, frames: 75, pose: wave('L') },
  { name: 'wave right hand', bodies: 1, frames: 75, pose: wave('R') },
  {
    name: 'raise both arms', bodies: 1, frames: 65,
    pose: (u, p, { amp, style }) => {
      const e = bump(u, 0.05, 0.4, 0.65, 0.95);
      for (const [E, A, B] of [[P.L_ELEV, P.L_AZIM, P.L_ELBOW], [P.R_ELEV, P.R_AZIM, P.R_ELBOW]]) {
        mix(p, E, Math.min(3.0, 2.75 * amp + 0.15 * style[0]), e);
        mix(p, A, 0.35 + 0.25 * style[1], e);
        mix(p, B, 0.1, e);
      }
      p[P.HEAD] -= 0.2 * e;
    },
  },
  {
    name: 'clap hands', bodies: 1, frames: 65,
    pose: (u, p, { amp, freq, style }) => {
      const e = bump(u, 0, 0.2, 0.8, 1);
      const open = 0.5 + 0.5 * osc(u, 4 * freq);
      for (const [E, A, B] of [[P.L_ELEV, P.L_AZIM, P.L_ELBOW], [P.R_ELEV, P.R_AZIM, P.R_ELBOW]]) {
        mix(p, E, 1.25 + 0.15 * style[0], e);
        mix(p, A, 1.8 - 0.7 * amp * open, e);
        mix(p, B, 0.6 + 0.15 * style[1] + 0.3 * (1 - open), e);
      }
    },
  },
  {
    name: 'punch', bodies: 1, frames: 55,
    pose: (u, p, { amp, freq, style }) => {
      const guard = bump(u, 0, 0.15, 0.85, 1);
      for (const [E, A, B] of [[P.L_ELEV, P.L_AZIM, P.L_ELBOW], [P.R_ELEV, P.R_AZIM, P.R_ELBOW]]) {
        mix(p, E, 0.55, guard);
        mix(p, A, 1.35, guard);
        mix(p, B, 2.1 + 0.1 * style[0], guard);
      }
      const hit = guard * Math.max(0, osc(u, 2 * freq)) ** 2 * amp;
      mix(p, P.R_ELEV, 1.5 + 0.15 * style[1], hit);
      mix(p, P.R_AZIM, 1.62, hit);
      mix(p, P.R_ELBOW, 0.05, hit);
      p[P.YAW] -= 0.25 * hit;
    },
  },
  {
    name: 'kick', bodies: 1, frames: 55,
    pose: (u, p, { amp, style }) => {
      const lift = bump(u, 0.1, 0.4, 0.55, 0.85);
      const extend = bump(u, 0.3, 0.45, 0.5, 0.7);
      mix(p, P.R_HIP, (1.2 + 0.15 * style[0]) * amp, lift);
      mix(p, P.R_KNEE, 1.3 - 1.2 * extend, lift);
      p[P.PITCH] -= 0.15 * lift;
      mix(p, P.L_ELEV, 0.6, lift);
      mix(p, P.R_ELEV, 0.6, lift);
    },
  },
  {
    name: 'squat', bodies: 1, frames: 75,
    pose: (u, p, { amp, style }) => {
      const d = bump(u, 0.05, 0.45, 0.6, 0.95) * Math.min(1, amp);
      for (const [h, k] of [[P.L_HIP, P.L_KNEE], [P.R_HIP, P.R_KNEE]]) {
        mix(p, h, 1.65 + 0.1 * style[0], d);
        mix(p, k, 2.25 + 0.1 * style[1], d);
      }
      p[P.PITCH] += 0.55 * d;
      mix(p, P.L_ELEV, 1.45, d);
      mix(p, P.R_ELEV, 1.45, d);
      mix(p, P.L_AZIM, 1.5, d);
      mix(p, P.R_AZIM, 1.5, d);
      mix(p, P.L_ELBOW, 0.1, d);
      mix(p, P.R_ELBOW, 0.1, d);
    },
  },
  {
    name: 'jump', bodies: 1, frames: 50,
    pose: (u, p, { amp, style }) => {
      const crouch = bump(u, 0.05, 0.3, 0.32, 0.4) + bump(u, 0.7, 0.75, 0.8, 0.95);
      const air = clamp01((u - 0.4) / 0.32);
      const h = air > 0 && air < 1 ? 4 * air * (1 - air) : 0;
      for (const [hp, k] of [[P.L_HIP, P.L_KNEE], [P.R_HIP, P.R_KNEE]]) {
        p[hp] += 0.7 * crouch;
        p[k] += 1.2 * crouch;
      }
      p[P.PITCH] += 0.3 * crouch;
      p[P.LIFT] = (0.3 + 0.05 * style[0]) * amp * h;
      const swing = ramp(u, 0.3, 0.45) * (1 - ramp(u, 0.65, 0.8));
      mix(p, P.L_ELEV, 2.4, swing);
      mix(p, P.R_ELEV, 2.4, swing);
      mix(p, P.L_AZIM, 1.2, swing);
      mix(p, P.R_AZIM, 1.2, swing);
    },
  },
  {
    name: 'bow', bodies: 1, frames: 65,
    pose: (u, p, { amp, style }) => {
      const b = bump(u, 0.05, 0.4, 0.6, 0.95);
      p[P.PITCH] += (0.95 + 0.15 * style[0]) * amp * b;
      p[P.HEAD] += 0.3 * b;
      mix(p, P.L_ELEV, 0.05, b);
      mix(p, P.R_ELEV, 0.05, b);
    },
  },
  { name: 'sit down', bodies: 1, frames: 75, pose: (u, p, { style }) => sit(p, ramp(u, 0.1, 0.85), style) },
  { name: 'stand up', bodies: 1, frames: 75, pose: (u, p, { style }) => sit(p, 1 - ramp(u, 0.15, 0.9), style) },
  {
    name: 'turn around', bodies: 1, frames: 85,
    pose: (u, p, { amp, freq, style }) => {
      const w = ramp(u, 0.1, 0.9);
      p[P.YAW] += (Math.PI + 0.2 * style[0]) * w;
      stepInPlace(u, p, bump(u, 0.05, 0.15, 0.85, 0.95) * amp, 3 * freq);
    },
  },
  {
    name: 'handshake', bodies: 2, frames: 75,
    distance: (u) => 1.2 - 0.3 * ramp(u, 0.05, 0.3) + 0.3 * ramp(u, 0.8, 1),
    pose: (u, p, { amp, freq, style }) => {
      const e = bump(u, 0.15, 0.35, 0.75, 0.95);
      mix(p, P.R_ELEV, 1.05 + 0.1 * style[0], e);
      mix(p, P.R_AZIM, 1.85, e);
      mix(p, P.R_ELBOW, 0.55 + 0.1 * style[1], e);
      p[P.R_ELEV] += e * 0.12 * amp * osc(u, 3 * freq);
      p[P.PITCH] += 0.08 * e;
    },
  },
  {
    name: 'hug', bodies: 2, frames: 85,
    distance: (u) => 1.3 - 0.9 * ramp(u, 0.05, 0.35) + 0.9 * ramp(u, 0.75, 1),
    pose: (u, p, { amp, style, body }) => {
      const e = bump(u, 0.15, 0.4, 0.7, 0.9);
      // One partner hugs over the shoulders, the other under the arms.
      const high = body === 0 ? 1.75 : 1.25;
      for (const [E, A, B] of [[P.L_ELEV, P.L_AZIM, P.L_ELBOW], [P.R_ELEV, P.R_AZIM, P.R_ELBOW]]) {
        mix(p, E, high + 0.15 * style[0], e);
        mix(p, A, 1.95, e);
        mix(p, B, (1.3 + 0.15 * style[1]) * amp, e);
      }
      p[P.PITCH] += 0.2 * e;
      p[P.HEAD] -= 0.25 * e;
    },
  },
];

/** Class names of the synthetic actions, in label order. */
export const SYNTHETIC_CLASS_NAMES: readonly string[] = SYNTHETIC_ACTIONS.map((a) => a.name);

import { describe, expect, it } from 'vitest';
import { Rng, normalFrom } from './rng';

describe('Rng', () => {
  it('is deterministic by seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 50 }, () => a.next());
    const xb = Array.from({ length: 50 }, () => b.next());
    const xc = Array.from({ length: 50 }, () => c.next());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('saves and restores its state exactly', () => {
    const r = new Rng(7);
    for (let i = 0; i < 10; i++) r.next();
    const saved = r.state;
    const after = Array.from({ length: 20 }, () => r.nextU32());
    r.state = saved;
    expect(Array.from({ length: 20 }, () => r.nextU32())).toEqual(after);
  });

  it('draws uniforms in [0, 1) with the right moments and ints evenly', () => {
    const r = new Rng(1);
    const n = 100000;
    let s = 0;
    let s2 = 0;
    const counts = new Int32Array(10);
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      s += u;
      s2 += u * u;
      counts[r.int(10)]++;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    // Standard error of the mean is 0.29 / sqrt(n) ≈ 0.0009; tolerance 0.005 (> 5 standard errors).
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(s2 / n - 1 / 3)).toBeLessThan(0.005);
    // Each bin count has sd ≈ 95; allow ±500.
    for (const c of counts) expect(Math.abs(c - n / 10)).toBeLessThan(500);
  });

  it('draws standard normals (mean 0, variance 1) from itself and from any RandomSource', () => {
    const r = new Rng(3);
    const n = 100000;
    for (const draw of [() => r.normal(), () => normalFrom(r)]) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const z = draw();
        s += z;
        s2 += z * z;
      }
      // se(mean) = 1/sqrt(n) ≈ 0.003, se(var) ≈ sqrt(2/n) ≈ 0.0045.
      expect(Math.abs(s / n)).toBeLessThan(0.02);
      expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
    }
  });

  it('shuffles into a permutation, reproducibly', () => {
    const a = new Rng(5).shuffle(Int32Array.from({ length: 100 }, (_, i) => i));
    const b = new Rng(5).shuffle(Int32Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

import { describe, it, expect } from 'vitest';
import { Rng } from './index';

describe('Rng', () => {
  it('is deterministic by seed and restores from its state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    const saved = a.state;
    const next = [a.next(), a.next()];
    const c = new Rng(0);
    c.state = saved;
    expect([c.next(), c.next()]).toEqual(next);
    expect(new Rng(43).next()).not.toBe(xs[0]);
  });

  it('has the moments of U(0,1) and N(0,1) (n = 200k, 5 standard errors)', () => {
    const r = new Rng(7);
    const n = 200_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.next();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sn / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('shuffle is a permutation', () => {
    const a = Array.from({ length: 100 }, (_, i) => i);
    new Rng(1).shuffle(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

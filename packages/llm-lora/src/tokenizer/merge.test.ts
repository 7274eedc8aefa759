import { describe, it, expect } from 'vitest';
import { Rng } from '@llmar/tensor';
import { mergePairs } from './merge';

/** The O(n²) reference: repeatedly merge the best pair, the leftmost on ties (llama2.c's loop). */
function naive(symbols: string[], priority: (a: string, b: string) => number | undefined): string[] {
  const s = symbols.slice();
  for (;;) {
    let best = Infinity;
    let at = -1;
    for (let i = 0; i + 1 < s.length; i++) {
      const p = priority(s[i], s[i + 1]);
      if (p !== undefined && p < best) {
        best = p;
        at = i;
      }
    }
    if (at < 0) return s;
    s.splice(at, 2, s[at] + s[at + 1]);
  }
}

describe('mergePairs', () => {
  it('equals the quadratic reference on random merge tables with many ties', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 40; trial++) {
      const table = new Map<string, number>();
      const alphabet = 'abcd';
      const grow = ['a', 'b', 'c', 'd'];
      for (let k = 0; k < 25; k++) {
        const x = grow[rng.int(grow.length)];
        const y = grow[rng.int(grow.length)];
        if (x.length + y.length > 6) continue;
        table.set(x + y, rng.int(6)); // few distinct priorities: ties everywhere
        grow.push(x + y);
      }
      const prio = (a: string, b: string) => table.get(a + b);
      const text = Array.from({ length: 1 + rng.int(60) }, () => alphabet[rng.int(4)]);
      expect(mergePairs(text, prio)).toEqual(naive(text, prio));
    }
    expect(mergePairs([], () => 0)).toEqual([]);
    expect(mergePairs(['x'], () => 0)).toEqual(['x']);
  });

  it('is fast on long inputs', () => {
    const text = Array.from('ab'.repeat(20000));
    const t0 = performance.now();
    const out = mergePairs(text, (a, b) => (a.length + b.length <= 64 ? a.length + b.length : undefined));
    expect(out.join('')).toBe('ab'.repeat(20000));
    expect(out.every((s) => s.length <= 64)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

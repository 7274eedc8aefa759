import { describe, expect, it } from 'vitest';
import { tokenHealth, zipfTarget, js64 } from './health';

describe('token health', () => {
  it('perplexity, dead codes and the Zipf gap on known distributions', () => {
    const U = 8;
    const uniform = Array.from({ length: 64 }, (_, i) => i % U);
    const h = tokenHealth(uniform, 4, U);
    expect(h.perplexity).toBeCloseTo(8, 10);
    expect(h.deadCodes).toBe(0);
    expect(h.zipfGap).toBeCloseTo(js64(new Array(U).fill(1 / U), zipfTarget(U)), 12);
    const collapsed = tokenHealth(new Array(40).fill(3), 4, U);
    expect(collapsed.perplexity).toBeCloseTo(1, 12);
    expect(collapsed.deadCodes).toBe(7);
    expect(collapsed.zipfGap).toBeGreaterThan(h.zipfGap);
    expect(collapsed.rankFrequency).toEqual([40, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('zipf target is normalised and decreasing; JS is symmetric and bounded by ln 2', () => {
    const z = zipfTarget(512);
    expect(z.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let k = 1; k < z.length; k++) expect(z[k]).toBeLessThan(z[k - 1]);
    expect(z[0] / z[1]).toBeCloseTo((2 + 2.7) / (1 + 2.7), 12);
    const p = [1, 0, 0, 0];
    const q = [0, 0, 0, 1];
    expect(js64(p, q)).toBeCloseTo(Math.log(2), 12);
    expect(js64([0.2, 0.8], [0.6, 0.4])).toBeCloseTo(js64([0.6, 0.4], [0.2, 0.8]), 14);
  });

  it('paired share counts tokens whose partner occurs in the same sentence', () => {
    // U = 4, pairing [0, 1, 2, 3]: pairs (0, 2) and (1, 3)
    const pairing = [0, 1, 2, 3];
    // sentence 1 uses 0 and 2 (a pair) ; sentence 2 uses 1 and 0 (no pair)
    const h = tokenHealth([0, 2, 0, 2, 1, 0, 1, 0], 4, 4, pairing);
    expect(h.pairedShare).toBeCloseTo(2 / 4, 12);
  });
});

import { describe, expect, it } from 'vitest';
import { experimentRows, EXPERIMENTS } from './reproduce';
import { resolveConfig, cpuDefaults } from './config';

describe('reproduce experiments', () => {
  it('every row is a valid config that changes exactly what its label says', () => {
    const base = cpuDefaults();
    for (const name of EXPERIMENTS) {
      const { rows } = experimentRows(name);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(() => resolveConfig(row.patch, base), `${name}/${row.id}`).not.toThrow();
    }
    const get = (name: (typeof EXPERIMENTS)[number], id: string) => resolveConfig(experimentRows(name).rows.find((r) => r.id === id)!.patch, base);
    expect(get('ablation-biases', 'no-biases').tokenizer.bias).toEqual({ zipf: false, context: false, mmd: false });
    expect(get('ablation-biases', 'no-mmd').tokenizer.bias).toEqual({ zipf: true, context: true, mmd: false });
    expect(get('ablation-biases', 'no-zipf').tokenizer.bias).toEqual({ zipf: false, context: true, mmd: true });
    expect(get('ablation-discretization', 'continuous').stage2.discretize).toBe(false);
    expect(get('ablation-hyperbolic', 'euclidean').tokenizer.codebook).toBe('euclidean');
    expect(get('ablation-lora', 'full-ft').stage2.mode).toBe('full');
    expect(get('unseen', 'unseen-lora').data.unseen).toEqual({ classes: 3, draws: 5 });
    // paper numbers of DESIGN.md
    expect(experimentRows('ablation-biases').rows.map((r) => r.paper)).toEqual([91.5, 87.6, 89.9, 89.8, 90.3]);
    expect(experimentRows('unseen').rows.map((r) => r.paper)).toEqual([62.4, 37.7]);
  });
});

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, loadConfigFile, paperDefaults, cpuDefaults } from './config';
import { LlmarError } from './errors';

function errorOf(f: () => unknown): LlmarError {
  try {
    f();
  } catch (e) {
    return e as LlmarError;
  }
  throw new Error('expected an error');
}

describe('config', () => {
  it('keeps the paper settings of DESIGN.md in the paper preset', () => {
    const c = paperDefaults();
    expect(c.tokenizer).toMatchObject({ lambda1: 0.02, lambda2: 0.2, codebookSize: 512, curvature: 1, lr: 2e-4, batchSize: 256, steps: 300000, width: 512, downsamples: 2 });
    expect(c.stage2).toMatchObject({ lr: 3e-3, batchSize: 256, microBatch: 4, lora: { r: 64, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] } });
    expect(resolveConfig({}, 'paper')).toEqual(c);
    expect(resolveConfig({}, 'cpu')).toEqual(cpuDefaults());
    expect(c.data.align).toBe(false);
    expect(cpuDefaults().data.align).toBe(false);
    expect(resolveConfig({ data: { align: true } }).data.align).toBe(true);
  });

  it('merges a partial patch and keeps the rest', () => {
    const c = resolveConfig({ tokenizer: { steps: 7, bias: { mmd: false } }, stage2: { mode: 'full' } });
    expect(c.tokenizer.steps).toBe(7);
    expect(c.tokenizer.bias).toEqual({ zipf: true, context: true, mmd: false });
    expect(c.stage2.mode).toBe('full');
    expect(c.tokenizer.width).toBe(cpuDefaults().tokenizer.width);
  });

  it.each([
    [{ tokenizer: { codebookSize: 127 } }, 'tokenizer.codebookSize', 'even'],
    [{ tokenizer: { widht: 3 } }, 'tokenizer.widht', 'not a known setting'],
    [{ tokenizer: { lr: '0.1' } }, 'tokenizer.lr', 'must be a number'],
    [{ tokenizer: { lr: -1 } }, 'tokenizer.lr', '> 0'],
    [{ stage2: { mode: 'qlora' } }, 'stage2.mode', 'one of lora, full'],
    [{ stage2: { lora: { targetModules: ['q_proj', 'x_proj'] } } }, 'stage2.lora.targetModules[1]', 'one of'],
    [{ data: { frames: 66 } }, 'data.frames', 'divisible'],
    [{ data: { dataset: 'kinetics' } }, 'data.dataset', 'one of'],
    [{ seed: 1.5 }, 'seed', 'integer'],
    [{ stage2: { batchSize: 10, microBatch: 4 } }, 'stage2.microBatch', 'divide'],
    [{ tokenizer: 3 }, 'tokenizer', 'must be an object'],
    [{ data: { align: 'yes' } }, 'data.align', 'must be a boolean'],
  ])('rejects %j naming the field', (patch, field, words) => {
    const e = errorOf(() => resolveConfig(patch));
    expect(e).toBeInstanceOf(LlmarError);
    expect(e.code).toBe('BAD_CONFIG');
    expect(e.message).toContain(`"${field}"`);
    expect(e.message).toContain(words);
  });

  it('reads JSON files, names the file on errors, and accepts its own preset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-cfg-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ preset: 'paper', tokenizer: { steps: 5 } }));
    expect(loadConfigFile(good).tokenizer).toMatchObject({ steps: 5, width: 512 });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ tokenizer: { curvature: 0 } }));
    const e = errorOf(() => loadConfigFile(bad));
    expect(e.message).toContain('"tokenizer.curvature"');
    expect(e.message).toContain(bad);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "tokenizer": ');
    expect(errorOf(() => loadConfigFile(broken)).message).toContain('not valid JSON');
  });

  it('every shipped config file is valid', () => {
    const root = join(__dirname, '..', 'configs');
    const files = ['paper', 'cpu'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.json')).map((f) => join(root, d, f)));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) expect(() => loadConfigFile(f), f).not.toThrow();
  });
});

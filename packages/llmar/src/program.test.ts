import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, configFromOptions } from './program';

function capture() {
  let err = '';
  let out = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  return { err: () => err, out: () => out };
}

describe('llmar CLI', () => {
  afterEach(() => vi.restoreAllMocks());

  it('exits non-zero with a clear message on bad arguments', async () => {
    let io = capture();
    expect(await main(['node', 'llmar', 'fly'])).toBe(1);
    expect(io.err()).toMatch(/unknown command 'fly'/);
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['node', 'llmar', 'reproduce'])).toBe(1);
    expect(io.err()).toMatch(/--experiment <name>' not specified/);
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['node', 'llmar', 'reproduce', '--experiment', 'ablation-magic'])).toBe(1);
    expect(io.err()).toMatch(/ablation-magic/);
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['node', 'llmar', 'demo', '--preset', 'gpu9000', '--backend', 'cpu'])).toBe(2);
    expect(io.err()).toMatch(/--preset must be one of paper, cpu, got "gpu9000"/);
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['node', 'llmar', 'demo', '--llm', '/nonexistent/model.bin', '--backend', 'cpu'])).toBe(2);
    expect(io.err()).toMatch(/--llm \/nonexistent\/model.bin does not exist/);
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['node', 'llmar', 'demo', '--stage1-steps', 'many', '--backend', 'cpu'])).toBe(2);
    expect(io.err()).toMatch(/--stage1-steps must be a non-negative integer, got "many"/);
  });

  it('reports a bad config file by its field path and exits non-zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-cli-'));
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ stage2: { lora: { r: 0 } } }));
    const io = capture();
    expect(await main(['node', 'llmar', 'train-llm', '--config', f, '--backend', 'cpu', '--out', join(dir, 'run')])).toBe(2);
    expect(io.err()).toContain('"stage2.lora.r" must be >= 1, got 0');
    expect(io.err()).toContain(f);
  });

  it('recognize on a directory without a trained run says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmar-cli-'));
    const io = capture();
    expect(await main(['node', 'llmar', 'recognize', 'x.skeleton', '--out', dir, '--backend', 'cpu'])).toBe(2);
    expect(io.err()).toMatch(/has no run.json: train a run there first/);
  });

  it('llmar view --help lists the viewer options', async () => {
    const io = capture();
    expect(await main(['node', 'llmar', 'view', '--help'])).toBe(0);
    for (const opt of ['--data-dir <dir>', '--dataset <name>', '--run <dir>', '--port <n>', '--host <host>']) expect(io.out()).toContain(opt);
    vi.restoreAllMocks();
    const top = capture();
    expect(await main(['node', 'llmar', '--help'])).toBe(0);
    expect(top.out()).toMatch(/view \[options\]/);
  });

  it('flags override the config', () => {
    const c = configFromOptions({ preset: 'cpu', backend: 'cpu', out: 'x', stage1Steps: '3', stage2Steps: '4', seed: '9', protocol: 'xview' });
    expect(c.tokenizer.steps).toBe(3);
    expect(c.stage2.steps).toBe(4);
    expect(c.seed).toBe(9);
    expect(c.data.protocol).toBe('xview');
  });
});

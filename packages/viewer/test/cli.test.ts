import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { SYNTHETIC_CLASS_NAMES } from '@llmar/skeleton-datasets';
import { registerViewCommand, runView, viewerOptionsFrom } from '../src/cli';
import { ViewerError } from '../src/errors';
import { fakeRecognizer } from './fake-recognizer';

describe('the view command', () => {
  it('registers `view` with --data-dir, --dataset, --run, --port, --host (loopback default)', () => {
    const program = new Command('llmar');
    registerViewCommand(program);
    const view = program.commands.find((c) => c.name() === 'view')!;
    expect(view).toBeDefined();
    expect(view.options.map((o) => o.long).sort()).toEqual(['--data-dir', '--dataset', '--host', '--port', '--run']);
    expect(view.options.find((o) => o.long === '--host')!.defaultValue).toBe('127.0.0.1');
    expect(view.options.find((o) => o.long === '--dataset')!.defaultValue).toBe('synthetic');
  });

  it('loads the run through makeRecognizer, and says why when it cannot', async () => {
    const rec = fakeRecognizer(['a']);
    const ok = await viewerOptionsFrom({ run: 'runs/x' }, async (dir) => { expect(dir).toMatch(/runs\/x$/); return rec; });
    expect(ok.recognizer).toBe(rec);
    const failed = await viewerOptionsFrom({ run: 'runs/x' }, async () => { throw new Error('runs/x has no stage2.ckpt'); });
    expect(failed.recognizer).toBeUndefined();
    expect(failed.noRecognizerReason).toContain('runs/x has no stage2.ckpt');
    expect((await viewerOptionsFrom({ run: 'r' })).noRecognizerReason).toContain('cannot load trained runs');
    await expect(viewerOptionsFrom({ port: '70000' })).rejects.toThrow(ViewerError);
    await expect(viewerOptionsFrom({ port: 'abc' })).rejects.toThrow(/--port must be an integer/);
  });

  it('serves until stopped and prints its address', async () => {
    const stop = new AbortController();
    let printed = '';
    const done = runView({ port: '0' }, async () => fakeRecognizer([...SYNTHETIC_CLASS_NAMES]), { stop: stop.signal, write: (t) => { printed += t; } });
    for (let i = 0; i < 200 && !printed; i++) await new Promise((r) => setTimeout(r, 25));
    const url = /llmar view: (\S+)/.exec(printed)![1];
    const info = await (await fetch(`${url}api/info`)).json();
    expect(info.samples).toBe(28);
    expect(printed).toContain('no trained run'); // no --run given
    stop.abort();
    expect(await done).toBe(url);
    await expect(fetch(`${url}api/info`)).rejects.toThrow();
  });
});

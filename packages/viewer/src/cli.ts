import { resolve } from 'node:path';
import type { Command } from 'commander';
import { startViewer, type RunningViewer, type ViewerOptions } from './server';
import type { ViewerRecognizer } from './types';
import { DATASET_READERS } from './data';
import { ViewerError } from './errors';

/** Options of the `view` command as commander parses them. */
export interface ViewCommandOptions {
  dataDir?: string;
  dataset?: string;
  run?: string;
  port?: string;
  host?: string;
}

/**
 * Turns parsed `view` options into {@link startViewer} options: loads the recognizer of `--run` through
 * `makeRecognizer`; when that is impossible the viewer still starts and the page says why.
 */
export async function viewerOptionsFrom(o: ViewCommandOptions, makeRecognizer?: (runDir: string) => Promise<ViewerRecognizer>): Promise<ViewerOptions> {
  const port = o.port === undefined ? 0 : Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ViewerError('BAD_OPTION', `--port must be an integer in 0..65535, got "${o.port}"`);
  const out: ViewerOptions = { dataDir: o.dataDir ? resolve(o.dataDir) : undefined, dataset: o.dataset, host: o.host, port };
  if (o.run) {
    out.runDir = resolve(o.run);
    if (!makeRecognizer) out.noRecognizerReason = `--run ${o.run} was given, but this program cannot load trained runs (no recognizer loader)`;
    else {
      try {
        out.recognizer = await makeRecognizer(out.runDir);
      } catch (e) {
        out.noRecognizerReason = `could not load the run ${o.run}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  }
  return out;
}

/**
 * Adds `view [--data-dir d] [--dataset name] [--run dir] [--port n] [--host h]` to a commander program. The command
 * serves the page until interrupted (Ctrl-C). `makeRecognizer` loads a trained run (llmar's CLI passes one).
 */
export function registerViewCommand(program: Command, makeRecognizer?: (runDir: string) => Promise<ViewerRecognizer>): void {
  program
    .command('view')
    .description('open a local web page to look at skeletons, their action sentences and what a trained run recognises')
    .option('--data-dir <dir>', 'dataset folder (default: a small synthetic set generated in memory)')
    .option('--dataset <name>', `reader: ${DATASET_READERS.join(' | ')}`, 'synthetic')
    .option('--run <dir>', 'trained run folder (tokens, recognition, token usage)')
    .option('--port <n>', 'port (0 = any free port)', '0')
    .option('--host <host>', 'interface to bind (loopback by default; anything else exposes your files to the network)', '127.0.0.1')
    .action(async (o: ViewCommandOptions) => { await runView(o, makeRecognizer); });
}

/**
 * What `llmar view` does: start the viewer, print its address, serve until SIGINT / SIGTERM (or until `stop` aborts),
 * then close. Resolves with the address it served.
 */
export async function runView(
  o: ViewCommandOptions, makeRecognizer?: (runDir: string) => Promise<ViewerRecognizer>,
  io: { stop?: AbortSignal; write?: (text: string) => void } = {},
): Promise<string> {
  const v: RunningViewer = await startViewer(await viewerOptionsFrom(o, makeRecognizer));
  const info = v.api.info();
  (io.write ?? ((t: string) => process.stdout.write(t)))(`llmar view: ${v.url}\n  data: ${info.dataset}${info.dataDir ? ` from ${info.dataDir}` : ' (in memory)'}, ${info.samples} samples\n` +
    `  run: ${info.recognizer.available ? info.runDir : info.recognizer.reason}\n  press Ctrl-C to stop\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.stop?.removeEventListener('abort', stop);
      v.close().finally(done);
    };
    if (io.stop?.aborted) return stop();
    io.stop?.addEventListener('abort', stop);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return v.url;
}

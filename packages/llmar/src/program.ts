import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option, CommanderError } from 'commander';
import { initBackend, BACKEND_CHOICES, type BackendChoice } from '@llmar/tensor';
import { loadConfigFile, resolveConfig, PRESETS, DATASET_KINDS, type PresetName, type RunConfig } from './config';
import { trainAndEvaluate, Stage1Done } from './pipeline';
import { writeReport, resultTable } from './report';
import { consoleReporter, silentReporter, formatDuration } from './progress';
import { Recognizer } from './recognizer';
import { readSequenceFile } from './files';
import { runReproduce, EXPERIMENTS, type ExperimentName } from './reproduce';
import { evaluateRun } from './evaluateRun';
import { exportRun } from './export';
import { LlmarError } from './errors';
import { registerViewCommand, adaptLlmarRecognizer } from '@llmar/viewer';

interface CommonOpts {
  config?: string;
  preset: string;
  dataset?: string;
  dataDir?: string;
  protocol?: string;
  llm?: string;
  backend: string;
  out: string;
  json?: boolean;
  seed?: string;
  stage1Steps?: string;
  stage2Steps?: string;
}

function int(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new LlmarError('BAD_OPTION', `${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/** The run config from --preset, --config and the flags (flags win). */
export function configFromOptions(o: CommonOpts): RunConfig {
  if (!(o.preset in PRESETS)) throw new LlmarError('BAD_OPTION', `--preset must be one of ${Object.keys(PRESETS).join(', ')}, got "${o.preset}"`);
  let c = o.config ? loadConfigFile(resolve(o.config), o.preset as PresetName) : resolveConfig({}, o.preset as PresetName);
  const patch: Record<string, Record<string, unknown>> = { data: {}, llm: {}, tokenizer: {}, stage2: {} };
  if (o.dataset) {
    if (!(DATASET_KINDS as readonly string[]).includes(o.dataset)) throw new LlmarError('BAD_OPTION', `--dataset must be one of ${DATASET_KINDS.join(', ')}, got "${o.dataset}"`);
    patch.data.dataset = o.dataset;
  }
  if (o.dataDir) patch.data.dataDir = resolve(o.dataDir);
  if (o.protocol) patch.data.protocol = o.protocol;
  if (o.llm) {
    if (!existsSync(o.llm)) throw new LlmarError('BAD_OPTION', `--llm ${o.llm} does not exist (a llama2.c .bin or a Hugging Face directory)`);
    patch.llm.path = resolve(o.llm);
    patch.tokenizer.codeDim = null;
  }
  if (o.stage1Steps !== undefined) patch.tokenizer.steps = int('--stage1-steps', o.stage1Steps);
  if (o.stage2Steps !== undefined) patch.stage2.steps = int('--stage2-steps', o.stage2Steps);
  const top: Record<string, unknown> = { ...patch };
  if (o.seed !== undefined) top.seed = int('--seed', o.seed);
  c = resolveConfig(top, c);
  return c;
}

async function startBackend(o: CommonOpts) {
  if (!(BACKEND_CHOICES as readonly string[]).includes(o.backend)) {
    throw new LlmarError('BAD_OPTION', `--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${o.backend}"`);
  }
  const info = await initBackend(o.backend as BackendChoice);
  return info.label;
}

function withCommon(cmd: Command, defaultOut = 'llmar-run'): Command {
  return cmd
    .option('--config <file>', 'JSON config file (validated; merged over the preset)')
    .option('--preset <name>', `settings preset: ${Object.keys(PRESETS).join(' | ')}`, 'cpu')
    .option('--dataset <kind>', `dataset: ${DATASET_KINDS.join(' | ')}`)
    .option('--data-dir <dir>', 'where the dataset files are (not needed for synthetic)')
    .option('--protocol <name>', 'split protocol (xsub, xview for synthetic; ntu60-xsub, ntu120-xset, toyota-cs, ... otherwise)')
    .option('--llm <path>', 'a llama2.c .bin or a Hugging Face directory (default: a small random LLaMA with no pretrained knowledge)')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices([...BACKEND_CHOICES]).default('auto'))
    .option('--out <dir>', 'run directory (checkpoints, run.json, report/)', defaultOut)
    .option('--seed <n>', 'master seed')
    .option('--stage1-steps <n>', 'override tokenizer.steps')
    .option('--stage2-steps <n>', 'override stage2.steps')
    .option('--json', 'print the result as JSON on stdout');
}

function print(o: CommonOpts, value: unknown, text: string): void {
  process.stdout.write(o.json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

async function train(o: CommonOpts, stages: 1 | 2, label: string) {
  const backend = await startBackend(o);
  const c = configFromOptions(o);
  const rep = o.json ? silentReporter : consoleReporter();
  rep.log(`llmar ${label}: backend ${backend}, preset ${c.name}, out ${resolve(o.out)}`);
  if (stages === 1) {
    try {
      trainAndEvaluate({ config: c, outDir: resolve(o.out), reporter: rep, backend, onlyStage1: true });
    } catch (e) {
      if (!(e instanceof Stage1Done)) throw e;
      const h = e.result.health;
      const summary = { ok: true, out: resolve(o.out), steps: e.result.steps, seconds: e.result.seconds, health: { ...h, rankFrequency: undefined } };
      print(o, summary, `stage 1 done (${e.result.steps} steps, ${formatDuration(e.result.seconds)}): ${resolve(o.out)}/stage1.ckpt\n` +
        `token perplexity ${h.perplexity.toFixed(1)} of ${h.codebookSize}, dead codes ${h.deadCodes}, Zipf JS gap ${h.zipfGap.toFixed(4)}, paired tokens together ${(100 * h.pairedShare).toFixed(1)}%`);
    }
    return;
  }
  const r = trainAndEvaluate({ config: c, outDir: resolve(o.out), reporter: rep, backend });
  const dir = writeReport(resolve(o.out), r);
  print(o, r, `${resultTable(r)}\n\nreport: ${dir}`);
}

/** Build the `llmar` command. */
export function buildProgram(): Command {
  const program = new Command('llmar')
    .description('LLM-AR: skeleton action recognition with an action tokenizer and a LoRA-adapted LLaMA (CVPR 2024), in TypeScript')
    .exitOverride()
    .showHelpAfterError();
  withCommon(program.command('demo').description('synthetic data → both stages → evaluation table and report (CPU preset, ≤ 15 min on 2 cores)'), 'llmar-demo')
    .action(async (o: CommonOpts) => train(o, 2, 'demo'));
  withCommon(program.command('train-tokenizer').description('stage 1: train the action tokenizer (resumes from <out>/stage1.ckpt)'))
    .action(async (o: CommonOpts) => train(o, 1, 'train-tokenizer'));
  withCommon(program.command('train-llm').description('stage 2: adapt the LLM (runs / resumes stage 1 first), then evaluate'))
    .action(async (o: CommonOpts) => train(o, 2, 'train-llm'));
  withCommon(program.command('evaluate').description('evaluate a trained run on its test split'))
    .action(async (o: CommonOpts) => {
      const backend = await startBackend(o);
      const r = evaluateRun(resolve(o.out), o.json ? silentReporter : consoleReporter(), backend);
      print(o, r, resultTable(r));
    });
  withCommon(program.command('recognize').argument('<files...>', 'skeleton files (.skeleton, UAV .txt, Toyota .json, .npy [T, D])').description('rank the classes of each file with a trained run'))
    .option('--top <k>', 'classes to print per file', '5')
    .action(async (files: string[], o: CommonOpts & { top: string }) => {
      await startBackend(o);
      const rec = Recognizer.load(resolve(o.out));
      const k = int('--top', o.top);
      const results = rec.recognizeMany(files.map((f) => readSequenceFile(f)));
      const out = files.map((f, i) => ({ file: f, ranking: results[i].slice(0, k) }));
      print(o, out, out.map((r) => `${r.file}\n${r.ranking.map((x, j) => `  ${j + 1}. ${x.name}  (${x.score.toFixed(3)})`).join('\n')}`).join('\n'));
      rec.dispose();
    });
  withCommon(program.command('tokenize').argument('<file>', 'a skeleton file').description('print the action sentence of a file'))
    .action(async (file: string, o: CommonOpts) => {
      await startBackend(o);
      const rec = Recognizer.load(resolve(o.out));
      const s = rec.tokenize(readSequenceFile(file));
      print(o, { file, ...s }, s.text);
      rec.dispose();
    });
  withCommon(program.command('export').description('export a trained run: stage-2 instruction JSON Lines, codebook safetensors, peft adapters'))
    .action(async (o: CommonOpts) => {
      await startBackend(o);
      const files = exportRun(resolve(o.out));
      print(o, files, files.map((f) => `wrote ${f}`).join('\n'));
    });
  withCommon(program.command('reproduce').description('run the paper\'s experiment rows on the configured data and print them beside the paper\'s numbers'), 'llmar-reproduce')
    .addOption(new Option('--experiment <name>', 'which table').choices([...EXPERIMENTS]).makeOptionMandatory())
    .action(async (o: CommonOpts & { experiment: ExperimentName }) => {
      const backend = await startBackend(o);
      const base = configFromOptions(o);
      const rows = runReproduce(o.experiment, base, resolve(o.out), o.json ? silentReporter : consoleReporter(), backend);
      print(o, rows.rows, rows.table);
    });
  // `llmar view`: the @llmar/viewer page; --run <dir> loads a trained run (backend from LLMAR_BACKEND, default auto)
  registerViewCommand(program, async (dir) => {
    await initBackend();
    return adaptLlmarRecognizer(Recognizer.load(dir), { runDir: dir });
  });
  return program;
}

/** Run the CLI; returns the exit code (0 ok, 1 bad usage, 2 a reported error). */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`llmar: error: ${msg}\n`);
    return 2;
  }
}

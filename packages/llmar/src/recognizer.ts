import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { tf } from '@llmar/tensor';
import type { SkeletonSample } from '@llmar/skeleton-datasets';
import { readCheckpoint } from './checkpoint';
import { prepareSequences, type SequenceSet } from './data';
import { loadLanguageModel, type LanguageModel } from './llm';
import { makeTokenizer, readManifest, actionInputs, type RunManifest } from './pipeline';
import { adaptModel, type Adaptation } from './stage2';
import { assignArrays } from './state';
import { SequenceBuilder } from './sequences';
import { scoreCandidates, rank, generateAnswer } from './evaluate';
import type { ActionTokenizer } from './tokenizer';
import { LlmarError } from './errors';
import type { Reporter } from './progress';

/** One ranked class. */
export interface Recognition {
  name: string;
  label: number;
  /** Log-likelihood of the class name (and EOS) under the adapted LLM. */
  score: number;
}

/** An action sentence: the W token indices and their text form. */
export interface ActionSentence {
  tokens: number[];
  /** The instruction's token part as text, e.g. `12, 7, 7, 31`. */
  text: string;
}

/** A sequence to recognise: a skeleton sample, or an already prepared [V, D] Float32Array. */
export type SequenceInput = SkeletonSample | Float32Array;

/**
 * A trained run loaded for inference: `recognize(sequence)` ranks every candidate class by the adapted LLM's
 * likelihood of its name, `tokenize(sequence)` gives the action sentence.
 */
export class Recognizer {
  private constructor(
    readonly manifest: RunManifest,
    readonly lm: LanguageModel,
    readonly tokenizer: ActionTokenizer,
    private readonly adaptation: Adaptation,
    private readonly builder: SequenceBuilder,
    private readonly codeEmb: tf.Tensor2D,
  ) {}

  /** Load `run.json`, `stage1.ckpt` and `stage2.ckpt` from a run directory written by training. */
  static load(dir: string): Recognizer {
    for (const f of ['run.json', 'stage1.ckpt', 'stage2.ckpt']) {
      if (!existsSync(join(dir, f))) throw new LlmarError('NOT_TRAINED', `${dir} has no ${f}: train a run there first (llmar train-tokenizer / train-llm / demo)`);
    }
    const m = readManifest(dir);
    const c = m.config;
    const lm = loadLanguageModel(c, m.classNames, m.pieces);
    const tok = makeTokenizer(c, m.inputDim, lm.model.config.dim);
    const ck1 = readCheckpoint<{ done: boolean }>(join(dir, 'stage1.ckpt'));
    tok.loadArrays(ck1.tensors, 'tok.', join(dir, 'stage1.ckpt'));
    const ck2 = readCheckpoint<{ done: boolean }>(join(dir, 'stage2.ckpt'));
    if (!ck2.meta.done) throw new LlmarError('NOT_TRAINED', `${join(dir, 'stage2.ckpt')} is from an unfinished run: rerun training to finish it`);
    const adaptation = adaptModel(lm, c);
    assignArrays(adaptation.variables, ck2.tensors, 'llm.', join(dir, 'stage2.ckpt'));
    const codeEmb = tok.codeEmbeddings();
    const builder = new SequenceBuilder({ tokenizer: lm.tokenizer, model: lm.model, mode: c.stage2.input, codeEmbeddings: codeEmb, candidates: m.candidates ?? undefined });
    return new Recognizer(m, lm, tok, adaptation, builder, codeEmb);
  }

  /** The LoRA adapters (undefined for a full fine-tuning run). */
  get lora() {
    return this.adaptation.lora;
  }

  /** Candidate class names (the held-out ones for an unseen-class run). */
  get classNames(): string[] {
    return this.manifest.candidates ?? this.manifest.classNames;
  }

  /** Preprocess sequences like training did. */
  prepare(inputs: SequenceInput[]): SequenceSet {
    const c = this.manifest.config;
    const V = c.data.frames;
    const D = this.manifest.inputDim;
    const samples = inputs.filter((s): s is SkeletonSample => !(s instanceof Float32Array));
    if (samples.length === inputs.length) {
      const set = prepareSequences(samples, this.manifest.classNames, { frames: V, maxBodies: c.data.maxBodies, scale: c.data.scale, align: c.data.align === true });
      if (set.dim !== D) throw new LlmarError('SHAPE_MISMATCH', `samples give D = ${set.dim}, the run was trained with D = ${D}`);
      return set;
    }
    if (samples.length) throw new LlmarError('BAD_INPUT', 'pass either skeleton samples or prepared Float32Arrays, not both');
    const x = new Float32Array(inputs.length * V * D);
    inputs.forEach((a, i) => {
      if ((a as Float32Array).length !== V * D) throw new LlmarError('SHAPE_MISMATCH', `sequence ${i} has ${(a as Float32Array).length} values, expected V·D = ${V}·${D}`);
      x.set(a as Float32Array, i * V * D);
    });
    const z = new Int32Array(inputs.length);
    return { x, n: inputs.length, frames: V, dim: D, labels: z, subjects: z, cameras: z, setups: z, ids: inputs.map((_, i) => `#${i}`), classNames: this.manifest.classNames, bodies: c.data.maxBodies, joints: D / (3 * c.data.maxBodies), channels: 3 };
  }

  /** Scores [n][candidates] of a prepared set (log-likelihood of each candidate name). */
  scoreSet(set: SequenceSet, reporter?: Reporter): Float64Array[] {
    const c = this.manifest.config;
    const ai = actionInputs(this.tokenizer, set, c.stage2.discretize);
    return scoreCandidates(this.builder, ai, set.n, this.builder.answers(this.classNames), { batchSize: c.eval.batchSize, reporter });
  }

  /** Rank every candidate class for each sequence, best first. */
  recognizeMany(inputs: SequenceInput[]): Recognition[][] {
    const set = this.prepare(inputs);
    const names = this.classNames;
    const scores = this.scoreSet(set);
    return scores.map((s) => rank(s).map((k) => ({ name: names[k], label: this.manifest.candidates ? this.manifest.classNames.indexOf(names[k]) : k, score: s[k] })));
  }

  /** Rank every candidate class for one sequence, best first. */
  recognize(input: SequenceInput): Recognition[] {
    return this.recognizeMany([input])[0];
  }

  /** Greedy generation of the answer text (may name no class; `recognize` always does). */
  generate(input: SequenceInput): string {
    const set = this.prepare([input]);
    const ai = actionInputs(this.tokenizer, set, this.manifest.config.stage2.discretize);
    return generateAnswer(this.builder, ai, 0);
  }

  /** The action sentence of one sequence. */
  tokenize(input: SequenceInput): ActionSentence {
    const set = this.prepare([input]);
    const ai = actionInputs(this.tokenizer, set, true);
    const tokens = Array.from(ai.kind === 'tokens' ? ai.ids : []);
    return { tokens, text: tokens.join(', ') };
  }

  dispose(): void {
    this.codeEmb.dispose();
    this.adaptation.lora?.dispose();
    this.tokenizer.dispose();
    this.lm.model.dispose();
  }
}

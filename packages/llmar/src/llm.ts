import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tf } from '@llmar/tensor';
import { Llama, loadModel, loadLlama2cTokenizer, loadHfTokenizer, makeConfig } from '@llmar/llm-lora';
import type { RunConfig } from './config';
import { INSTRUCTION } from './prompt';
import { WordTokenizer, type TextTokenizer } from './wordTokenizer';
import { LlmarError } from './errors';

/** The language model of a run with its tokenizer. */
export interface LanguageModel {
  model: Llama;
  tokenizer: TextTokenizer;
  /** `random` or the path it was loaded from. */
  source: string;
  /** Whether the weights come from a pretrained checkpoint. */
  pretrained: boolean;
  /** One line for logs and reports. */
  description: string;
  /** Word-tokenizer pieces (random model only), saved with the run. */
  pieces?: string[];
}

/** Texts the word tokenizer of the random model must cover. */
export function instructionTexts(classNames: string[]): string[] {
  return [INSTRUCTION.prefix, INSTRUCTION.suffix, INSTRUCTION.unseenSuffix(classNames), ...classNames];
}

function findTokenizer(modelPath: string, given: string | null): string {
  if (given) return given;
  const dir = dirname(modelPath);
  for (const name of ['tokenizer.bin', 'tok512.bin']) if (existsSync(join(dir, name))) return join(dir, name);
  throw new LlmarError('BAD_INPUT', `no tokenizer found beside ${modelPath} (tried tokenizer.bin, tok512.bin); pass llm.tokenizer`);
}

/**
 * The run's LLM: `llm.path` (a llama2.c `.bin` with its tokenizer `.bin`, or a Hugging Face directory with
 * tokenizer.json) or, by default, a small random LLaMA built from `llm.random.seed` with a word-level tokenizer over the
 * instruction and class names. The random model has no pretrained knowledge (the description says so).
 */
export function loadLanguageModel(c: RunConfig, classNames: string[], pieces?: string[]): LanguageModel {
  const path = c.llm.path;
  if (!path) {
    const r = c.llm.random;
    // the vocabulary grows past llm.random.vocabSize when the instruction and class names need more words (NTU120)
    const tokenizer = pieces ? new WordTokenizer(pieces) : WordTokenizer.fromTexts(instructionTexts(classNames), r.vocabSize, { grow: true });
    const vocabSize = tokenizer.vocabSize;
    const config = makeConfig({ dim: r.dim, hiddenDim: r.hiddenDim, nLayers: r.nLayers, nHeads: r.nHeads, nKvHeads: r.nKvHeads, vocabSize, maxSeqLen: 512 });
    const model = Llama.random(config, r.seed);
    // Weight scales of a trained model rather than of a fresh init: token embeddings N(0, 1/d) (rows of about unit
    // norm, the scale MMD aligns the codebook to) and an output head N(0, (outputScale)²/d), so that the frozen head
    // can express confident distributions (with 0.02 the logits of an RMS-normed state stay within about ±1.3).
    const E = model.getWeight('model.embed_tokens.weight');
    tf.tidy(() => model.setWeight('model.embed_tokens.weight', tf.mul(E, 1 / (0.02 * Math.sqrt(r.dim)))));
    const H = model.getWeight('lm_head.weight');
    tf.tidy(() => model.setWeight('lm_head.weight', tf.mul(H, r.outputScale / (0.02 * Math.sqrt(r.dim)))));
    return {
      model, tokenizer, source: 'random', pretrained: false, pieces: tokenizer.pieces,
      description: `random LLaMA (dim ${r.dim}, ${r.nLayers} layers, ${r.nHeads} heads, vocab ${vocabSize}, seed ${r.seed}): built from a fixed seed, it has NO pretrained knowledge`,
    };
  }
  if (!existsSync(path)) throw new LlmarError('BAD_INPUT', `--llm ${path} does not exist`);
  const model = loadModel(path);
  let tokenizer: TextTokenizer;
  if (statSync(path).isDirectory()) {
    const tj = join(path, 'tokenizer.json');
    if (!existsSync(tj)) throw new LlmarError('BAD_INPUT', `${path} has no tokenizer.json`);
    tokenizer = loadHfTokenizer(readFileSync(tj, 'utf8'));
  } else {
    tokenizer = loadLlama2cTokenizer(findTokenizer(path, c.llm.tokenizer), model.config.vocabSize);
  }
  const m = model.config;
  return { model, tokenizer, source: path, pretrained: true, description: `${path} (dim ${m.dim}, ${m.nLayers} layers, vocab ${m.vocabSize})` };
}

/** The LLM's input word embeddings T [vocab, d] (a copy; MMD aligns the codebook with them). */
export function wordEmbeddings(lm: LanguageModel): tf.Tensor2D {
  return lm.model.getWeight('model.embed_tokens.weight').clone() as tf.Tensor2D;
}

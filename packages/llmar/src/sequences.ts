import { tf, gather } from '@llmar/tensor';
import { mixEmbeddings, causalLmLoss, type Llama } from '@llmar/llm-lora';
import { buildPrompt, answerIds, type PromptLayout } from './prompt';
import type { TextTokenizer } from './wordTokenizer';
import { LlmarError } from './errors';

/** How a set of action sentences reaches the LLM: hard tokens (embedding or text mode) or continuous features. */
export type ActionInputs =
  | { kind: 'tokens'; ids: Int32Array; W: number }
  | { kind: 'features'; data: Float32Array; W: number; d: number };

/** Settings shared by training and recognition. */
export interface SequenceBuilderOptions {
  tokenizer: TextTokenizer;
  model: Llama;
  /** `embedding` (codebook vectors enter as input embeddings) or `text` (indices written in the prompt). */
  mode: 'embedding' | 'text';
  /** The codebook in embedding space [U, d] (embedding mode with tokens). */
  codeEmbeddings?: tf.Tensor2D;
  /** Unseen-class protocol: the candidate list written into the instruction. */
  candidates?: string[];
}

/** A padded batch: tensors to feed (inside tf.tidy) and the masks. */
export interface SequenceBatch {
  /** Input embeddings [B, T, d]. */
  embeds: tf.Tensor3D;
  /** Next-token targets [B, T] (int32). */
  targets: tf.Tensor2D;
  /** 1 where the target is part of the answer (class name + EOS), [B, T]. */
  lossMask: tf.Tensor2D;
}

/**
 * Builds instruction sequences around action sentences ("Given a sequence of action tokens [tokens], please predict the
 * corresponding action." + answer), right-padded to a common length (causal attention makes right padding harmless).
 */
export class SequenceBuilder {
  constructor(readonly o: SequenceBuilderOptions) {
    if (o.mode === 'embedding' && !o.codeEmbeddings) {
      // features input does not need the codebook; checked per batch
    }
  }

  /** The prompt of sample i. */
  layout(inputs: ActionInputs, i: number): PromptLayout {
    const W = inputs.W;
    if (this.o.mode === 'text') {
      if (inputs.kind !== 'tokens') throw new LlmarError('BAD_OPTION', 'text mode needs discrete tokens (stage2.discretize true)');
      return buildPrompt(this.o.tokenizer, 'text', W, inputs.ids.subarray(i * W, (i + 1) * W), this.o.candidates);
    }
    return buildPrompt(this.o.tokenizer, 'embedding', W, undefined, this.o.candidates);
  }

  /** Answer ids (class name + EOS) of each class. */
  answers(classNames: string[]): number[][] {
    return classNames.map((n) => answerIds(this.o.tokenizer, n));
  }

  /**
   * Rows (sample index, answer ids) → a padded batch. Call inside tf.tidy; gradients flow only to the model (and its
   * adapters); action inputs are constants.
   */
  batch(inputs: ActionInputs, rows: { sample: number; answer: number[] }[]): SequenceBatch {
    const layouts = rows.map((r) => this.layout(inputs, r.sample));
    const T = Math.max(...rows.map((r, k) => layouts[k].ids.length + r.answer.length)) - 1;
    const B = rows.length;
    const eos = this.o.tokenizer.eos;
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const lossMask = new Float32Array(B * T);
    const ext = new Float32Array(B * T);
    const extRow = new Int32Array(B * T);
    rows.forEach((r, b) => {
      const L = layouts[b];
      const seq = [...L.ids, ...r.answer];
      for (let t = 0; t < T; t++) {
        ids[b * T + t] = t < seq.length ? seq[t] : eos;
        targets[b * T + t] = t + 1 < seq.length ? seq[t + 1] : eos;
        lossMask[b * T + t] = t + 1 >= L.ids.length && t + 1 < seq.length ? 1 : 0;
      }
      for (let j = 0; j < L.slots; j++) {
        ext[b * T + L.slotStart + j] = 1;
        extRow[b * T + L.slotStart + j] = inputs.kind === 'tokens' ? inputs.ids[r.sample * inputs.W + j] : r.sample * inputs.W + j;
      }
    });
    const idsT = tf.tensor2d(ids, [B, T], 'int32');
    let embeds: tf.Tensor3D;
    if (this.o.mode === 'text') {
      embeds = this.o.model.embedTokens(idsT);
    } else {
      const d = this.o.model.config.dim;
      let external: tf.Tensor3D;
      if (inputs.kind === 'tokens') {
        if (!this.o.codeEmbeddings) throw new LlmarError('BAD_OPTION', 'embedding mode with tokens needs codeEmbeddings');
        if (this.o.codeEmbeddings.shape[1] !== d) {
          throw new LlmarError('SHAPE_MISMATCH', `code width ${this.o.codeEmbeddings.shape[1]} differs from the LLM width ${d}: set tokenizer.codeDim to ${d} (or null)`);
        }
        external = gather(this.o.codeEmbeddings, tf.tensor1d(extRow, 'int32')).reshape([B, T, d]) as tf.Tensor3D;
      } else {
        if (inputs.d !== d) throw new LlmarError('SHAPE_MISMATCH', `feature width ${inputs.d} differs from the LLM width ${d}`);
        const feats = tf.tensor2d(inputs.data, [inputs.data.length / d, d]);
        external = gather(feats, tf.tensor1d(extRow, 'int32')).reshape([B, T, d]) as tf.Tensor3D;
      }
      embeds = mixEmbeddings(this.o.model, idsT, external, tf.tensor2d(ext, [B, T]));
    }
    return { embeds, targets: tf.tensor2d(targets, [B, T], 'int32'), lossMask: tf.tensor2d(lossMask, [B, T]) };
  }
}

/** Per-position log-probability of the targets, [B, T] (log-softmax, then the target's entry). */
export function targetLogProbs(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const V = logits.shape[2];
    const lp = tf.logSoftmax(logits);
    return tf.sum(tf.mul(lp, tf.oneHot(targets, V)), -1) as tf.Tensor2D;
  });
}

/** Mean next-token cross-entropy over the positions where `lossMask` is 1 (causalLmLoss of @llmar/llm-lora). */
export function maskedCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D, lossMask: tf.Tensor2D): tf.Scalar {
  return causalLmLoss(logits, targets, lossMask);
}

import type { TextTokenizer } from './wordTokenizer';

/** The paper's instruction, split around the action tokens. */
export const INSTRUCTION = {
  prefix: 'Given a sequence of action tokens',
  suffix: ', please predict the corresponding action.',
  /** Unseen-class protocol: the instruction lists the candidates. */
  unseenSuffix: (candidates: string[]) => `, please predict the corresponding action from ${candidates.join(', ')}.`,
} as const;

/** The full instruction as text, with the action tokens written as text (text mode, and the JSON Lines export). */
export function instructionText(tokens: ArrayLike<number>, candidates?: string[]): string {
  const t = Array.from(tokens).join(', ');
  return `${INSTRUCTION.prefix} ${t}${candidates ? INSTRUCTION.unseenSuffix(candidates) : INSTRUCTION.suffix}`;
}

/** A tokenised prompt: ids, and where the W action-token slots are (embedding mode; `slots` 0 in text mode). */
export interface PromptLayout {
  ids: number[];
  /** Index of the first action-token slot. */
  slotStart: number;
  /** Number of slots (W) whose input embedding comes from outside. */
  slots: number;
}

/**
 * Tokenise the instruction around W action tokens. `embedding` mode leaves W slots (id 0) whose embeddings are the
 * tokens' codebook vectors (or continuous features); `text` mode writes the indices as text.
 */
export function buildPrompt(tok: TextTokenizer, mode: 'embedding' | 'text', W: number, tokens?: ArrayLike<number>, candidates?: string[]): PromptLayout {
  const suffix = candidates ? INSTRUCTION.unseenSuffix(candidates) : INSTRUCTION.suffix;
  if (mode === 'text') {
    const ids = tok.encode(instructionText(tokens ?? new Array(W).fill(0), candidates), { bos: true });
    return { ids, slotStart: ids.length, slots: 0 };
  }
  const pre = tok.encode(INSTRUCTION.prefix, { bos: true });
  const post = tok.encode(suffix, { bos: false });
  return { ids: [...pre, ...new Array(W).fill(0), ...post], slotStart: pre.length, slots: W };
}

/** Answer ids (class name, then EOS). */
export function answerIds(tok: TextTokenizer, name: string): number[] {
  return [...tok.encode(name, { bos: false }), tok.eos];
}

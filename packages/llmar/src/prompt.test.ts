import { describe, expect, it } from 'vitest';
import { WordTokenizer, splitWords } from './wordTokenizer';
import { buildPrompt, answerIds, instructionText, INSTRUCTION } from './prompt';
import { instructionTexts } from './llm';
import { answerKey } from './evaluate';

describe('instruction and word tokenizer', () => {
  const names = ['wave left hand', 'sit down', "pick up"];
  const tok = WordTokenizer.fromTexts(instructionTexts(names), 128);

  it('encodes and decodes the paper instruction word by word', () => {
    const text = 'Given a sequence of action tokens 12, 7, 3, please predict the corresponding action.';
    expect(instructionText([12, 7, 3])).toBe(text);
    const ids = tok.encode(text);
    expect(ids).not.toContain(0);
    expect(tok.decode(ids)).toBe(text.toLowerCase());
    expect(tok.decode(tok.encode('wave left hand', { bos: true, eos: true }))).toBe('wave left hand');
    expect(splitWords('A, b.')).toEqual(['a', ',', 'b', '.']);
    expect(tok.vocabSize).toBe(128);
  });

  it('embedding prompts leave W slots after the prefix; answers end with EOS', () => {
    const p = buildPrompt(tok, 'embedding', 5);
    expect(p.slots).toBe(5);
    expect(p.ids[0]).toBe(tok.bos);
    expect(tok.decode(p.ids.slice(0, p.slotStart))).toBe(INSTRUCTION.prefix.toLowerCase());
    expect(p.ids.slice(p.slotStart, p.slotStart + 5)).toEqual([0, 0, 0, 0, 0]);
    expect(tok.decode(p.ids.slice(p.slotStart + 5))).toBe(', please predict the corresponding action.');
    const u = buildPrompt(tok, 'embedding', 5, undefined, names);
    expect(tok.decode(u.ids.slice(u.slotStart + 5))).toBe(", please predict the corresponding action from wave left hand, sit down, pick up.");
    const a = answerIds(tok, 'sit down');
    expect(a[a.length - 1]).toBe(tok.eos);
    expect(tok.decode(a)).toBe('sit down');
    const t = buildPrompt(tok, 'text', 3, [4, 5, 6]);
    expect(t.slots).toBe(0);
    expect(tok.decode(t.ids)).toContain('tokens 4, 5, 6, please');
  });

  it('refuses a vocabulary that does not fit', () => {
    expect(() => WordTokenizer.fromTexts(['a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb'], 40)).toThrow(/vocabSize/);
  });

  it('compares generated answers with class names regardless of case and spacing around punctuation', () => {
    expect(answerKey(' Eat meal / Snack ')).toBe(answerKey('eat meal/snack'));
    expect(answerKey('high - five')).toBe('high-five');
    expect(answerKey('touch chest (stomachache / heart pain)')).toBe('touch chest(stomachache/heart pain)');
    expect(answerKey('sit  down')).toBe('sit down');
    expect(answerKey('sit down')).not.toBe(answerKey('sitdown'));
    expect(answerKey('hug')).not.toBe(answerKey('handshake'));
  });

  it('grows a vocabulary that does not fit to the next multiple of 64 when asked', () => {
    const word = (i: number) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`;
    const words = Array.from({ length: 100 }, (_, i) => word(i)).join(' ');
    const t = WordTokenizer.fromTexts([words], 40, { grow: true });
    // 3 specials + 21 punctuation/digit pieces + 100 words = 124 pieces → 128
    expect(t.vocabSize).toBe(128);
    expect(t.decode(t.encode(`${word(7)} ${word(99)}`))).toBe(`${word(7)} ${word(99)}`);
    expect(WordTokenizer.fromTexts(['a b'], 40, { grow: true }).vocabSize).toBe(40);
  });
});

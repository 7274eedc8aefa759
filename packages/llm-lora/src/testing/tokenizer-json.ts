/**
 * Test-only: a Hugging Face tokenizer.json built from a llama2.c vocabulary the way the SentencePiece → HF converter
 * does it (pieces with "▁", merges = every split of a piece into two pieces, ranked by the merged piece's score).
 */
import type { Llama2cTokenizer } from '../tokenizer';

export function tokenizerJsonFrom(tok: Llama2cTokenizer): object {
  const SP = '\u2581';
  const names = (p: string, i: number) => (i === 0 ? '<unk>' : i === 1 ? '<s>' : i === 2 ? '</s>' : p.split(' ').join(SP));
  const pieces = tok.pieces.map(names);
  const vocab: Record<string, number> = {};
  pieces.forEach((p, i) => (vocab[p] = i));
  const merges: { a: string; b: string; score: number; id: number; k: number }[] = [];
  pieces.forEach((p, id) => {
    if (id < 3 || /^<0x[0-9A-F]{2}>$/.test(p)) return;
    const chars = [...p];
    for (let k = 1; k < chars.length; k++) {
      const a = chars.slice(0, k).join('');
      const b = chars.slice(k).join('');
      if (a in vocab && b in vocab) merges.push({ a, b, score: tok.scores[id], id, k });
    }
  });
  merges.sort((x, y) => y.score - x.score || x.id - y.id || x.k - y.k);
  return {
    version: '1.0',
    added_tokens: [0, 1, 2].map((id) => ({ id, content: pieces[id], special: true })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SP }, { type: 'Replace', pattern: { String: ' ' }, content: SP }] },
    pre_tokenizer: null,
    model: { type: 'BPE', unk_token: '<unk>', byte_fallback: true, fuse_unk: true, vocab, merges: merges.map((m) => `${m.a} ${m.b}`) },
  };
}

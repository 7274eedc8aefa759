/**
 * TEST DOUBLE — not a model. A deterministic fake of the ViewerRecognizer interface used by the viewer's tests:
 * it "tokenizes" by cutting the sequence (nearest-resampled to 64 frames) into chunks of 4 frames and hashing each
 * chunk's mean absolute coordinate into a codebook index, and "recognizes" by a hash of the tokens. It exists only so
 * the page can be driven without training a run; nothing it returns means anything.
 */
import type { SkeletonSample } from '@llmar/skeleton-datasets';
import type { ViewerRecognizer, ViewerSentence, ViewerRecognition } from '../src/types';

export const FAKE_FRAMES = 64;
export const FAKE_FRAMES_PER_TOKEN = 4;

export function fakeTokenize(s: SkeletonSample, U: number): ViewerSentence {
  const per = s.bodies * s.joints * s.channels;
  const tokens: number[] = [];
  for (let w = 0; w < FAKE_FRAMES / FAKE_FRAMES_PER_TOKEN; w++) {
    let sum = 0;
    for (let k = 0; k < FAKE_FRAMES_PER_TOKEN; k++) {
      const v = w * FAKE_FRAMES_PER_TOKEN + k;
      const t = Math.floor(((v + 0.5) * s.frames) / FAKE_FRAMES);
      for (let i = 0; i < per; i++) sum += Math.abs(s.data[t * per + i]);
    }
    tokens.push(Math.floor((sum / (per * FAKE_FRAMES_PER_TOKEN)) * 1e4) % U);
  }
  const partner = (u: number) => (u + U / 2) % U;
  const pairedWith = tokens.map((u, i) => {
    const j = tokens.findIndex((x, k) => k !== i && x === partner(u));
    return j < 0 ? undefined : j;
  });
  return { tokens, framesPerToken: FAKE_FRAMES_PER_TOKEN, pairedWith };
}

export function fakeRecognize(s: SkeletonSample, classNames: string[], U: number): ViewerRecognition {
  const K = classNames.length;
  const h = fakeTokenize(s, U).tokens.reduce((a, b) => a + b, 0) % K;
  const ranked = classNames.map((name, k) => ({ name, score: (K - 1 - ((k - h + K) % K)) / K })).sort((a, b) => b.score - a.score);
  return { ranked, generated: `${ranked[0].name} (fake)` };
}

/** The test double: classNames, a codebook of U (even) and a made-up Zipf-like usage. */
export function fakeRecognizer(classNames: string[], U = 32): ViewerRecognizer & { calls: number } {
  const counts = Array.from({ length: U }, (_, u) => Math.floor(200 / (u + 2)));
  const z = Array.from({ length: U }, (_, k) => 1 / (k + 1 + 2.7));
  const zs = z.reduce((a, b) => a + b, 0);
  const fake = {
    calls: 0,
    classNames,
    codebookSize: U,
    usage: { codebookCounts: counts, rankFrequency: [...counts].sort((a, b) => b - a), zipfTarget: z.map((v) => v / zs) },
    tokenize(s: SkeletonSample) { fake.calls++; return fakeTokenize(s, U); },
    async recognize(s: SkeletonSample) { fake.calls++; return fakeRecognize(s, classNames, U); },
  };
  return fake;
}

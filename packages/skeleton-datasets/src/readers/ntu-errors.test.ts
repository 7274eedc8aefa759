import { describe, expect, it } from 'vitest';
import { DatasetError } from '../errors';
import { Rng } from '../rng';
import { randomSample, referenceParse, referenceSample, sameBits } from '../test-helpers';
import { parseNtuSkeletonDetailed } from './ntu';
import { writeNtuSkeleton } from './ntu-writer';

const FILE = 'S001C001P001R001A001.skeleton';

function fail(text: string, opts = {}): DatasetError {
  try {
    parseNtuSkeletonDetailed(text, { file: FILE, ...opts });
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    const d = e as DatasetError;
    expect(d.file).toBe(FILE);
    expect(d.message).toContain(FILE);
    return d;
  }
  throw new Error('expected a DatasetError');
}

const good = writeNtuSkeleton(randomSample(11, { frames: 3, bodies: 1, joints: 4 }), { lineEnding: 'lf' });
const lines = good.trimEnd().split('\n');
const withLine = (k: number, text: string) => [...lines.slice(0, k), text, ...lines.slice(k + 1)].join('\n');

describe('NTU reader errors name file, line, expected and found', () => {
  it('truncated file', () => {
    const e = fail(lines.slice(0, 10).join('\n'));
    expect(e.code).toBe('TRUNCATED');
    expect(e.line).toBe(10);
    const cut = fail(good.slice(0, good.length - 20));
    expect(cut.code).toBe('TRUNCATED');
  });

  it('wrong number of fields (too few, too many)', () => {
    const few = fail(withLine(4, lines[4].split(' ').slice(0, 11).join(' ')));
    expect([few.code, few.line, few.expected, few.found]).toEqual(['FIELD_COUNT', 5, '12 fields', '11 fields']);
    expect(few.message).toContain('frame 1, body 1, joint 1');
    const many = fail(withLine(2, `${lines[2]} 7 8`));
    expect([many.code, many.line, many.expected, many.found]).toEqual(['FIELD_COUNT', 3, '10 fields', '12 fields']);
  });

  it('non-numeric field shows the token', () => {
    const e = fail(withLine(5, lines[5].replace(/^\S+/, '0.1x')));
    expect([e.code, e.line, e.found]).toEqual(['NOT_A_NUMBER', 6, '"0.1x"']);
    expect(fail(withLine(0, 'three')).code).toBe('NOT_A_NUMBER');
    expect(fail(withLine(4, lines[4].replace(/^\S+/, '1e999'))).code).toBe('NOT_A_NUMBER');
    expect(fail(withLine(4, lines[4].replace(/^\S+/, 'NaN'))).code).toBe('NOT_A_NUMBER');
  });

  it('joint-count mismatch (between bodies/frames or against the joints option)', () => {
    const text = lines.slice(0, 3).concat(['5']).concat(lines.slice(4)).join('\n');
    const e = fail(text);
    expect(['JOINT_COUNT', 'FIELD_COUNT', 'NOT_A_NUMBER', 'TRUNCATED']).toContain(e.code);
    const opt = fail(good, { joints: 25 });
    expect([opt.code, opt.line, opt.expected, opt.found]).toEqual(['JOINT_COUNT', 4, '25', '4']);
    // a second frame declaring another joint count
    const second = lines.findIndex((l, i) => i > 4 && l === '4');
    const f2 = fail(withLine(second, '3'));
    expect([f2.code, f2.line, f2.expected, f2.found]).toEqual(['JOINT_COUNT', second + 1, '4', '3']);
  });

  it('zero frames, trailing data, stray CR, unrecognised file name', () => {
    expect(fail('0\n').code).toBe('ZERO_FRAMES');
    const t = fail(good + '1\n');
    expect([t.code, t.expected]).toEqual(['BAD_FORMAT', 'end of file']);
    expect(fail(good.replace('\n', '\r')).code).toBe('BAD_FORMAT');
    const body = ['5 0 0 0 0 0 0 0 0 2', '1', '1 2 3 0 0 0 0 0 0 0 0 2'];
    const dup = fail(['1', '2', ...body, ...body].join('\n'));
    expect([dup.code, dup.line, dup.found]).toEqual(['BAD_FORMAT', 6, 'repeated id 5']);
    try {
      parseNtuSkeletonDetailed(good, { file: 'walking.skeleton' });
      throw new Error('no error');
    } catch (e) {
      expect((e as DatasetError).code).toBe('BAD_FILENAME');
      expect((e as DatasetError).message).toContain('walking.skeleton');
    }
  });
});

describe('fuzz: corrupted and truncated files', () => {
  const CHARS = ['0', '7', '.', '-', 'e', ' ', '\n', '\r', 'x', '\t', '+', '9'];
  const base = [
    writeNtuSkeleton(randomSample(21, { frames: 4, bodies: 2, joints: 5, gaps: true }), { lineEnding: 'crlf' }),
    writeNtuSkeleton(randomSample(22, { frames: 3, bodies: 2, joints: 25 }), { lineEnding: 'lf' }),
  ];

  it('400 seeded cases: DatasetError or the reference parse, bit for bit; truncations always fail', () => {
    let errors = 0;
    let parsed = 0;
    for (let seed = 0; seed < 400; seed++) {
      const rng = new Rng(1000 + seed);
      let text = base[seed % 2];
      const kind = seed % 5;
      const at = rng.int(text.length);
      if (kind === 0) text = text.slice(0, at); // truncate
      else if (kind === 1) text = text.slice(0, at) + CHARS[rng.int(CHARS.length)] + text.slice(at + 1); // replace
      else if (kind === 2) text = text.slice(0, at) + text.slice(at + 1); // delete
      else if (kind === 3) text = text.slice(0, at) + CHARS[rng.int(CHARS.length)] + text.slice(at); // insert
      else { // drop or duplicate a whole line
        const ls = text.split('\n');
        const k = rng.int(ls.length - 1);
        ls.splice(k, rng.next() < 0.5 ? 1 : 0, ...(rng.next() < 0.5 ? [] : [ls[k]]));
        text = ls.join('\n');
      }
      let ref: { joints: number; data: Float32Array; frames: number } | Error;
      try {
        const frames = referenceParse(text);
        ref = { ...referenceSample(frames, 2), frames: frames.length };
      } catch (e) {
        ref = e as Error;
      }
      let got: ReturnType<typeof parseNtuSkeletonDetailed> | DatasetError;
      try {
        got = parseNtuSkeletonDetailed(new TextEncoder().encode(text), { file: `fuzz-${seed}`, names: 'none', bodySelection: 'first' });
      } catch (e) {
        if (!(e instanceof DatasetError)) throw new Error(`seed ${seed}: non-DatasetError ${String(e)}`);
        got = e;
      }
      if (got instanceof DatasetError) {
        errors++;
        expect(got.message).toContain(`fuzz-${seed}`);
        expect(ref, `seed ${seed}: reference parsed what the reader refused (${got.message})`).toBeInstanceOf(Error);
      } else {
        parsed++;
        expect(ref, `seed ${seed}: reader parsed what the reference refused`).not.toBeInstanceOf(Error);
        const r = ref as { joints: number; data: Float32Array; frames: number };
        expect(got.sample.frames).toBe(r.frames);
        expect(got.sample.joints).toBe(r.joints);
        expect(sameBits(got.sample.data, r.data), `seed ${seed}: values differ`).toBe(true);
        if (kind === 0) expect(base[seed % 2].slice(at).trim(), `seed ${seed}: truncated file parsed`).toBe('');
      }
    }
    expect(errors).toBeGreaterThan(200);
    expect(parsed).toBeGreaterThan(10);
  });
});

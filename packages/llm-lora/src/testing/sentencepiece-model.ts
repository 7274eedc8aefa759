/**
 * Test-only: a minimal protobuf reader for SentencePiece's `tokenizer.model` (ModelProto): the pieces (field 1:
 * piece string, score float, type enum) and normalizer_spec.add_dummy_prefix (field 3.3).
 */
export interface SpPiece {
  piece: string;
  score: number;
  type: number;
}

function reader(buf: Uint8Array) {
  let pos = 0;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const varint = (): number => {
    let out = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++];
      out += (b & 0x7f) * mul;
      if (b < 0x80) return out;
      mul *= 128;
    }
  };
  return {
    done: () => pos >= buf.length,
    tag: () => {
      const t = varint();
      return { field: Math.floor(t / 8), wire: t % 8 };
    },
    varint,
    bytes: (): Uint8Array => {
      const n = varint();
      const s = buf.subarray(pos, pos + n);
      pos += n;
      return s;
    },
    float: (): number => {
      const v = dv.getFloat32(pos, true);
      pos += 4;
      return v;
    },
    skip: (wire: number) => {
      if (wire === 0) varint();
      else if (wire === 1) pos += 8;
      else if (wire === 2) {
        const n = varint(); // read first: `pos += varint()` would add to the old pos
        pos += n;
      }
      else if (wire === 5) pos += 4;
      else throw new Error(`protobuf wire type ${wire} at ${pos}`);
    },
  };
}

export function readSentencePieceModel(buf: Uint8Array): { pieces: SpPiece[]; addDummyPrefix: boolean } {
  const dec = new TextDecoder();
  const r = reader(buf);
  const pieces: SpPiece[] = [];
  let addDummyPrefix = true;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) {
      const m = reader(r.bytes());
      const p: SpPiece = { piece: '', score: 0, type: 1 };
      while (!m.done()) {
        const t = m.tag();
        if (t.field === 1 && t.wire === 2) p.piece = dec.decode(m.bytes());
        else if (t.field === 2 && t.wire === 5) p.score = m.float();
        else if (t.field === 3 && t.wire === 0) p.type = m.varint();
        else m.skip(t.wire);
      }
      pieces.push(p);
    } else if (field === 3 && wire === 2) {
      const m = reader(r.bytes());
      while (!m.done()) {
        const t = m.tag();
        if (t.field === 3 && t.wire === 0) addDummyPrefix = m.varint() !== 0;
        else m.skip(t.wire);
      }
    } else r.skip(wire);
  }
  return { pieces, addDummyPrefix };
}

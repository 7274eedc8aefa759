import { tf } from '@llmar/tensor';
import { LlmError } from './errors';

/** One layer's cached keys (stored transposed, [B, Hkv, hs, S]) and values ([B, Hkv, S, hs]). */
export interface LayerKv {
  kT: tf.Tensor4D;
  v: tf.Tensor4D;
}

/**
 * Key/value cache for incremental decoding: per layer the keys and values of every position seen so far, plus an
 * optional key mask [B, S] (1 = real token) when padding was passed. `length` is the next position.
 * Owned by the caller: call `dispose()` when done.
 */
export class KvCache {
  readonly batch: number;
  readonly nLayers: number;
  /** Positions cached so far (the start position of the next call). */
  length = 0;
  readonly layers: (LayerKv | undefined)[];
  /** [B, length] key mask, present once a padding mask was given. */
  keyMask?: tf.Tensor2D;

  constructor(nLayers: number, batch: number) {
    if (!Number.isInteger(batch) || batch <= 0) throw new LlmError('BAD_OPTION', `KvCache: batch ${batch} must be a positive integer`);
    this.batch = batch;
    this.nLayers = nLayers;
    this.layers = new Array(nLayers).fill(undefined);
  }

  /** Replace layer i's entries (the cache keeps the new tensors and disposes the old ones). */
  setLayer(i: number, kv: LayerKv): void {
    const old = this.layers[i];
    this.layers[i] = { kT: tf.keep(kv.kT), v: tf.keep(kv.v) };
    if (old) {
      old.kT.dispose();
      old.v.dispose();
    }
  }

  /** Replace the key mask. */
  setKeyMask(m: tf.Tensor2D | undefined): void {
    const old = this.keyMask;
    this.keyMask = m ? tf.keep(m) : undefined;
    if (old && old !== m) old.dispose();
  }

  /** Free every cached tensor and reset to length 0. */
  dispose(): void {
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i];
      if (l) {
        l.kT.dispose();
        l.v.dispose();
      }
      this.layers[i] = undefined;
    }
    this.setKeyMask(undefined);
    this.length = 0;
  }
}

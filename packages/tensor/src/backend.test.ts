import { describe, it, expect } from 'vitest';
import { initBackend, backendFromEnv, backendInfo, TensorError, tf } from './index';

describe('backend choice', () => {
  it('wasm and cpu start and report what runs', async () => {
    for (const b of ['cpu', 'wasm'] as const) {
      const info = await initBackend(b, { native: false });
      expect(info.backend).toBe(b);
      expect(info.tfBackend).toBe(b);
      expect(tf.getBackend()).toBe(b);
      expect(info.label).toBe(b);
      expect(backendInfo()).toBe(info);
    }
  });

  it('an absent tfjs-node-gpu fails with the package name and how to install it', async () => {
    let err: unknown;
    try {
      await initBackend('node-gpu');
    } catch (e) {
      err = e;
    }
    // On a machine where tfjs-node-gpu is really installed this test has nothing to check.
    if (tf.findBackend('tensorflow')) return;
    expect(err).toBeInstanceOf(TensorError);
    expect((err as TensorError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as Error).message).toContain('@tensorflow/tfjs-node-gpu');
    expect((err as Error).message).toContain('npm i @tensorflow/tfjs-node-gpu@4.22.0');
  });

  it('auto falls through absent native backends to wasm and says why', async () => {
    const info = await initBackend('auto', { native: false });
    if (tf.findBackend('tensorflow')) return;
    expect(info.backend).toBe('wasm');
    expect(info.notices.some((n) => n.includes('@tensorflow/tfjs-node-gpu'))).toBe(true);
    expect(info.notices.some((n) => n.includes('@tensorflow/tfjs-node '))).toBe(true);
  });

  it('LLMAR_BACKEND is validated', () => {
    expect(backendFromEnv({ LLMAR_BACKEND: 'cpu' })).toBe('cpu');
    expect(backendFromEnv({})).toBeUndefined();
    expect(() => backendFromEnv({ LLMAR_BACKEND: 'gpu' })).toThrow(/LLMAR_BACKEND="gpu" is not one of auto, node-gpu, node, wasm, cpu/);
  });

  it('an unknown backend name is refused', async () => {
    await expect(initBackend('tpu' as never)).rejects.toThrow(/backend "tpu" is not one of/);
  });
});

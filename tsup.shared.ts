import type { Options } from 'tsup';

/**
 * Shared tsup settings: ESM + CJS + .d.ts from `src/index.ts` (plus any extra entries a package names).
 * Other @llmar packages stay external and their types resolve through node_modules (built first by nx's ^build),
 * so the tsconfig path aliases that point at sources (used by typecheck and vitest) are switched off here.
 */
export function packageConfig(extra: Partial<Options> = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { paths: {}, baseUrl: '.' } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...extra,
  };
}

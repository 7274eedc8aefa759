import { defineConfig } from 'tsup';
import { build } from 'esbuild';
import { packageConfig } from '../../tsup.shared';

/** The library (ESM + CJS + .d.ts) and, once it is built, the browser script bundled into dist/public/app.js. */
export default defineConfig(packageConfig({
  shims: true,
  external: ['esbuild', 'commander'],
  async onSuccess() {
    await build({
      entryPoints: ['src/front/main.ts'], bundle: true, outfile: 'dist/public/app.js', format: 'iife', target: 'es2020',
      platform: 'browser', minify: true, sourcemap: false, logLevel: 'warning',
    });
  },
}));

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ViewerError } from './errors';

/** Where this module lives: `src/` when run from source (tests), `dist/` when built. */
function moduleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/** Bundles the front end (src/front/main.ts) into one browser script with esbuild (no network, no CDN). */
export async function bundleFrontEnd(entry = join(moduleDir(), 'front', 'main.ts')): Promise<string> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [entry], bundle: true, write: false, format: 'iife', target: 'es2020', platform: 'browser',
    minify: false, sourcemap: false, logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

/**
 * The browser script of the page: bundled from the sources when running from them (always fresh in tests),
 * otherwise `dist/public/app.js` written at build time. `publicDir` overrides where the built script is looked for.
 */
export async function loadFrontEnd(publicDir?: string): Promise<string> {
  const here = moduleDir();
  if (!publicDir && existsSync(join(here, 'front', 'main.ts'))) return bundleFrontEnd();
  const file = join(publicDir ?? join(here, 'public'), 'app.js');
  if (!existsSync(file)) throw new ViewerError('NO_FRONT_END', `front end ${file} is missing: build @llmar/viewer (npm run build)`);
  return readFileSync(file, 'utf8');
}

/**
 * Every package is publishable as is: `npm pack` it, install the tarballs into a fresh temporary project (internal
 * @llmar dependencies resolve to the tarballs, third-party ones from the npm cache or registry), then import each
 * package from ESM and from CommonJS and check both expose the same names. Needs the packages built (`npm test` builds
 * them first through nx); skipped with a printed reason when a dist is missing.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
interface Pkg { dir: string; name: string; json: { private?: boolean; files?: string[]; exports?: unknown; main?: string } }
const pkgs: Pkg[] = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((d) => {
    const json = JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8'));
    return { dir: join(root, 'packages', d), name: json.name as string, json };
  })
  .filter((p) => !p.json.private);
const missing = pkgs.filter((p) => !existsSync(join(p.dir, 'dist')));
const skip = missing.length > 0;
if (skip) console.warn(`pack test skipped: not built (${missing.map((p) => p.name).join(', ')}); run \`npm run build\``);

describe.skipIf(skip)('packages pack, install and import from ESM and CommonJS', () => {
  let work = '';
  const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'llmar-pack-'));
    const tarballs: string[] = [];
    for (const p of pkgs) {
      const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: p.dir, env: npmEnv, encoding: 'utf8' });
      const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
      tarballs.push(join(work, info[0].filename));
      // only what is published: dist, README, package.json (and a native package's sources to build from)
      for (const f of info[0].files) expect(f.path, `${p.name} publishes ${f.path}`).toMatch(/^(dist\/|README\.md$|package\.json$|LICENSE|binding\.gyp$|csrc\/|configs\/)/);
    }
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'llmar-pack-check', version: '0.0.0', private: true }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-save', '--ignore-scripts=false', ...tarballs], { cwd: work, env: npmEnv, stdio: 'pipe', timeout: 600_000 });
  }, 900_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const p of pkgs) {
    it(`${p.name} imports from ESM and CJS with the same exports`, () => {
      const esm = execFileSync('node', ['--input-type=module', '-e',
        `const m = await import(${JSON.stringify(p.name)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()))`],
      { cwd: work, encoding: 'utf8' });
      const cjs = execFileSync('node', ['-e',
        `const m = require(${JSON.stringify(p.name)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule').sort()))`],
      { cwd: work, encoding: 'utf8' });
      const esmKeys = JSON.parse(esm.trim().split('\n').pop()!) as string[];
      const cjsKeys = JSON.parse(cjs.trim().split('\n').pop()!) as string[];
      expect(esmKeys.length).toBeGreaterThan(0);
      expect(cjsKeys).toEqual(esmKeys);
      expect(existsSync(join(work, 'node_modules', p.name, 'dist', 'index.d.ts'))).toBe(true);
    }, 120_000);
  }
});

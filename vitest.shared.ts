import { fileURLToPath } from 'node:url';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = fileURLToPath(new URL('.', import.meta.url));

/** `@llmar/<name>` → `packages/<name>/src/index.ts`: tests run from source, no build needed. */
export function sourceAliases(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of readdirSync(join(root, 'packages'))) {
    const entry = join(root, 'packages', dir, 'src', 'index.ts');
    if (existsSync(entry)) out[`@llmar/${dir}`] = entry;
  }
  return out;
}

export const sharedTest = {
  pool: 'forks' as const,
  maxWorkers: 2,
  testTimeout: 120_000,
  hookTimeout: 120_000,
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
};

/** Headless Chromium for the page tests (playwright-core + the system's Chromium; no browser download). */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.LLMAR_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const OUTPUT_DIR = join(fileURLToPath(new URL('..', import.meta.url)), 'test-output');

export function warnNoBrowser(): void {
  if (!HAVE_CHROMIUM) console.warn(`@llmar/viewer browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set LLMAR_CHROMIUM)`);
}

export async function launch() {
  const { chromium } = await import('playwright-core');
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

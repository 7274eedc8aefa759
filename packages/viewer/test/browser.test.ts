import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SYNTHETIC_CLASS_NAMES, encodeNtuSkeleton, generateSyntheticDataset } from '@llmar/skeleton-datasets';
import type { Browser, Page } from 'playwright-core';
import { startViewer, type RunningViewer } from '../src/server';
import { parseFiles } from '../src/data';
import { fakeRecognizer, fakeRecognize, fakeTokenize } from './fake-recognizer';
import { HAVE_CHROMIUM, OUTPUT_DIR, launch, warnNoBrowser } from './browser-helpers';

warnNoBrowser();
const classes = [...SYNTHETIC_CLASS_NAMES];
const samples = generateSyntheticDataset({ seed: 0, subjects: 2, cameras: 1, repetitions: 1 });
let viewer: RunningViewer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const requests: string[] = [];

const frameText = () => page.locator('#frame').textContent();
const rawFrame = (t: string | null) => Number(/frame (\d+) \//.exec(t ?? '')?.[1] ?? NaN);

describe.skipIf(!HAVE_CHROMIUM)('the page in headless Chromium (test-double recognizer)', () => {
  beforeAll(async () => {
    viewer = await startViewer({ recognizer: fakeRecognizer(classes) });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(viewer.url);
    await page.waitForSelector('body[data-loaded="d0"]', { timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  it('shows the first synthetic sample with one chip per token and the recognizer\'s top-1', async () => {
    const want = fakeTokenize(samples[0], 32);
    const chips = page.locator('#tokens .chip');
    expect(await chips.count()).toBe(want.tokens.length);
    expect(await chips.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.token)))).toEqual(want.tokens);
    const paired = want.pairedWith!.filter((p) => p !== undefined).length;
    expect(await page.locator('#tokens .chip.paired').count()).toBe(paired);
    const top = fakeRecognize(samples[0], classes, 32).ranked[0].name;
    expect(await page.locator('#ranked li .name').first().textContent()).toBe(top);
    expect(await page.locator('#truth').textContent()).toBe(classes[samples[0].label]);
    expect(await page.locator('#frame').textContent()).toMatch(new RegExp(`frame 1 / ${samples[0].frames} · preprocessed 1 / 64`));
  });

  it('play advances the frame counter; pause stops it; scrubbing jumps', async () => {
    const before = rawFrame(await frameText());
    await page.click('#play');
    await page.waitForFunction((f) => Number(/frame (\d+) \//.exec(document.getElementById('frame')!.textContent ?? '')?.[1]) > f + 3, before, { timeout: 10_000 });
    await page.click('#play');
    const paused = await frameText();
    await page.waitForTimeout(300);
    expect(await frameText()).toBe(paused);
    await page.locator('#scrub').fill('1000');
    expect(rawFrame(await frameText())).toBe(samples[0].frames);
  });

  it('hovering a chip highlights its span of the timeline (and its paired token)', async () => {
    const n = await page.locator('#tokens .chip').count();
    await page.locator('#tokens .chip').nth(5).hover();
    const span = await page.locator('#span').evaluate((e) => ({ display: getComputedStyle(e).display, left: (e as HTMLElement).style.left, width: (e as HTMLElement).style.width }));
    expect(span.display).toBe('block');
    expect(parseFloat(span.left)).toBeCloseTo((5 / n) * 100, 2);
    expect(parseFloat(span.width)).toBeCloseTo(100 / n, 2);
    expect(await page.locator('#tokens .chip.hl').count()).toBe(1);
    await page.mouse.move(5, 5);
    expect(await page.locator('#span').evaluate((e) => getComputedStyle(e).display)).toBe('none');
  });

  it('orbit (drag) and zoom (wheel) redraw the canvas; a screenshot of the main view is saved', async () => {
    const canvas = page.locator('#raw');
    const before = await canvas.screenshot();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 20, { steps: 4 });
    await page.mouse.up();
    const after = await canvas.screenshot();
    expect(Buffer.compare(before, after)).not.toBe(0);
    await page.locator('#resetView').click();
    await page.locator('#scrub').fill('400');
    await page.locator('#tokens .chip').nth(6).hover();
    await page.screenshot({ path: join(OUTPUT_DIR, 'viewer-main.png'), fullPage: true });
  });

  it('a dropped corrupt file shows the reader\'s error, and the page keeps working', async () => {
    const good = encodeNtuSkeleton(samples[1]);
    const bad = Buffer.from(good.subarray(0, Math.floor(good.length / 3))).toString('latin1');
    let expected = '';
    try { parseFiles([{ name: 'broken.skeleton', bytes: new Uint8Array(Buffer.from(bad, 'latin1')) }]); } catch (e) { expected = (e as Error).message; }
    expect(expected).toMatch(/^\[\w+\] broken\.skeleton:\d+/);
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(text, (c) => c.charCodeAt(0))], 'broken.skeleton'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bad);
    await page.waitForFunction(() => (document.getElementById('error')!.textContent ?? '').length > 0, null, { timeout: 10_000 });
    expect(await page.locator('#error').textContent()).toBe(expected);
    // still working: another sample loads, with its own chips, and the error goes away
    await page.selectOption('#sample', 'd3');
    await page.waitForSelector('body[data-loaded="d3"]', { timeout: 10_000 });
    expect(await page.locator('#tokens .chip').count()).toBe(fakeTokenize(samples[3], 32).tokens.length);
    expect(await page.locator('#ranked li .name').first().textContent()).toBe(fakeRecognize(samples[3], classes, 32).ranked[0].name);
    expect(await page.locator('#error').textContent()).toBe('');
  });

  it('a dropped good file becomes a sample of the list', async () => {
    const s = samples[13];
    const text = Buffer.from(encodeNtuSkeleton(s)).toString('latin1');
    await page.evaluate(({ text, name }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(text, (c) => c.charCodeAt(0))], name));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, { text, name: `${s.id}.skeleton` });
    await page.waitForSelector('body[data-loaded^="u"]', { timeout: 10_000 });
    expect(await page.locator('#frame').textContent()).toContain(`/ ${s.frames}`);
    expect(await page.locator('#truth').textContent()).toBe(classes[s.label]);
  });

  it('draws a two-person action with the second body in its own colour, in both views', async () => {
    const k = samples.findIndex((s) => classes[s.label] === 'handshake');
    await page.selectOption('#sample', `d${k}`);
    await page.waitForSelector(`body[data-loaded="d${k}"]`, { timeout: 10_000 });
    await page.locator('#scrub').fill('500');
    const colours = await page.evaluate(() => ['raw', 'prepared'].map((id) => {
      const c = document.getElementById(id) as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let blue = 0, red = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] < 200) continue;
        if (Math.abs(d[i] - 0x25) < 30 && Math.abs(d[i + 1] - 0x63) < 30 && Math.abs(d[i + 2] - 0xeb) < 30) blue++; // body 1 #2563eb
        if (Math.abs(d[i] - 0xdc) < 30 && Math.abs(d[i + 1] - 0x26) < 30 && Math.abs(d[i + 2] - 0x26) < 30) red++; // body 2 #dc2626
      }
      return { blue, red };
    }));
    for (const c of colours) {
      expect(c.blue).toBeGreaterThan(200);
      expect(c.red).toBeGreaterThan(200);
    }
    await page.screenshot({ path: join(OUTPUT_DIR, 'viewer-two-bodies.png'), fullPage: true });
    // a one-person action leaves the second (all-zero) body slot undrawn
    const one = samples.findIndex((s) => classes[s.label] === 'jump');
    await page.selectOption('#sample', `d${one}`);
    await page.waitForSelector(`body[data-loaded="d${one}"]`, { timeout: 10_000 });
    const red = await page.evaluate(() => {
      const c = document.getElementById('raw') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] >= 200 && Math.abs(d[i] - 0xdc) < 30 && Math.abs(d[i + 1] - 0x26) < 30 && Math.abs(d[i + 2] - 0x26) < 30) n++;
      return n;
    });
    expect(red).toBe(0);
  });

  it('the keyboard plays, pauses and steps frames', async () => {
    await page.locator('#scrub').fill('0');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur()); // keys on the page, not in the slider
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(rawFrame(await frameText())).toBe(3);
    await page.keyboard.press('ArrowLeft');
    expect(rawFrame(await frameText())).toBe(2);
    await page.keyboard.press(' ');
    expect(await page.locator('#play').textContent()).toBe('pause');
    await page.keyboard.press(' ');
    expect(await page.locator('#play').textContent()).toBe('play');
  });

  it('draws the usage plots, makes no request outside the server and throws no page error', async () => {
    expect(await page.locator('#usageNote').textContent()).toMatch(/of 32 codes used/);
    expect(requests.every((u) => u.startsWith(viewer.url))).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('the page without a trained run', () => {
  it('shows the player and says what is missing', async () => {
    const v = await startViewer({});
    const b = await launch();
    try {
      const p = await b.newPage();
      await p.goto(v.url);
      await p.waitForSelector('body[data-loaded="d0"]', { timeout: 30_000 });
      expect(await p.locator('#norun').textContent()).toContain('no trained run');
      expect(await p.locator('#tokens .chip').count()).toBe(0);
      expect(await p.locator('#tokenNote').textContent()).toContain('--run');
      expect(await p.locator('#frame').textContent()).toMatch(/^frame 1 \/ \d+/);
      await p.click('#play');
      await p.waitForFunction(() => !/^frame 1 \//.test(document.getElementById('frame')!.textContent ?? ''), null, { timeout: 10_000 });
    } finally {
      await b.close();
      await v.close();
    }
  });
});

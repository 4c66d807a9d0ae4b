/**
 * The HTML replay report, opened in a real browser (Debian's chromium, driven by playwright-core;
 * no browser download): the reports of every shipped trace and of a trace with one injected fault.
 * Checks the DOM (verdict, counts, the divergence's line, the lanes), clicks from a divergence to
 * its place in the timeline and back, and requires that the page made no network request and
 * logged no console error. Screenshots go to test-output/html/ (look at them).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli } from '../helpers/cli.ts';
import { injectFault } from '../helpers/inject.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, 'test-output', 'html');
const CHROMIUM = process.env.PEERPROP_CHROMIUM ?? '/usr/bin/chromium';
const expected = JSON.parse(readFileSync(join(ROOT, 'traces/expected.json'), 'utf8')) as {
  traces: Record<string, { verdict: string; exitCode: number }>;
};

interface Opened {
  page: Page;
  requests: string[];
  errors: string[];
}

let browser: Browser;

async function open(html: string, name: string): Promise<Opened> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${name}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (r.url() !== `file://${file}`) requests.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`file://${file}`);
  await page.waitForLoadState('load');
  return { page, requests, errors };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: scripts/setup.sh installs Debian's chromium`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('replay --format html in Chromium', () => {
  for (const [trace, want] of Object.entries(expected.traces)) {
    it(`${trace}: verdict, counts, lanes, no network, no console error`, async () => {
      const run = await runCli(['replay', `traces/${trace}`, '--format', 'html']);
      expect(run.code).toBe(want.exitCode);
      const json = await runCli(['replay', `traces/${trace}`, '--format', 'json']);
      const report = JSON.parse(json.out) as { coverage: { events: number; invariants: { name: string }[] }; divergenceCount: number };
      expect(run.out.length).toBeLessThan(5 * 1024 * 1024);
      const { page, requests, errors } = await open(run.out, trace.replace(/\.txt$/, ''));
      expect(await page.textContent('#verdict')).toBe(want.verdict.toUpperCase());
      expect(await page.textContent('#exit-code')).toBe(String(want.exitCode));
      expect(await page.textContent('#t0-divergence-count')).toBe(String(report.divergenceCount));
      expect(await page.textContent('#t0-events')).toContain(String(report.coverage.events));
      expect(await page.locator('#t0-svg g.lane').count()).toBeGreaterThan(0);
      expect(await page.locator('#t0-svg path.genid').count()).toBeGreaterThan(0);
      // Every invariant of the coverage is listed, with what was not checked.
      expect(await page.locator('table.coverage tr[data-invariant]').count()).toBe(report.coverage.invariants.length);
      // Zoom and pan change the drawn range and keep the page quiet.
      const before = await page.textContent('#t0-timeline .range');
      await page.click('#t0-timeline button[data-zoom="0.5"]');
      expect(await page.textContent('#t0-timeline .range')).not.toBe(before);
      await page.mouse.move(700, 400);
      await page.screenshot({ path: join(OUT, `${trace.replace(/\.txt$/, '')}.png`), fullPage: true });
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it('a conform run (Debian 6.1 under QEMU): a section per scenario with its contract and mechanism', { timeout: 300_000 }, async () => {
    const run = await runCli(['conform', '--kernel', 'debian', '--scenario', 'udp-pmtu', '--scenario', 'flush', '--format', 'html']);
    expect(run.code).toBe(0);
    const { page, requests, errors } = await open(run.out, 'conform-debian-6.1');
    expect(await page.textContent('#verdict')).toBe('CONFORMANT');
    expect(await page.textContent('#scenario-counts')).toMatch(/^2: 2 passed/);
    for (const name of ['udp-pmtu', 'flush']) {
      const s = page.locator(`#scenario-${name}`);
      expect(await s.getAttribute('data-status')).toBe('pass');
      expect(await s.locator('table.contract tr').count()).toBeGreaterThan(1);
      expect(await s.textContent()).toContain('What the mechanism did');
    }
    await page.screenshot({ path: join(OUT, 'conform-debian-6.1.png'), fullPage: true });
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('review and verify: the patch with its findings / counterexample at their patch lines', async () => {
    const review = await runCli(['review', 'kernel-fixtures/route-genid.patch', '--tree', 'kernel-fixtures/trees/pre-seed', '--format', 'html']);
    expect(review.code).toBe(0);
    const r = await open(review.out, 'review-seed');
    expect(await r.page.textContent('#verdict')).toBe('CLEAN');
    // The damage warning sits under patch line 84, where the reader found it.
    const note = r.page.locator('#patch-L84 + .finding');
    expect(await note.textContent()).toMatch(/^WARNING: hunk 3 .*\[patch\/missing-trailing-context\]/);
    await r.page.screenshot({ path: join(OUT, 'review-seed.png'), fullPage: true });
    expect([r.requests, r.errors]).toEqual([[], []]);
    await r.page.close();

    const verify = await runCli(['verify', 'kernel-fixtures/mutants/04-compare-less-than.patch', '--tree', 'kernel-fixtures/trees/pre-seed', '--format', 'html']);
    expect(verify.code).toBe(1);
    const v = await open(verify.out, 'verify-mutant-04');
    expect(await v.page.textContent('#verdict')).toBe('DIVERGENT');
    expect(await v.page.locator('#counterexample table.steps tr.failed').count()).toBe(1);
    const link = v.page.locator('#counterexample a[href^="#patch-L"]');
    const target = (await link.getAttribute('href'))!.slice(1);
    expect(await v.page.textContent(`#${target}`)).toContain('rt->rt_peer_genid < rt_peer_genid()');
    await v.page.screenshot({ path: join(OUT, 'verify-mutant-04.png'), fullPage: true });
    expect([v.requests, v.errors]).toEqual([[], []]);
    await v.page.close();
  });

  it('a trace with an injected fault: the divergence, its line, and the jump to its route and back', async () => {
    const fault = await injectFault('traces/linux-3.0.1_run1-s1.ftrace.txt', 'genid-not-restamped');
    const run = await runCli(['replay', fault.path, '--format', 'html']);
    expect(run.code).toBe(1);
    const { page, requests, errors } = await open(run.out, 'injected-genid-not-restamped');
    expect(await page.textContent('#verdict')).toBe('DIVERGENT');
    const div = page.locator(`.divergence[data-line="${fault.line}"]`).first();
    expect(await div.count()).toBe(1);
    expect(await div.getAttribute('data-invariant')).toBe('check-restamps');
    expect(await div.textContent()).toContain(`:${fault.line}`);
    // The divergent route's lane is drawn first and marked.
    expect(await page.locator('#t0-svg g.lane').first().locator('.mark.divergent').count()).toBeGreaterThan(0);
    // Divergence -> its mark in the timeline.
    const id = (await div.getAttribute('id'))!;
    await div.locator('a.to-timeline').click();
    const markId = id.replace(/-d(\d+)$/, '-m$1');
    expect(await page.getAttribute(`#${markId}`, 'class')).toContain('target');
    // And back: the mark leads to the divergence.
    await page.locator(`#${markId}`).dispatchEvent('click');
    expect(await page.getAttribute(`#${id}`, 'class')).toContain('target');
    await page.screenshot({ path: join(OUT, 'injected-genid-not-restamped.png'), fullPage: true });
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

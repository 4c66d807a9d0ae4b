import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { scanHistory, bisectHistory } from '../../src/scan/index.ts';
import { buildRepo, type BuiltRepo, type Step } from './helpers.ts';
import type { AnalyserRef } from '../../src/scan/analyser-ref.ts';

const marker: AnalyserRef = { module: fileURLToPath(new URL('./fixtures/marker-analyser.ts', import.meta.url)) };
const route = (status: string, era: string, tag: string) => `/* VERDICT ${status} ${era} 7 ${tag} */\nint x_${tag.replace(/\W/g, '_')};\n`;

/** 0: no route.c; 1: pass A; 2-4 unrelated; 5: pass B (same status, other era); 6-7 unrelated; 8: divergence; 9 unrelated. */
const steps: Step[] = [
  { message: 'initial import without route.c', files: { 'Makefile': 'all:\n' } },
  { message: 'add route.c', files: { 'net/ipv4/route.c': route('pass', 'pre-genid', 'A') } },
  { message: 'docs 1', files: { 'Documentation/a.txt': '1' } },
  { message: 'docs 2', files: { 'Documentation/a.txt': '2' } },
  { message: 'route.h tweak', files: { 'include/net/route.h': 'struct rtable { int rt_genid; };\n' } },
  { message: 'inet: genid', files: { 'net/ipv4/route.c': route('pass', 'seed', 'B') } },
  { message: 'docs 3', files: { 'Documentation/a.txt': '3' } },
  { message: 'docs 4', files: { 'Documentation/a.txt': '4' } },
  { message: 'inet: break it', files: { 'net/ipv4/route.c': route('divergence', 'seed', 'C') } },
  { message: 'docs 5', files: { 'Documentation/a.txt': '5' } },
];

let repo: BuiltRepo;
beforeAll(() => {
  repo = buildRepo(steps);
});
afterAll(() => repo.cleanup());

describe('scanHistory', () => {
  it('gives one verdict per revision, oldest first, reusing verdicts of unchanged blobs', async () => {
    const { entries, stats } = await scanHistory(repo.dir, `${repo.commits[0]}..HEAD`, { analyser: marker });
    expect(entries.map((e) => e.target)).toEqual(repo.commits.slice(1));
    expect(entries.map((e) => e.subject)).toEqual(steps.slice(1).map((s) => s.message));
    expect(entries.map((e) => e.verdict.status)).toEqual([
      'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'divergence', 'divergence',
    ]);
    expect(entries.map((e) => e.verdict.era)).toEqual([
      'pre-genid', 'pre-genid', 'pre-genid', 'pre-genid', 'seed', 'seed', 'seed', 'seed', 'seed',
    ]);
    // Distinct content keys: route.c A, A + route.h, B + route.h, C + route.h.
    expect(stats).toEqual({ revisions: 9, analysed: 4, reused: 5 });
    expect(entries[1]!.reusedFrom).toBe(repo.commits[1]);
    expect(entries[0]!.reusedFrom).toBeUndefined();
    // The header became part of the sources once it existed.
    expect(entries[3]!.verdict.details).toContain('headers include/net/route.h');
  });

  it('marks a revision without route.c as skipped, never pass', async () => {
    const { entries } = await scanHistory(repo.dir, repo.commits[0]!, { analyser: marker });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.verdict.status).toBe('skipped');
  });

  it('turns an analyser exception into a skipped verdict', async () => {
    const { entries } = await scanHistory(repo.dir, 'HEAD', { analyser: { ...marker, exportName: 'broken' } });
    expect(entries[0]!.verdict).toMatchObject({ status: 'skipped', checked: 'none' });
    expect(entries[0]!.verdict.reason).toMatch(/internal error during analysis: boom/);
  });

  it('gives the same entries with worker threads, in the same order', async () => {
    const range = `${repo.commits[0]}..HEAD`;
    const one = await scanHistory(repo.dir, range, { analyser: marker, jobs: 1 });
    const two = await scanHistory(repo.dir, range, { analyser: marker, jobs: 2 });
    const workers = await scanHistory(repo.dir, range, { analyser: marker, jobs: 2, mainThread: false });
    const strip = (es: typeof one.entries) => es.map((e) => ({ ...e, verdict: { ...e.verdict, details: e.verdict.details?.slice(1) } }));
    expect(strip(two.entries)).toEqual(strip(one.entries));
    expect(strip(workers.entries)).toEqual(strip(one.entries));
    // Without the main thread, the work really ran on worker threads (tsx registered there).
    const threads = new Set(workers.entries.map((e) => e.verdict.details?.[0]));
    expect([...threads].every((t) => t !== 'thread 0')).toBe(true);
    expect(one.entries.every((e) => e.verdict.details?.[0] === 'thread 0')).toBe(true);
  });
});

describe('worker pool failures', () => {
  it('a worker thread that dies fails the scan with a message, never a verdict', async () => {
    const run = scanHistory(repo.dir, 'HEAD', { analyser: { ...marker, exportName: 'exitThread' }, jobs: 1, mainThread: false });
    await expect(run).rejects.toThrow(/scan worker exited with code 7/);
  });
  it('an analyser module that does not load fails before any work', async () => {
    await expect(scanHistory(repo.dir, 'HEAD', { analyser: { module: '/nonexistent/analyser.ts' } })).rejects.toThrow();
    await expect(scanHistory(repo.dir, 'HEAD', { analyser: { ...marker, exportName: 'nope' } })).rejects.toThrow(/no exported function nope/);
  });
});

describe('bisectHistory', () => {
  it('finds the commit that introduced the divergence (status change, not era change)', async () => {
    const r = await bisectHistory(repo.dir, `${repo.commits[1]}..HEAD`, { analyser: marker });
    expect(r.first?.target).toBe(repo.commits[8]);
    expect(r.first?.subject).toBe('inet: break it');
    expect(r.goodVerdict.status).toBe('pass');
    expect(r.candidates).toBe(8);
    // log2(8) + the two ends, far fewer than the 8 candidates.
    expect(r.evaluated.length).toBeLessThanOrEqual(5);
  });

  it('finds a change right after GOOD and at BAD itself', async () => {
    const atBad = await bisectHistory(repo.dir, `${repo.commits[7]}..${repo.commits[8]}`, { analyser: marker });
    expect(atBad.first?.target).toBe(repo.commits[8]);
    const fromEmpty = await bisectHistory(repo.dir, `${repo.commits[0]}..HEAD`, { analyser: marker });
    // GOOD (no route.c) is skipped: the first revision with another verdict is the one adding route.c.
    expect(fromEmpty.first?.target).toBe(repo.commits[1]);
  });

  it('says so when BAD has the same verdict as GOOD', async () => {
    const r = await bisectHistory(repo.dir, `${repo.commits[1]}..${repo.commits[7]}`, { analyser: marker });
    expect(r.first).toBeUndefined();
    expect(r.note).toMatch(/same verdict/);
  });

  it('refuses a GOOD that is not on the first-parent line of BAD, and malformed ranges', async () => {
    await expect(bisectHistory(repo.dir, `HEAD..${repo.commits[3]}`, { analyser: marker })).rejects.toThrow(/not on the first-parent line/);
    await expect(bisectHistory(repo.dir, 'HEAD', { analyser: marker })).rejects.toThrow(/GOOD\.\.BAD/);
    await expect(bisectHistory(repo.dir, 'a..b..c', { analyser: marker })).rejects.toThrow(/GOOD\.\.BAD/);
  });
});

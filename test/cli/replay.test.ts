/** `peerprop replay`: argv -> replay -> formats and exit codes, on the real traces and on stdin. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { injectFault } from '../helpers/inject.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';
import { haveSeedKernels, PATCH_COMMIT, STABLE_2639 } from '../kernel/seed-kernels.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const run1 = resolve(repoRoot, 'traces/linux-3.0.1_run1-s1.ftrace.txt');
const modern = resolve(repoRoot, 'traces/6.1.0-56-cloud-amd64.tcg.ttyS1-trace.txt');

const cli = (argv: string[], stdinText?: string | Buffer): Promise<CliRun> => runCli(argv, stdinText);

describe('peerprop replay on real traces', () => {
  it('text: conformant with the coverage (exit 0)', async () => {
    const r = await cli(['replay', run1]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/CONFORMANT under era pmtu-redirect/);
    expect(r.out).toMatch(/ok +check-restamps: checked \d+/);
    expect(r.out).toMatch(/probe map: linux-3.0-seed/);
  });
  it('several traces of different eras in one run', async () => {
    const r = await cli(['replay', run1, modern, '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { era: string; verdict: string }[];
    expect(j.map((x) => [x.era, x.verdict])).toEqual([['pmtu-redirect', 'conformant'], ['fnhe', 'conformant']]);
  });
  it('an injected fault: exit 1, the line, expected vs observed, history (text)', async () => {
    const f = await injectFault(run1, 'valid-after-flush');
    const r = await cli(['replay', f.path]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${f.path}:${f.line}: expired-route-fails`);
    expect(r.out).toMatch(/expected: NULL/);
    expect(r.out).toMatch(/history of route 0xffff/);
  });
  it('ktap: one subtest per trace, not ok for the failing invariant family', async () => {
    const f = await injectFault(run1, 'genid-not-restamped').catch(() => injectFault(resolve(repoRoot, 'traces/linux-3.0.1_run2-s2.ftrace.txt'), 'genid-not-restamped'));
    const r = await cli(['replay', f.path, run1, '--format', 'ktap']);
    expect(r.code).toBe(1);
    expect(r.out.startsWith('KTAP version 1\n')).toBe(true);
    expect(r.out).toMatch(/^1\.\.2$/m);
    expect(r.out).toMatch(/^ {2}not ok \d+ check-restamps$/m);
    expect(r.out).toMatch(/^not ok 1 .*genid-not-restamped.*\(pmtu-redirect\)$/m);
    expect(r.out).toMatch(/^ok 2 .*run1-s1\.ftrace\.txt \(pmtu-redirect\)$/m);
  });
  it('junit: a suite per trace, a failure per failing invariant', async () => {
    const f = await injectFault(modern, 'dst-after-exception-kill');
    const r = await cli(['replay', f.path, '--format', 'junit']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/<testsuite name="[^"]*dst-after-exception-kill[^"]*\(fnhe\)"/);
    expect(r.out).toMatch(/<testcase classname="[^"]*" name="check-fails-iff-stale"[^>]*>\s*<failure/);
  });
  it('--max-divergences caps what is shown', async () => {
    const f = await injectFault(run1, 'bump-without-cause');
    const r = await cli(['replay', f.path, '--max-divergences', '1', '--format', 'json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.divergences).toHaveLength(1);
    expect(j.divergenceCount).toBeGreaterThan(1);
  });
  it('reads standard input (-), gzip included', async () => {
    const r = await cli(['replay', '-', '--format', 'json'], gzipSync(readFileSync(run1)));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).verdict).toBe('conformant');
  });
  it('--era forces the profile (the seed has no bumpers: the 3.0.1 bumps diverge)', async () => {
    const r = await cli(['replay', run1, '--era', 'seed', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).divergences[0].invariant).toBe('genid-steps-by-one-per-bump');
  });
});

describe('peerprop replay: nothing to check and bad input (exit 2)', () => {
  it('a file with no trace events is nothing to check, never conformant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-replay-'));
    const p = join(dir, 'empty.txt');
    writeFileSync(p, '# tracer: nop\n#\n');
    const r = await cli(['replay', p]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/NOTHING TO CHECK/);
  });
  const cases: [string, string[], RegExp][] = [
    ['missing file', ['replay', '/nonexistent/trace.txt'], /nonexistent/],
    ['bad format', ['replay', run1, '--format', 'xml'], /argument 'xml' is invalid/],
    ['bad era', ['replay', run1, '--era', 'linux'], /argument 'linux' is invalid/],
    ['bad --max-divergences', ['replay', run1, '--max-divergences', '0'], /--max-divergences/],
    ['stdin twice', ['replay', '-', '-'], /standard input/],
    ['no trace', ['replay'], /missing required argument/],
  ];
  for (const [name, argv, msg] of cases) {
    it(name, async () => {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
    });
  }
  it('a probe map that is not valid JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-replay-'));
    const p = join(dir, 'map.json');
    writeFileSync(p, '{ nope');
    const r = await cli(['replay', run1, '--probes', p]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/map\.json/);
  });
});

describe('peerprop replay --jobs', () => {
  it('reads in chunks on worker threads with the same report as one thread; bad values are a one-line usage error', async () => {
    // A trace large enough for several chunks: a real one repeated (the chunked reader's test
    // holds the events and statistics themselves; this holds the command's whole output). The
    // repeats do not conform (each starts from the first's end state): divergences and their
    // lines must come out the same too.
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-jobs-'));
    const big = join(dir, 'big.txt');
    writeFileSync(big, readFileSync(run1, 'utf8').repeat(400));
    const one = await cli(['replay', big, '--format', 'json', '--jobs', '1']);
    expect(one.code).toBe(1);
    expect((JSON.parse(one.out) as { divergenceCount: number }).divergenceCount).toBeGreaterThan(0);
    for (const jobs of ['2', 'all']) {
      const r = await cli(['replay', big, '--format', 'json', '--jobs', jobs]);
      expect(r.code, r.err).toBe(1);
      expect(r.out).toBe(one.out);
    }
    for (const bad of ['0', 'x', '-1', '2.5', '999']) {
      const r = await cli(['replay', run1, '--jobs', bad]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toEqual([`peerprop: --jobs must be an integer from 1 to 256, or all (got "${bad}")`]);
    }
  });
});

describe('peerprop replay --stage', () => {
  it('judges by the stage given; without one, the stage is not known and what only it decides is unchecked', async () => {
    const given = await cli(['replay', run1, '--stage', 'S3', '--format', 'json']);
    expect(given.code).toBe(0);
    type Report = { stage: string; coverage: { invariants: { name: string; checked: number; unchecked: Record<string, number> }[] } };
    const one = (out: string): Report[] => [JSON.parse(out) as Report | Report[]].flat();
    const g = one(given.out);
    expect(g[0]!.stage).toBe('S3');
    const unknown = await cli(['replay', run1, '--format', 'json']);
    expect(unknown.code).toBe(0);
    const u = one(unknown.out);
    expect(u[0]!.stage).toBe('unknown');
    const checked = (x: typeof g) => x[0]!.coverage.invariants.reduce((n, i) => n + i.checked, 0);
    expect(checked(u)).toBeLessThan(checked(g));
    expect(u[0]!.coverage.invariants.some((i) => Object.keys(i.unchecked).some((k) => /stage .* not known/.test(k)))).toBe(true);
    const text = await cli(['replay', run1]);
    expect(text.out).toMatch(/CONFORMANT under era pmtu-redirect, stage not known \(--stage S2\.\.S5/);
    expect((await cli(['replay', run1, '--stage', 'S4'])).out).toMatch(/under era pmtu-redirect, stage S4 /);
    // The modern era has no stage: none shown.
    expect((await cli(['replay', modern])).out).not.toMatch(/stage/);
  });
  it('a fault that is one only in S2/S3 is caught when the stage is given, and unchecked without it', async () => {
    // A switch to the learned gateway without RTCF_REDIRECTED: S2/S3 set it, S4/S5 need not.
    const f = await injectFault(run1, 'redirect-not-applied');
    const s3 = await cli(['replay', f.path, '--stage', 'S3']);
    expect(s3.code).toBe(1);
    expect(s3.out).toContain(`${f.path}:${f.line}: check-applies-learned-redirect`);
    expect((await cli(['replay', f.path])).code).toBe(0);
  });
  it('bad values and a stage for another era are one-line usage errors (exit 2)', async () => {
    const bad = await cli(['replay', run1, '--stage', 'S9']);
    expect(bad.code).toBe(2);
    const fnhe = await cli(['replay', run1, '--stage', 'S4', '--era', 'fnhe']);
    expect(fnhe.code).toBe(2);
    expect(fnhe.err.trim().split('\n')).toEqual(['peerprop: --stage applies to the pmtu-redirect era only (got --era fnhe)']);
  });
});

describe.skipIf(!haveSeedKernels)('peerprop replay --kernel (the shared seed-era kernels)', () => {
  const fixtures = resolve(repoRoot, 'test/replay/fixtures');
  it('2.6.39.3: era and stage (S2) read from the kernel\'s code, and judged by them', { timeout: 180_000 }, async () => {
    const r = await cli(['replay', join(fixtures, 'linux-2.6.39.3-seed-scenarios.trace.txt'), '--kernel', join(STABLE_2639, 'bzImage'), '--format', 'json']);
    expect(r.code, r.err).toBe(0);
    const j = [JSON.parse(r.out)].flat()[0] as { era: string; stage: string; eraReason: string; verdict: string };
    expect(j).toMatchObject({ era: 'pmtu-redirect', stage: 'S2', verdict: 'conformant' });
    expect(j.eraReason).toMatch(/from the code of kernel 2\.6\.39\.3 \(--kernel\): .*rt_bind_peer\(rt, create\) \(S2\)/);
    expect(r.err).toMatch(/kernel 2\.6\.39\.3: era pmtu-redirect, stage S2, read from its code/);
  });
  it('the patch commit alone: the seed era, whatever the events would suggest', { timeout: 180_000 }, async () => {
    const r = await cli(['replay', join(fixtures, 'linux-6431cbc-seed-scenarios.trace.txt'), '--kernel', join(PATCH_COMMIT, 'bzImage'), '--format', 'json']);
    expect(r.code, r.err).toBe(0);
    const j = [JSON.parse(r.out)].flat()[0] as { era: string; stage?: string };
    expect(j.era).toBe('seed');
    expect(j.stage).toBeUndefined();
  });
  it('with --era or --stage as well: a one-line usage error (exit 2)', async () => {
    for (const extra of [['--stage', 'S3'], ['--era', 'seed']]) {
      const r = await cli(['replay', run1, '--kernel', join(STABLE_2639, 'bzImage'), ...extra]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toEqual(["peerprop: --kernel reads the era and stage from the kernel's code: give --kernel or --era/--stage, not both"]);
    }
  });
});

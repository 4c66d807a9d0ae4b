/**
 * `peerprop ci` in-process: what it refuses, what each part yields in every format, and the exit
 * code of the whole run being its worst part's. The source parts run on the fixture trees and
 * patches; conform boots Debian's 6.1 kernel under QEMU (one full run, and one without QEMU).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CI_FILES } from '../../src/ci/index.ts';
import { runCli } from '../helpers/cli.ts';
import { readCiFiles } from '../helpers/ci-formats.ts';
import { buildRepo, type BuiltRepo } from '../scan/helpers.ts';
import { treeFiles } from '../scan/fixture-trees.ts';

const PATCH = 'kernel-fixtures/route-genid.patch';
const MUTANT = 'kernel-fixtures/mutants/04-compare-less-than.patch';
const PRE_SEED = 'kernel-fixtures/trees/pre-seed';
const PMTU = 'kernel-fixtures/trees/pmtu-redirect';

const dirs: string[] = [];
async function outDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'peerprop-ci-'));
  dirs.push(d);
  return join(d, 'out');
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('peerprop ci: refused before anything runs (exit 2, one line, no report)', () => {
  const cases: [string, string[], RegExp][] = [
    ['nothing to check', [], /nothing to check/],
    ['--tree and --git', ['--tree', PRE_SEED, '--git', '.'], /not both/],
    ['--revs without --git', ['--tree', PRE_SEED, '--revs', 'A..B'], /--revs needs --git/],
    ['the same patch twice', ['--patch', PATCH, PATCH], /given twice/],
    ['two patches with the same bytes', ['--patch', PATCH, `./${PATCH}`], /same content as kernel-fixtures\/route-genid\.patch/],
    ['a bad --smp', ['--kernel', 'debian', '--smp', '0'], /--smp/],
    ['an unknown scenario', ['--kernel', 'debian', '--scenario', 'no-such-thing'], /unknown scenario "no-such-thing"/],
    ['--scenario without a kernel', ['--tree', PRE_SEED, '--scenario', 'udp-pmtu'], /needs --kernel/],
  ];
  for (const [name, argv, msg] of cases) {
    it(name, async () => {
      const out = await outDir();
      const r = await runCli(['ci', ...argv, '--out', out]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.out).toBe('');
      expect(existsSync(join(out, CI_FILES.kcidb))).toBe(false);
    });
  }
  it('no --out', async () => {
    const r = await runCli(['ci', '--tree', PRE_SEED]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out/);
  });
});

describe('peerprop ci on source (review, verify, scan)', () => {
  it('a clean run: every format written and valid, exit 0, one summary line', async () => {
    const out = await outDir();
    const r = await runCli(['ci', '--tree', PRE_SEED, '--patch', PATCH, '--out', out]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    // stderr is not a terminal here: no progress, no logs.
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^peerprop ci: exit 0 in [\d.]+ s; review .*; verify .*agrees with the model; scan .*1 pass.*; reports in /);
    expect(readdirSync(out).sort()).toEqual(Object.values(CI_FILES).sort());
    const f = readCiFiles(out);
    expect(f.json.exitCode).toBe(0);
    expect(f.json.parts.map((p) => [p.kind, p.exitCode])).toEqual([['review', 0], ['verify', 0], ['scan', 0]]);
    const paths = f.kcidb.tests.map((t) => `${t.path} ${t.status}`);
    expect(paths).toEqual(
      expect.arrayContaining(['peerprop.review PASS', 'peerprop.verify PASS', 'peerprop.verify.exhaustive PASS', 'peerprop.verify.wrap PASS', 'peerprop.verify.random PASS', 'peerprop.verify.interleavings PASS', 'peerprop.scan PASS']),
    );
    // Review and verify of one patch on one tree are one checkout (with the patchset hash); the tree alone is another.
    expect(f.kcidb.checkouts).toHaveLength(2);
    expect(f.kcidb.checkouts.filter((c) => typeof c.patchset_hash === 'string' && /^[0-9a-f]{64}$/.test(c.patchset_hash as string))).toHaveLength(1);
    expect(f.ktap).toMatch(/^ok 1 review /m);
    expect(f.ktap).toMatch(/^ok 3 scan /m);
    expect(f.sarif.runs.length).toBe(2);
    expect(f.text).toMatch(/==== overall exit 0\n$/);
  });

  it('a failing part (a mutant the verifier kills) makes the whole run exit 1; its KCIDB tests FAIL with the counterexample', async () => {
    const out = await outDir();
    const r = await runCli(['ci', '--tree', PRE_SEED, '--patch', MUTANT, '--out', out]);
    expect(r.code, r.out + r.err).toBe(1);
    const f = readCiFiles(out);
    const verify = f.kcidb.tests.find((t) => t.path === 'peerprop.verify')!;
    expect(verify.status).toBe('FAIL');
    expect(verify.log_excerpt).toMatch(/DIVERGENCE[\s\S]*net\/ipv4\/route\.c:\d+/);
    expect(f.kcidb.tests.find((t) => t.path === 'peerprop.review')!.status).toBe('FAIL');
    expect(f.kcidb.tests.find((t) => t.path === 'peerprop.scan')!.status).toBe('PASS');
    expect(f.ktap).toMatch(/^not ok 2 verify /m);
    expect(f.junit).toMatch(/<failure /);
  });

  it('a patch that does not apply is bad input (exit 2): ERROR and an invalid checkout, never PASS; the scan still runs', async () => {
    const out = await outDir();
    const r = await runCli(['ci', '--tree', PMTU, '--patch', PATCH, '--out', out]);
    expect(r.code, r.out + r.err).toBe(2);
    expect(r.out).toMatch(/review kernel-fixtures\/route-genid\.patch: exit 2 \(.*does not apply|hunk 1/);
    const f = readCiFiles(out);
    expect(f.json.parts.map((p) => [p.kind, p.exitCode])).toEqual([['review', 2], ['verify', 2], ['scan', 0]]);
    const byPath = new Map(f.kcidb.tests.map((t) => [t.path, t]));
    expect(byPath.get('peerprop.review')!.status).toBe('ERROR');
    expect(byPath.get('peerprop.verify')!.status).toBe('ERROR');
    expect(byPath.get('peerprop.review')!.log_excerpt).toMatch(/does not apply/);
    expect(byPath.get('peerprop.scan')!.status).toBe('PASS');
    const patched = f.kcidb.checkouts.find((c) => typeof c.patchset_hash === 'string')!;
    expect(patched.valid).toBe(false);
    expect(f.ktap).toMatch(/^not ok 1 review .* # ERROR .*does not apply/m);
  });
});

describe('peerprop ci --git: the scan reads each revision from the object store', () => {
  let repo: BuiltRepo;
  beforeAll(() => {
    repo = buildRepo([
      { message: 'net: routing cache with inetpeer binding', files: treeFiles('pre-seed') },
      { message: 'ipv4: Cache learned PMTU and redirect information in inetpeer.', files: treeFiles('pmtu-redirect') },
    ]);
  });
  afterAll(() => repo.cleanup());

  it('a KCIDB checkout per revision with its commit hash; patches go without a tree (hunks alone)', async () => {
    const out = await outDir();
    const r = await runCli(['ci', '--git', repo.dir, '--revs', `${repo.commits[0]}..${repo.commits[1]}`, '--patch', PATCH, '--out', out]);
    // verify needs whole functions: the hunks alone do not hold them (bad input, exit 2).
    expect(r.code, r.out + r.err).toBe(2);
    const f = readCiFiles(out);
    expect(f.kcidb.tests.find((t) => t.path === 'peerprop.verify')!.status).toBe('ERROR');
    const hashes = f.kcidb.checkouts.map((c) => c.git_commit_hash).filter(Boolean);
    expect(hashes).toContain(repo.commits[1]);
    const scans = f.kcidb.tests.filter((t) => t.path === 'peerprop.scan');
    expect(scans.length).toBeGreaterThanOrEqual(1);
    for (const t of scans) expect(t.status).toBe('PASS');
    // Without a tree the seed patch's damaged hunks are all there is: a partial review is never a PASS.
    expect(f.kcidb.tests.find((t) => t.path === 'peerprop.review')!.status).not.toBe('PASS');
  });
});

describe('peerprop ci with a kernel: conform under QEMU', () => {
  it('the whole run: review, verify, scan and conform on Debian 6.1; every format valid; exit = the worst part', { timeout: 600_000 }, async () => {
    const out = await outDir();
    const t0 = performance.now();
    const r = await runCli(['ci', '--tree', PMTU, '--patch', PATCH, '--kernel', 'debian', '--out', out]);
    const wall = (performance.now() - t0) / 1000;
    const f = readCiFiles(out);
    const conform = f.json.parts.find((p) => p.kind === 'conform')!;
    expect(conform.exitCode, JSON.stringify(conform.error ?? '')).toBe(0);
    // The seed patch does not apply to a tree that already has the mechanism: review and verify are bad input.
    expect(r.code).toBe(Math.max(...f.json.parts.map((p) => p.exitCode)));
    expect(r.code).toBe(2);
    const tests = f.kcidb.tests;
    const boot = tests.find((t) => t.path === 'peerprop.boot')!;
    expect(boot.status).toBe('PASS');
    const env = (boot as unknown as { environment: { misc: { kernel_release: string; arch: string; accel: string } } }).environment.misc;
    expect(env).toMatchObject({ arch: 'x86_64', accel: 'tcg' });
    expect(env.kernel_release).toMatch(/^6\.1\./);
    const scenarios = tests.filter((t) => /^peerprop\.[a-z0-9-]+$/.test(t.path) && !['peerprop.boot', 'peerprop.review', 'peerprop.verify', 'peerprop.scan'].includes(t.path));
    expect(scenarios.length).toBeGreaterThanOrEqual(6);
    for (const s of scenarios) {
      expect(s.status, s.path).toBe('PASS');
      expect(tests.find((t) => t.path === `${s.path}.contract`)?.status).toBe('PASS');
      expect(['PASS', 'SKIP']).toContain(tests.find((t) => t.path === `${s.path}.mechanism`)?.status);
    }
    // The evidence quotes the trace lines it stands on, from the capture kept in the output directory.
    const mech = tests.find((t) => t.path === 'peerprop.udp-pmtu.mechanism')!;
    expect(mech.log_excerpt).toMatch(/capture\.txt:\d+\| .*pmtu/);
    const kept = readdirSync(join(out, 'conform'));
    expect(kept).toHaveLength(1);
    expect(readdirSync(join(out, 'conform', kept[0]!))).toEqual(expect.arrayContaining(['capture.txt', 'console.log', 'report.json']));
    expect(f.ktap).toMatch(/^ok 4 conform --kernel debian$/m);
    expect(readFileSync(join(out, CI_FILES.html), 'utf8')).toMatch(/id="p4-scenario-udp-pmtu"/);
    process.stderr.write(`ci with Debian 6.1: ${wall.toFixed(1)} s wall\n`);
  });

  it('no QEMU: the conform part is environment missing (exit 3, KCIDB MISS), the other parts are still reported', { timeout: 120_000 }, async () => {
    const saved = process.env.PEERPROP_QEMU;
    process.env.PEERPROP_QEMU = '/nonexistent/qemu-system-x86_64';
    try {
      const out = await outDir();
      const r = await runCli(['ci', '--tree', PRE_SEED, '--kernel', 'debian', '--out', out]);
      expect(r.code, r.out + r.err).toBe(3);
      expect(r.out).toMatch(/conform debian: exit 3 \(.*QEMU not found/);
      const f = readCiFiles(out);
      expect(f.kcidb.tests.find((t) => t.path === 'peerprop.boot')!.status).toBe('MISS');
      expect(f.kcidb.tests.find((t) => t.path === 'peerprop.scan')!.status).toBe('PASS');
      expect(f.kcidb.tests.some((t) => t.status === 'PASS' && t.path !== 'peerprop.scan')).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.PEERPROP_QEMU;
      else process.env.PEERPROP_QEMU = saved;
    }
  });
});

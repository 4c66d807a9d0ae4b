/**
 * The fixture trees committed into a real git repository built here (a commit per stage plus
 * unrelated commits), scanned and bisected from the object store with the real analyser:
 * era detection, facts, and the differential check of verify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { bisectHistory, scanHistory } from '../../src/scan/index.ts';
import { buildRepo, type BuiltRepo, type Step } from './helpers.ts';
import { mutantFiles, mutantPatches, replaceTree, seedFiles, treeFiles, TREES, type Files } from './fixture-trees.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const cli = (...argv: string[]): Promise<CliRun> => runCli(argv);

const mutants = mutantPatches();

/** The history of one tree through the stages; `mutant` is committed between seed and its revert. */
async function stageSteps(mutant: string | undefined): Promise<Step[]> {
  const pre = treeFiles('pre-seed');
  const seed = await seedFiles();
  const steps: Step[] = [
    { message: 'Initial import: build system', files: { Makefile: 'obj-y += net/\n' } },
    { message: 'net: routing cache with inetpeer binding', files: pre },
    { message: 'Documentation: networking notes', files: { 'Documentation/networking/notes.txt': 'one\n' } },
    { message: 'inet: Create a mechanism for upward inetpeer propagation into routes.', files: replaceTree(pre, seed) },
    { message: 'drivers: unrelated change', files: { 'drivers/net/dummy.c': 'int dummy;\n' } },
    { message: 'Documentation: more notes', files: { 'Documentation/networking/notes.txt': 'two\n' } },
  ];
  let prev: Files = seed;
  if (mutant) {
    const m = await mutantFiles(mutant);
    steps.push({ message: `inet: ${basename(mutant, '.patch')}`, files: replaceTree(prev, m) });
    steps.push({ message: 'drivers: another unrelated change', files: { 'drivers/net/dummy.c': 'int dummy2;\n' } });
    steps.push({ message: `Revert "inet: ${basename(mutant, '.patch')}"`, files: replaceTree(m, seed) });
    prev = seed;
  }
  const pmtu = treeFiles('pmtu-redirect');
  const fnhe = treeFiles('fnhe');
  steps.push({ message: 'ipv4: Cache learned PMTU and redirect information in inetpeer.', files: replaceTree(prev, pmtu) });
  steps.push({ message: 'Documentation: PMTU notes', files: { 'Documentation/networking/notes.txt': 'three\n' } });
  steps.push({ message: 'ipv4: Remove the routing cache (next-hop exceptions).', files: replaceTree(pmtu, fnhe) });
  steps.push({ message: 'drivers: last unrelated change', files: { 'drivers/net/dummy.c': 'int dummy3;\n' } });
  return steps;
}

describe('fixture stages as seed patch application', () => {
  it('pre-seed + the two seed patches (applied by peerprop) is the seed tree byte for byte', async () => {
    const seed = await seedFiles();
    expect(seed['net/ipv4/route.c']).toBe(readFileSync(join(TREES, 'seed/net/ipv4/route.c'), 'utf8'));
    expect(seed['include/net/route.h']).toBe(readFileSync(join(TREES, 'seed/include/net/route.h'), 'utf8'));
  });
});

describe('scan --git over the fixture history (with a mutant and its revert)', () => {
  let repo: BuiltRepo;
  const mutant = mutants[0];
  beforeAll(async () => {
    repo = buildRepo(await stageSteps(mutant));
  });
  afterAll(() => repo?.cleanup());

  it.skipIf(!mutant)('gives each revision the verdict of its stage and reuses verdicts of unchanged blobs', async () => {
    const { entries, stats } = await scanHistory(repo.dir, `${repo.commits[0]}..HEAD`, { jobs: 1 });
    const got = entries.map((e) => `${e.verdict.era} ${e.verdict.status} ${e.verdict.checked}`);
    expect(got).toEqual([
      'pre-genid pass differential',
      'pre-genid pass differential',
      'seed pass differential',
      'seed pass differential',
      'seed pass differential',
      'seed divergence differential',
      'seed divergence differential',
      'seed pass differential',
      'pmtu-redirect pass differential',
      'pmtu-redirect pass differential',
      'fnhe pass facts',
      'fnhe pass facts',
    ]);
    // pre-seed, seed, mutant, pmtu-redirect, fnhe: the revert reuses the seed's verdict.
    expect(stats).toEqual({ revisions: 12, analysed: 5, reused: 7 });
    expect(entries[7]!.reusedFrom).toBe(repo.commits[3]);
    // The divergence points at a line of the mutated route.c.
    const loc = entries[5]!.verdict.location;
    expect(loc?.file).toBe('net/ipv4/route.c');
    expect(loc?.line).toBeGreaterThan(0);
    expect(entries[10]!.verdict.reason).toMatch(/^genid\/peer functions gone/);
  });

  it.skipIf(!mutant)('--jobs 2 gives the same verdicts in the same order', async () => {
    const one = await scanHistory(repo.dir, `${repo.commits[0]}..HEAD`, { jobs: 1 });
    const two = await scanHistory(repo.dir, `${repo.commits[0]}..HEAD`, { jobs: 2 });
    const key = (es: typeof one.entries) => es.map((e) => [e.target, e.verdict.status, e.verdict.era, e.verdict.reason]);
    expect(key(two.entries)).toEqual(key(one.entries));
  });

  it.skipIf(!mutant)('CLI: text line per revision and exit 1 for the divergence', async () => {
    const r = await cli('scan', '--git', repo.dir, '--revs', `${repo.commits[0]}..HEAD`);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toMatch(new RegExp(`^${repo.commits[1]!.slice(0, 12)}  pre-genid  pass  `));
    expect(lines[5]).toMatch(new RegExp(`^${repo.commits[6]!.slice(0, 12)}  seed  divergence  `));
    expect(lines[11]).toMatch(/ {2}fnhe {2}pass\(facts\) {2}genid\/peer functions gone/);
  });

  it.skipIf(!mutant)('CLI: KTAP, JUnit and SARIF of the same scan', async () => {
    const range = `${repo.commits[0]}..HEAD`;
    const k = await cli('scan', '--git', repo.dir, '--revs', range, '--format', 'ktap');
    expect(k.code).toBe(1);
    expect(k.out).toContain('  1..12');
    expect(k.out).toContain(`  not ok 6 ${repo.commits[6]!.slice(0, 12)}`);
    const j = await cli('scan', '--git', repo.dir, '--revs', range, '--format', 'junit');
    expect(j.out).toMatch(/tests="12" failures="2" errors="0" skipped="0"/);
    const s = await cli('scan', '--git', repo.dir, '--revs', range, '--format', 'sarif');
    const results = JSON.parse(s.out).runs[0].results;
    expect(results).toHaveLength(12);
    const div = results.filter((x: { level: string }) => x.level === 'error');
    expect(div).toHaveLength(2);
    expect(div[0].locations[0].physicalLocation.artifactLocation.uri).toBe('net/ipv4/route.c');
  });

  it.skipIf(!mutant)('--bisect finds the commit that introduced the mutant, with its subject', async () => {
    const r = await bisectHistory(repo.dir, `${repo.commits[1]}..${repo.commits[7]}`);
    expect(r.first?.target).toBe(repo.commits[6]);
    expect(r.first?.verdict.status).toBe('divergence');
    const c = await cli('scan', '--git', repo.dir, '--bisect', `${repo.commits[1]}..${repo.commits[7]}`);
    expect(c.code).toBe(1);
    expect(c.out).toContain(`${repo.commits[6]} is the first revision whose verdict differs: inet: ${basename(mutant!, '.patch')}`);
  });
});

describe('bisect finds every mutant of the seed', () => {
  it.skipIf(mutants.length === 0).each(mutants.map((m) => [basename(m), m]))('%s', async (_name, patch) => {
    const pre = treeFiles('pre-seed');
    const seed = await seedFiles();
    const m = await mutantFiles(patch);
    const repo = buildRepo([
      { message: 'base', files: pre },
      { message: 'docs', files: { 'Documentation/x.txt': '1\n' } },
      { message: 'seed', files: replaceTree(pre, seed) },
      { message: 'docs 2', files: { 'Documentation/x.txt': '2\n' } },
      { message: 'docs 3', files: { 'Documentation/x.txt': '3\n' } },
      { message: `mutant ${basename(patch)}`, files: replaceTree(seed, m) },
      { message: 'docs 4', files: { 'Documentation/x.txt': '4\n' } },
      { message: 'docs 5', files: { 'Documentation/x.txt': '5\n' } },
    ]);
    try {
      const r = await bisectHistory(repo.dir, `${repo.commits[0]}..HEAD`);
      expect(r.goodVerdict.status).toBe('pass');
      expect(r.first?.target).toBe(repo.commits[5]);
      expect(r.first?.verdict.status).toBe('divergence');
    } finally {
      repo.cleanup();
    }
  });
});

describe('route.c commits that do not touch the checked functions', () => {
  it('are parsed and classified per blob, but the check runs once per set of definitions it read, also across worker threads', async () => {
    const seed = await seedFiles();
    const steps: Step[] = [{ message: 'base', files: { Makefile: 'all:\n' } }, { message: 'seed', files: seed }];
    for (let i = 1; i <= 8; i++) {
      steps.push({ message: `net: tweak ${i}`, files: { 'net/ipv4/route.c': `${seed['net/ipv4/route.c']}\n/* tweak ${i} */\n` } });
    }
    const repo = buildRepo(steps);
    try {
      const { entries, stats } = await scanHistory(repo.dir, `${repo.commits[0]}..HEAD`, { jobs: 2 });
      expect(stats).toEqual({ revisions: 9, analysed: 9, reused: 0 });
      expect(entries.every((e) => e.verdict.status === 'pass' && e.verdict.era === 'seed')).toBe(true);
      // At most one check per worker before the first result is shared; the rest reuse it.
      const reusedChecks = entries.filter((e) => e.verdict.details?.some((d) => /result reused/.test(d))).length;
      expect(reusedChecks).toBeGreaterThanOrEqual(9 - 2);
    } finally {
      repo.cleanup();
    }
  });
});

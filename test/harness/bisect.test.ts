import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBisect, sameVerdict, type BisectCommit, type Outcome } from '../../src/harness/bisect.ts';
import { bisectGraph, parseRange } from '../../src/harness/bisect-git.ts';
import { bisectExitCode, outcomeOfReport, renderBisect, stepTraceLines } from '../../src/harness/bisect-conform.ts';
import { git } from '../scan/helpers.ts';

/**
 * A generated history stands in for the kernel's; a stand-in judge reads the state each commit
 * left in its files (what a build and a boot would observe), so only the bisect driver and the
 * git reading are under test. Real builds and boots: test/harness/build-live.test.ts.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function newRepo(): { dir: string; commit: (msg: string, files: Record<string, string | null>) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'peerprop-bisect-'));
  dirs.push(dir);
  git(dir, 'init', '-q');
  return {
    dir,
    commit(msg, files) {
      for (const [p, text] of Object.entries(files)) {
        if (text === null) rmSync(join(dir, p), { force: true });
        else {
          mkdirSync(join(dir, p, '..'), { recursive: true });
          writeFileSync(join(dir, p), text);
        }
      }
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '--allow-empty', '-m', msg);
      return git(dir, 'rev-parse', 'HEAD').trim();
    },
  };
}

/** A judge over what each commit's tree holds: net/ipv4/state says pass or fail, net/ipv4/broken does not build. */
function judgeFromTree(dir: string, calls: string[] = []) {
  return async (c: BisectCommit): Promise<Outcome> => {
    calls.push(c.oid);
    const files = git(dir, 'ls-tree', '-r', '--name-only', c.oid).split('\n');
    if (files.includes('net/ipv4/broken')) return { kind: 'skip', reason: 'does not build: broken' };
    const state = git(dir, 'show', `${c.oid}:net/ipv4/state`).trim();
    return { kind: 'verdict', key: `pmtu:${state}`, summary: `pmtu:${state}`, evidence: state === 'fail' ? ['contract: ip route get shows mtu 1400: expected mtu 1400, observed mtu 1500'] : [] };
  };
}

/** GOOD, then n commits; commit i (1-based) has `state(i)`; every third one touches only Documentation/. */
function linear(n: number, state: (i: number) => string, broken: number[] = []) {
  const r = newRepo();
  const ids = [r.commit('good', { 'net/ipv4/state': state(0), 'net/ipv4/route.c': 'v0\n' })];
  for (let i = 1; i <= n; i++) {
    if (i % 3 === 0 && !broken.includes(i) && state(i) === state(i - 1)) ids.push(r.commit(`docs ${i}`, { [`Documentation/${i}.txt`]: `${i}\n` }));
    else ids.push(r.commit(`net ${i}`, { 'net/ipv4/state': state(i), 'net/ipv4/route.c': `v${i}\n`, 'net/ipv4/broken': broken.includes(i) ? 'x\n' : null }));
  }
  // The same judgement as judgeFromTree, without a git call per test (the history is known).
  const judge = (calls: string[] = []) => async (c: BisectCommit): Promise<Outcome> => {
    calls.push(c.oid);
    const i = ids.indexOf(c.oid);
    if (broken.includes(i)) return { kind: 'skip', reason: 'does not build: broken' };
    const st = state(i);
    return { kind: 'verdict', key: `pmtu:${st}`, summary: `pmtu:${st}`, evidence: st === 'fail' ? ['contract: ip route get shows mtu 1400: expected mtu 1400, observed mtu 1500'] : [] };
  };
  return { ...r, ids, judge };
}

describe('live bisect driver (stand-in build and judge)', () => {
  it('finds the first commit whose verdict turns, wherever it is, in about log2(n) tests', async () => {
    const n = 20;
    for (const firstBad of [1, 8, 13, 20]) {
      const h = linear(n, (i) => (i >= firstBad ? 'fail' : 'pass'));
      const calls: string[] = [];
      const r = await runBisect(await bisectGraph(h.dir, `${h.ids[0]}..${h.ids[n]}`, { paths: ['net/ipv4'] }), h.judge(calls));
      expect(r.first?.oid, `first bad ${firstBad}`).toBe(h.ids[firstBad]);
      expect(r.first?.subject).toBe(`net ${firstBad}`);
      expect(r.first?.outcome.evidence[0]).toContain('observed mtu 1500');
      expect(r.steps.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 1);
      // Commits that leave the paths alone are never built.
      for (const id of calls) expect(id === h.ids[0] || id === h.ids[n] || !(h.ids.indexOf(id) % 3 === 0 && h.ids.indexOf(id) !== firstBad), id).toBe(true);
    }
  });

  it('finds a fix as well as a regression (GOOD fails, BAD passes)', async () => {
    const h = linear(12, (i) => (i >= 5 ? 'pass' : 'fail'));
    const r = await runBisect(await bisectGraph(h.dir, `${h.ids[0]}..${h.ids[12]}`), h.judge());
    expect(r.first?.oid).toBe(h.ids[5]);
    expect(r.first?.outcome.key).toBe('pmtu:pass');
    expect(r.good.outcome).toMatchObject({ key: 'pmtu:fail' });
  });

  it('skips revisions that do not build, and says when they leave the answer open', async () => {
    const far = linear(16, (i) => (i >= 11 ? 'fail' : 'pass'), [8]);
    const r1 = await runBisect(await bisectGraph(far.dir, `${far.ids[0]}..${far.ids[16]}`), far.judge());
    expect(r1.first?.oid).toBe(far.ids[11]);
    const near = linear(16, (i) => (i >= 11 ? 'fail' : 'pass'), [10]);
    const calls: string[] = [];
    const r2 = await runBisect(await bisectGraph(near.dir, `${near.ids[0]}..${near.ids[16]}`), near.judge(calls));
    expect(r2.first).toBeUndefined();
    expect(r2.ambiguous?.map((a) => a.oid).sort()).toEqual([near.ids[10], near.ids[11]].sort());
    expect(r2.steps.some((s) => s.mark === 'skip' && s.oid === near.ids[10] && s.outcome.kind === 'skip')).toBe(true);
    expect(r2.note).toMatch(/skipped commits leave it open/);
  });

  it('walks the full DAG like git bisect, or the first-parent line', async () => {
    const r = newRepo();
    const good = r.commit('good', { 'net/ipv4/state': 'pass\n' });
    const a1 = r.commit('a1', { 'net/ipv4/a': '1\n' });
    git(r.dir, 'checkout', '-q', '-b', 'side');
    r.commit('b1', { 'net/ipv4/b': '1\n' });
    const b2 = r.commit('b2 regression', { 'net/ipv4/state': 'fail\n' });
    r.commit('b3', { 'net/ipv4/b': '3\n' });
    git(r.dir, 'checkout', '-q', 'main');
    r.commit('a2', { 'net/ipv4/a': '2\n' });
    git(r.dir, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const merge = git(r.dir, 'rev-parse', 'HEAD').trim();
    const bad = r.commit('a3', { 'net/ipv4/a': '3\n' });
    expect(a1).toBeTruthy();
    const dag = await runBisect(await bisectGraph(r.dir, `${good}..${bad}`, { paths: ['net/ipv4'] }), judgeFromTree(r.dir));
    expect(dag.first?.oid).toBe(b2);
    const line = await runBisect(await bisectGraph(r.dir, `${good}..${bad}`, { paths: ['net/ipv4'], firstParent: true }), judgeFromTree(r.dir));
    expect(line.first?.oid).toBe(merge);
  });

  it('says so when GOOD and BAD agree, or when the change is outside the paths', async () => {
    const h = linear(6, () => 'pass');
    const same = await runBisect(await bisectGraph(h.dir, `${h.ids[0]}..${h.ids[6]}`), h.judge());
    expect(same.first).toBeUndefined();
    expect(same.note).toMatch(/same verdict/);
    const r = newRepo();
    const good = r.commit('good', { 'net/ipv4/state': 'pass\n', 'net/ipv4/route.c': '0\n' });
    r.commit('net', { 'net/ipv4/route.c': '1\n' });
    r.commit('elsewhere', { 'net/ipv4/state': 'fail\n', 'net/ipv4/route.c': '1\n' });
    const bad = r.commit('docs', { 'Documentation/x': '1\n' });
    // The judge's state file sits in net/ipv4 but the bisect is told to look at route.c only.
    const res = await runBisect(await bisectGraph(r.dir, `${good}..${bad}`, { paths: ['net/ipv4/route.c'] }), judgeFromTree(r.dir));
    expect(res.first).toBeUndefined();
    expect(res.note).toMatch(/outside them/);
  });

  it('refuses a malformed range and a GOOD that is not an ancestor of BAD (exit 2)', async () => {
    expect(() => parseRange('abc')).toThrow(/GOOD\.\.BAD/);
    expect(parseRange('v1..v2')).toEqual({ good: 'v1', bad: 'v2' });
    const h = linear(3, () => 'pass');
    await expect(bisectGraph(h.dir, `${h.ids[3]}..${h.ids[0]}`)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('not an ancestor') });
    await expect(bisectGraph(h.dir, `nope..${h.ids[0]}`)).rejects.toMatchObject({ exitCode: 2 });
  });
});

describe('comparing verdicts across eras', () => {
  const v = (statuses: Record<string, string>): Outcome & { kind: 'verdict' } => ({ kind: 'verdict', key: JSON.stringify(statuses), summary: '', evidence: [], statuses });

  it('compares only the scenarios judged on both sides', () => {
    const good = v({ frag: 'pass', lower: 'skip' });
    expect(sameVerdict(good, v({ frag: 'pass', lower: 'pass' }))).toBe(true); // lower joins the contract: not a turn
    expect(sameVerdict(good, v({ frag: 'fail', lower: 'pass' }))).toBe(false);
    expect(sameVerdict(good, v({ frag: 'skip', lower: 'fail' }))).toBeUndefined(); // nothing in common
  });

  it('treats a revision with nothing in common with GOOD as skipped, and an era change alone as no turn', async () => {
    const h = linear(8, (i) => String(i));
    const statusOf = (i: number): Record<string, string> =>
      i === 3 ? { frag: 'skip', lower: 'pass' } : { frag: i >= 6 ? 'fail' : 'pass', lower: i >= 2 ? 'pass' : 'skip' };
    const judge = async (c: BisectCommit): Promise<Outcome> => {
      const st = statusOf(h.ids.indexOf(c.oid));
      return { kind: 'verdict', key: JSON.stringify(st), summary: JSON.stringify(st), evidence: [], statuses: st };
    };
    const r = await runBisect(await bisectGraph(h.dir, `${h.ids[0]}..${h.ids[8]}`), judge);
    expect(r.first?.oid).toBe(h.ids[6]);
  });
});

describe('a conform report as a bisect outcome', () => {
  const scenario = (name: string, status: 'pass' | 'fail') => ({
    name,
    description: '',
    status,
    reason: status === 'fail' ? 'contract: the learned PMTU is used' : undefined,
    contract: { status, checks: [{ what: 'the learned PMTU is used', ok: status === 'pass', expected: 'mtu 1400', observed: status === 'pass' ? 'mtu 1400' : 'mtu 1500' }] },
    mechanism: { status: 'pass' as const, diagnostics: [], events: 3, byKind: {} },
    notes: [],
    errors: [],
  });

  it('keys on each scenario status and keeps the failing contract lines as evidence', () => {
    const o = outcomeOfReport({ era: 'pmtu-redirect', scenarios: [scenario('pmtu-frag', 'fail'), scenario('redirect', 'pass')], problems: [], timings: { bootToInit: 500 } });
    expect(o).toMatchObject({ kind: 'verdict', key: 'pmtu-frag:fail redirect:pass' });
    expect(o.kind === 'verdict' && o.evidence).toEqual(['pmtu-frag: fail — contract: the learned PMTU is used', '  contract: the learned PMTU is used: expected mtu 1400, observed mtu 1500']);
  });

  it('skips a kernel that never reached /init or cannot be observed, not one that crashed under the workload', () => {
    const problem = (kind: string) => ({ kind: kind as 'panic', message: kind, exitCode: 1 as const });
    expect(outcomeOfReport({ era: 'seed', scenarios: [], problems: [problem('no-init')], timings: {} }).kind).toBe('skip');
    expect(outcomeOfReport({ era: 'seed', scenarios: [], problems: [problem('panic')], timings: {} }).kind).toBe('skip');
    expect(outcomeOfReport({ era: 'seed', scenarios: [], problems: [problem('probe-refused')], timings: { bootToInit: 400 } }).kind).toBe('skip');
    const crashed = outcomeOfReport({ era: 'seed', scenarios: [scenario('pmtu-frag', 'fail')], problems: [problem('panic')], timings: { bootToInit: 400 } });
    expect(crashed).toMatchObject({ kind: 'verdict' });
    expect(crashed.kind === 'verdict' && crashed.evidence[0]).toBe('run: panic: panic');
  });

  it('adds the trace lines of the step the failing check names', () => {
    const trace = [
      '# tracer: nop',
      '  tunwl-28 [000] 1.46: 0: STEP pmtu-frag begin',
      '  tunwl-28 [000] 1.47: getpeer: (inet_getpeer+0x0/0x300) daddr=647100cb create=0',
      '  tunwl-28 [000] 1.48: 0: STEP pmtu-frag next-use',
      '  tunwl-28 [000] 1.49: dst_check: (ipv4_dst_check+0x0/0x190) rt=ffff88001e88a900 peer=0 g=1',
      '  tunwl-28 [000] 1.50: 0: STEP pmtu-frag end',
      '  tunwl-28 [000] 1.51: 0: STEP redirect begin',
    ].join('\n');
    expect(stepTraceLines(trace, 'pmtu-frag', 'next-use')).toEqual([
      '4: tunwl-28 [000] 1.48: 0: STEP pmtu-frag next-use',
      '5: tunwl-28 [000] 1.49: dst_check: (ipv4_dst_check+0x0/0x190) rt=ffff88001e88a900 peer=0 g=1',
    ]);
    expect(stepTraceLines(trace, 'pmtu-frag', undefined).map((l) => l.split(':')[0])).toEqual(['2', '3', '4', '5']);
    expect(stepTraceLines(trace, 'no-such', 'x')).toEqual([]);
    const sc = { ...scenario('pmtu-frag', 'fail') };
    sc.contract = { ...sc.contract, checks: [{ what: 'EMSGSIZE', ok: false, expected: 'next-use:sock=A:ret=-90', observed: 'ret=1400' }] };
    const o = outcomeOfReport({ era: 'pmtu-redirect', scenarios: [sc], problems: [], timings: { bootToInit: 1 } }, { text: trace, file: '/k/trace.txt' });
    expect(o.kind === 'verdict' && o.evidence.slice(-3)).toEqual([
      '  trace (/k/trace.txt):',
      '    4: tunwl-28 [000] 1.48: 0: STEP pmtu-frag next-use',
      '    5: tunwl-28 [000] 1.49: dst_check: (ipv4_dst_check+0x0/0x190) rt=ffff88001e88a900 peer=0 g=1',
    ]);
  });

  it('prints the first commit with its evidence, or for a fix what GOOD showed', () => {
    const fail: Outcome = { kind: 'verdict', key: 'pmtu:fail', summary: 'pmtu:fail', evidence: ['pmtu: fail — contract: EMSGSIZE'] };
    const pass: Outcome & { kind: 'verdict' } = { kind: 'verdict', key: 'pmtu:pass', summary: 'pmtu:pass', evidence: [] };
    const r = {
      good: { oid: 'a'.repeat(40), subject: 'before', outcome: fail },
      bad: { oid: 'b'.repeat(40), subject: 'the fix', outcome: pass },
      candidates: 1,
      steps: [],
      first: { oid: 'b'.repeat(40), subject: 'the fix', outcome: pass },
      note: 'first commit with a different verdict',
    };
    const text = renderBisect(r, 'text');
    expect(text).toContain(`first commit whose verdict turns: ${'b'.repeat(40)} "the fix"`);
    expect(text).toContain('what GOOD showed, now gone:\n    pmtu: fail — contract: EMSGSIZE');
    expect(bisectExitCode(r)).toBe(0);
    expect(bisectExitCode({ ...r, first: undefined, ambiguous: [{ oid: 'c', subject: '' }] })).toBe(1);
  });
});

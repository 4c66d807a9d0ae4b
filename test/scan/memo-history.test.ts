/**
 * Verdicts reused along a history must be the verdicts the revisions get alone. A generated
 * history of the pmtu-redirect tree in which commits change only helpers the PMTU operations run
 * (ip_rt_update_pmtu, check_peer_pmtu, ip_rt_frag_needed), each followed by commits the memo may
 * reuse across: `scan --git` gives every revision the verdict of that revision checked out and
 * scanned on its own, and --bisect names the commit that broke and the one that fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bisectHistory, scanHistory, scanTrees, type Verdict } from '../../src/scan/index.ts';
import { clearCheckMemo } from '../../src/scan/differential.ts';
import { buildRepo, type BuiltRepo, type Step } from './helpers.ts';
import { edited, NEUTRAL, PMTU_BREAKS, pmtu, pmtuTree, ROUTE } from './pmtu-edits.ts';
import { runCli } from '../helpers/cli.ts';

const base = pmtuTree;

const route = (text: string) => ({ [ROUTE]: text });
const [updatePmtu, checkPeerPmtu, fragNeeded] = Object.values(PMTU_BREAKS) as [string, string][];
const neutral1 = edited(pmtu, ...NEUTRAL[0]!);
const neutral2 = edited(neutral1, ...NEUTRAL[1]!);

const STEPS: Step[] = [
  { message: 'net: routing cache with learned PMTU in inetpeer', files: base },
  { message: 'net: comment', files: route(neutral1) },
  { message: 'ipv4: ip_rt_update_pmtu without the bump', files: route(edited(neutral1, ...updatePmtu)) },
  { message: 'drivers: unrelated', files: { 'drivers/net/dummy.c': 'int dummy;\n' } },
  { message: 'ipv4: unrelated route.c change', files: route(edited(neutral2, ...updatePmtu)) },
  { message: 'ipv4: Fix PMTU update', files: route(neutral2) },
  { message: 'ipv4: check_peer_pmtu rework', files: route(edited(neutral2, ...checkPeerPmtu)) },
  { message: 'ipv4: fix check_peer_pmtu', files: route(neutral2) },
  { message: 'ipv4: ip_rt_frag_needed rework', files: route(edited(neutral2, ...fragNeeded)) },
  { message: 'ipv4: fix ip_rt_frag_needed', files: route(neutral1) },
];

/** Every distinct route.c is checked (about a second each on a quiet machine, far more on a loaded one). */
const SLOW = 900_000;

const shape = (v: Verdict) => ({ status: v.status, era: v.era, checked: v.checked, reason: v.reason, location: v.location });

describe('scan --git reuses a verdict only for code it was computed on', () => {
  let repo: BuiltRepo;
  beforeAll(() => {
    repo = buildRepo(STEPS, 'peerprop-scan-memo-');
  });
  afterAll(() => repo?.cleanup());

  it('every revision gets the verdict it gets when checked out and scanned alone', async () => {
    clearCheckMemo();
    const { entries } = await scanHistory(repo.dir, `${repo.commits[0]}..HEAD`, { jobs: 1 });
    expect(entries.map((e) => e.verdict.status)).toEqual([
      'pass', 'divergence', 'divergence', 'divergence', 'pass', 'divergence', 'pass', 'divergence', 'pass',
    ]);
    // The helper-only commits were checked afresh; the neutral ones reused (lines moved).
    const reused = entries.map((e) => e.verdict.details?.some((d) => d.startsWith('result reused')) ?? false);
    expect(reused[1]).toBe(false);
    expect(reused[3]).toBe(true);
    const alone = mkdtempSync(join(tmpdir(), 'peerprop-scan-alone-'));
    try {
      for (const [i, e] of entries.entries()) {
        const dir = join(alone, String(i));
        execFileSync('mkdir', ['-p', dir]);
        execFileSync('sh', ['-c', `git -C "$0" archive "$1" | tar -x -C "$2"`, repo.dir, e.target, dir]);
        clearCheckMemo();
        const [single] = await scanTrees([dir]);
        expect({ rev: i + 1, ...shape(e.verdict) }).toEqual({ rev: i + 1, ...shape(single!.verdict) });
      }
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  }, SLOW);

  it('--bisect good..bad names the commit that broke the PMTU update', async () => {
    const r = await bisectHistory(repo.dir, `${repo.commits[1]}..${repo.commits[4]}`);
    expect(r.first?.target).toBe(repo.commits[2]);
    expect(r.first?.verdict.status).toBe('divergence');
  }, SLOW);

  it('--bisect bad..good names the commit that fixed it', async () => {
    const r = await bisectHistory(repo.dir, `${repo.commits[2]}..${repo.commits[5]}`);
    expect(r.goodVerdict.status).toBe('divergence');
    expect(r.first?.target).toBe(repo.commits[5]);
    expect(r.first?.verdict.status).toBe('pass');
    const again = await bisectHistory(repo.dir, `${repo.commits[6]}..${repo.commits[9]}`);
    expect(again.first?.target).toBe(repo.commits[7]);
    const c = await runCli(['scan', '--git', repo.dir, '--bisect', `${repo.commits[2]}..${repo.commits[5]}`]);
    expect(c.code).toBe(0);
    expect(c.out).toContain(`${repo.commits[5]} is the first revision whose verdict differs: ipv4: Fix PMTU update`);
  }, SLOW);

  it('-- PATH limits the revisions to those changing it', async () => {
    const c = await runCli(['scan', '--git', repo.dir, '--revs', `${repo.commits[0]}..HEAD`, '--', ROUTE]);
    expect(c.code).toBe(1);
    const lines = c.out.trimEnd().split('\n');
    expect(lines).toHaveLength(8); // the drivers commit is left out
    expect(c.out).not.toContain(repo.commits[3]!.slice(0, 12));
  }, SLOW);
});

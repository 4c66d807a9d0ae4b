/**
 * Opt-in: the real mainline history of net/ipv4/route.c (a local clone or mirror with history
 * from 2.6.38 to 3.1, named by PEERPROP_SCAN_GIT). Every revision of `scan --git --revs
 * v2.6.38..v3.1 -- net/ipv4/route.c` must get the verdict it gets alone, and --bisect must name
 * the commits that brought the 2.6.39 PMTU bugs in and out. Releases are found by tag, or by the
 * "Linux X.Y" commit when the repository has no tags. Slow (every distinct route.c is checked
 * twice): minutes.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { bisectHistory, scanHistory, type Verdict } from '../../src/scan/index.ts';
import { ObjectReader } from '../../src/scan/git.ts';
import { readRevisionSources, revisionBlobs } from '../../src/scan/sources.ts';
import { analyse } from '../../src/scan/analyse.ts';

const REPO = process.env.PEERPROP_SCAN_GIT;
const ROUTE = 'net/ipv4/route.c';
/** The 2.6.39 PMTU history (mainline commit ids): the seed, the PMTU caching, its two fixes. */
const SEED = '6431cbc25fa2';
const INTRODUCED = '2c8cec5c10bc';
const FIXED_UPDATE = '46af31800b69';
const FIXED_REFCOUNT = 'eb49a97363f0';

const git = (...args: string[]) => execFileSync('git', ['-C', REPO!, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 }).trim();

/** A release's commit: its tag when present, else the commit whose subject is "Linux X.Y". */
function release(tag: string): string {
  try {
    return git('rev-parse', '--verify', '--quiet', `${tag}^{commit}`);
  } catch {
    const subject = `^Linux ${tag.replace(/^v/, '').replace(/\./g, '\\.')}$`;
    const found = git('log', '-1', '--format=%H', `--grep=${subject}`, 'HEAD');
    if (!found) throw new Error(`${REPO} has neither tag ${tag} nor a "Linux ${tag.slice(1)}" commit`);
    return found;
  }
}

/** The first commit on `tip`'s first-parent line (after `from`) that contains `commit`. */
function landed(commit: string, from: string, tip: string): string {
  const line = git('rev-list', '--first-parent', '--reverse', tip, `^${from}`).split('\n');
  let lo = -1;
  let hi = line.length - 1;
  const has = (c: string) => {
    try {
      git('merge-base', '--is-ancestor', commit, c);
      return true;
    } catch {
      return false;
    }
  };
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (has(line[mid]!)) hi = mid;
    else lo = mid;
  }
  return line[hi]!;
}

const shape = (v: Verdict) => ({ status: v.status, era: v.era, checked: v.checked, reason: v.reason, location: v.location });

describe.skipIf(!REPO)('real history of net/ipv4/route.c (skipped: set PEERPROP_SCAN_GIT to a Linux repository with history from v2.6.38 to v3.1)', () => {
  it('scan --git v2.6.38..v3.1 -- net/ipv4/route.c: every revision has its verdict alone', async () => {
    const range = process.env.PEERPROP_SCAN_REVS ?? `${release('v2.6.38')}..${release('v3.1')}`;
    const { entries } = await scanHistory(REPO!, range, { paths: [ROUTE], jobs: Number(process.env.PEERPROP_SCAN_JOBS ?? 1) });
    expect(entries.length).toBeGreaterThan(0);
    // Alone: the same files of each revision (all the analysis reads), analysed with nothing memoised.
    const reader = await ObjectReader.open(REPO!);
    const memo = process.env.PEERPROP_SCAN_MEMO;
    process.env.PEERPROP_SCAN_MEMO = '0';
    try {
      const alone = new Map<string, Verdict>();
      for (const e of entries) {
        const blobs = await revisionBlobs(reader, e.target);
        let v = alone.get(blobs.key);
        if (!v) {
          v = await analyse(await readRevisionSources(reader, blobs));
          alone.set(blobs.key, v);
        }
        expect({ rev: e.short, ...shape(e.verdict) }).toEqual({ rev: e.short, ...shape(v) });
      }
    } finally {
      if (memo === undefined) delete process.env.PEERPROP_SCAN_MEMO;
      else process.env.PEERPROP_SCAN_MEMO = memo;
      reader.close();
    }
    const intro = entries.find((e) => e.target.startsWith(INTRODUCED));
    expect(intro?.verdict.status).toBe('divergence');
    expect(entries.find((e) => e.target.startsWith(FIXED_REFCOUNT))?.verdict.status).toBe('pass');
  }, 3_600_000);

  it('--bisect good..bad along the branch names the commit that cached learned PMTU in inetpeer', async () => {
    const r = await bisectHistory(REPO!, `${SEED}..${FIXED_UPDATE}`);
    expect(r.goodVerdict.status).toBe('pass');
    expect(r.first?.target.startsWith(INTRODUCED)).toBe(true);
    expect(r.first?.verdict.status).toBe('divergence');
  }, 1_800_000);

  it('--bisect bad..good from the buggy merge to the v2.6.39 release names the merge that brought the fix', async () => {
    const v2638 = release('v2.6.38');
    const v2639 = release('v2.6.39');
    const buggy = landed(FIXED_UPDATE, v2638, v2639);
    const fixed = landed(FIXED_REFCOUNT, v2638, v2639);
    const r = await bisectHistory(REPO!, `${buggy}..${v2639}`);
    expect(r.goodVerdict.status).toBe('divergence');
    expect(r.first?.target).toBe(fixed);
    expect(r.first?.verdict.status).toBe('pass');
    // And the other way on the same line: from the release before to the buggy merge.
    const into = await bisectHistory(REPO!, `${v2638}..${buggy}`);
    expect(into.first?.target).toBe(landed(INTRODUCED, v2638, v2639));
  }, 1_800_000);
});

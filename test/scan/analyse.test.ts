import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAnalyser } from '../../src/scan/analyse.ts';
import { factsPipeline, type CheckOutcome, type ScanPipeline } from '../../src/scan/pipeline.ts';
import type { ProtocolFacts } from '../../src/csrc/facts.ts';
import { readTreeSources } from '../../src/scan/sources.ts';
import { repoRoot } from './helpers.ts';

const FIX = join(repoRoot, 'kernel-fixtures/trees');
const calls: string[] = [];
/** The real facts and era detection, with a scripted differential check. */
const withCheck = (outcome: CheckOutcome): ScanPipeline<ProtocolFacts> => ({
  ...factsPipeline,
  differential: (_t, _s, _f, era) => {
    calls.push(era);
    return outcome;
  },
});
const passing = makeAnalyser(withCheck({ status: 'pass', reason: 'agrees', functions: ['rt_bind_peer', 'ipv4_dst_check'] }));
const source = (tree: string) => readFileSync(join(FIX, tree, 'net/ipv4/route.c'), 'utf8');

describe('analyse: era from the code, then the check of that era', () => {
  it.each([
    ['pre-seed', 'pre-genid'],
    ['seed', 'seed'],
    ['pmtu-redirect', 'pmtu-redirect'],
  ])('%s tree is checked differentially as %s', async (tree, era) => {
    calls.length = 0;
    const v = passing(await readTreeSources(join(FIX, tree)));
    expect(v).toMatchObject({ status: 'pass', era, checked: 'differential', reason: 'agrees' });
    expect(calls).toEqual([era]);
    expect(v.eraReason).toBeTruthy();
    expect(v.timings?.parse).toBeGreaterThan(0);
    expect(v.details?.some((d) => d.startsWith('struct rtable'))).toBe(true);
  });

  it('fnhe tree: no differential check runs; the facts are checked and the note is on the one line', async () => {
    calls.length = 0;
    const v = passing(await readTreeSources(join(FIX, 'fnhe')));
    expect(calls).toEqual([]);
    expect(v).toMatchObject({ status: 'pass', era: 'fnhe', checked: 'facts' });
    expect(v.reason).toMatch(/^genid\/peer functions gone \(routing cache removed in 3\.6; next-hop exceptions carry the duty\); facts checked: /);
    expect(v.reason).not.toContain('\n');
    expect(source('fnhe').split('\n')[v.location!.line - 1]).toMatch(/DST_OBSOLETE_FORCE_CHK/);
  });

  it('warns when route.c stamps rt_peer_genid but route.h lacks the field', async () => {
    const pre = await readTreeSources(join(FIX, 'pre-seed'));
    const v = passing({ routeC: source('seed'), headers: pre.headers });
    expect(v.status).toBe('pass');
    expect(v.details?.[0]).toBe(
      'warning: include/net/route.h declares struct rtable without rt_peer_genid, which net/ipv4/route.c uses: the tree would not build',
    );
    const ok = passing(await readTreeSources(join(FIX, 'seed')));
    expect(ok.details?.some((d) => d.startsWith('warning:'))).toBe(false);
  });

  it('a divergence keeps the check location and details', async () => {
    const v = makeAnalyser(
      withCheck({ status: 'divergence', reason: 'stamp missing', location: { file: 'net/ipv4/route.c', line: 391 }, details: ['step 1'] }),
    )(await readTreeSources(join(FIX, 'seed')));
    expect(v).toMatchObject({ status: 'divergence', checked: 'differential', location: { line: 391 } });
    expect(v.details?.[0]).toBe('step 1');
  });

  it('an unsupported construct is a skip with the evaluator reason, never a pass', async () => {
    const v = makeAnalyser(
      withCheck({ status: 'unsupported', reason: 'net/ipv4/route.c:212:3: unsupported construct goto', location: { file: 'net/ipv4/route.c', line: 212 } }),
    )(await readTreeSources(join(FIX, 'seed')));
    expect(v).toMatchObject({ status: 'skipped', checked: 'none', era: 'seed' });
    expect(v.reason).toBe('skipped: net/ipv4/route.c:212:3: unsupported construct goto');
  });
});

describe('analyse: trees that cannot be checked', () => {
  const seedHeaders = {};
  it('missing route.c', () => {
    expect(passing({ headers: seedHeaders })).toMatchObject({ status: 'skipped', reason: 'skipped: net/ipv4/route.c not found' });
  });
  it('binary content', () => {
    expect(passing({ routeC: 'ELF\u0000\u0001', headers: {} }).reason).toMatch(/not a text file/);
  });
  it('text that is not C: located at the first syntax error', () => {
    const v = passing({ routeC: 'This is not C at all {{{ ]]]\n', headers: {} });
    expect(v.status).toBe('skipped');
    expect(v.reason).toMatch(/does not parse as C/);
    expect(v.location?.line).toBe(1);
  });
  it('a protocol function with a syntax error is named with its line', () => {
    const broken = source('seed').replace('if (!rt->peer)', 'if (!rt->peer))) {');
    const v = passing({ routeC: broken, headers: {} });
    expect(v.status).toBe('skipped');
    expect(v.reason).toMatch(/ipv4_dst_check in net\/ipv4\/route.c does not parse/);
    expect(broken.split('\n')[v.location!.line - 1]).toBeDefined();
  });
  it('a protocol function hidden in a region tree-sitter could not parse: skipped before era detection', () => {
    const broken = source('seed').replace('void rt_bind_peer(struct rtable *rt, int create)', 'static int broken = (1 + ;\nvoid rt_bind_peer(struct rtable *rt, int create)');
    calls.length = 0;
    const v = passing({ routeC: broken, headers: {} });
    expect(v).toMatchObject({ status: 'skipped', era: 'unknown', checked: 'none' });
    expect(v.reason).toMatch(/^skipped: rt_bind_peer in net\/ipv4\/route.c could not be parsed/);
    expect(broken.split('\n')[v.location!.line - 1]).toMatch(/rt_bind_peer/);
    expect(calls).toEqual([]);
  });
  it('C without any of the mechanism: era unknown, skipped', () => {
    const v = passing({ routeC: 'int main(void)\n{\n\treturn 0;\n}\n', headers: {} });
    expect(v).toMatchObject({ status: 'skipped', era: 'unknown' });
    expect(v.reason).toMatch(/^skipped: era not recognised: /);
  });
});

describe.skipIf(!existsSync('/usr/src/linux-source-6.1/net/ipv4/route.c'))('analyse: Debian linux-source-6.1', () => {
  it('is the fnhe era, facts pass, one line says the genid/peer functions are gone', async () => {
    const v = passing(await readTreeSources('/usr/src/linux-source-6.1'));
    expect(v).toMatchObject({ status: 'pass', era: 'fnhe', checked: 'facts' });
    expect(v.reason).toMatch(/genid\/peer functions gone/);
    expect(v.details?.some((d) => /struct fib_nh_exception: int fnhe_genid \(include\/net\/ip_fib.h:\d+\)/.test(d))).toBe(true);
  });
});

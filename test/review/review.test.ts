import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { reviewPatch, type ReviewReport } from '../../src/review/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { seedPatch, tree, routeC, copyTree, writePatch, mutateSeed, lineOf } from './helpers.ts';

const SEED_LINES = { hunk1: 45, hunk2: 59, hunk3: 68, last: 84, genidDecl: 49, accessor: 51, stamp: 64, genidBlock: 77 } as const;

function fnNames(r: ReviewReport): [string, string][] {
  return r.functions.map((f) => [f.name, f.status]);
}

function statement(r: ReviewReport, fn: string | undefined): string {
  const s = r.statements.filter((x) => x.function === fn);
  expect(s.length, `statements of ${fn}`).toBeGreaterThan(0);
  return s.map((x) => x.text).join(' | ');
}

async function expectBadInput(p: Promise<unknown>, pattern: RegExp): Promise<PeerpropError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PeerpropError);
  const pe = err as PeerpropError;
  expect(pe.exitCode).toBe(2);
  expect(pe.oneLine()).toMatch(pattern);
  expect(pe.oneLine()).not.toContain('\n');
  return pe;
}

describe('review of the real seed patch without a tree (hunks alone)', async () => {
  const r = await reviewPatch({ patch: seedPatch });

  it('is partial and says what could not be established', () => {
    expect(r.mode).toBe('hunks');
    expect(r.partial).toBe(true);
    expect(r.missing.join('\n')).toMatch(/hunks alone/);
    expect(r.missing.join('\n')).toMatch(/pre-image lines 1314-1315 of rt_bind_peer\(\) are not in the patch/);
  });

  it('reports the commit metadata', () => {
    expect(r.commits).toHaveLength(1);
    expect(r.commits[0]).toMatchObject({
      subject: 'inet: Create a mechanism for upward inetpeer propagation into routes.',
      signedOffBy: ['David S. Miller <davem@davemloft.net>'],
    });
  });

  it('reports the damage at the right patch line, also as a finding', () => {
    expect(r.damage.map((d) => [d.code, d.line, d.severity])).toEqual([['missing-trailing-context', SEED_LINES.last, 'repaired']]);
    const f = r.findings.find((x) => x.ruleId === 'patch/missing-trailing-context');
    expect(f).toMatchObject({ level: 'warning', file: seedPatch, line: SEED_LINES.last, patch: { file: seedPatch, line: SEED_LINES.last } });
  });

  it('lists the file and its three hunks, without offsets', () => {
    expect(r.files).toHaveLength(1);
    expect(r.files[0]!.path).toBe('net/ipv4/route.c');
    expect(r.files[0]!.hunks.map((h) => [h.index, h.headerLine, h.applied])).toEqual([
      [1, SEED_LINES.hunk1, undefined],
      [2, SEED_LINES.hunk2, undefined],
      [3, SEED_LINES.hunk3, undefined],
    ]);
    expect(r.files[0]!.hunks[2]!.declared).toEqual({ oldLines: 8, newLines: 16 });
  });

  it('finds the three changed functions', () => {
    expect(fnNames(r)).toEqual([
      ['rt_peer_genid', 'added'],
      ['rt_bind_peer', 'modified'],
      ['ipv4_dst_check', 'modified'],
    ]);
  });

  it('extracts the post-image facts at the hunk header line numbers', () => {
    const bind = r.functions.find((f) => f.name === 'rt_bind_peer')!;
    expect(bind.pre!.stamps).toEqual([]);
    expect(bind.post!.stamps).toMatchObject([{ line: 1327, condition: '!(peer && cmpxchg(&rt->peer, NULL, peer) != NULL)' }]);
    const check = r.functions.find((f) => f.name === 'ipv4_dst_check')!;
    expect(check.post!.binds).toMatchObject([{ createValue: 0, line: 1785 }]);
    expect(check.post!.genidBlock).toMatchObject({ line: 1783 });
    expect(r.files[0]!.globals.post).toMatchObject([{ name: '__rt_peer_genid', type: 'atomic_t', line: 1311 }]);
  });

  it('says what changed in a reviewer\'s words, located at patch lines', () => {
    const global = r.statements.find((s) => s.function === undefined)!;
    expect(global).toMatchObject({ line: 1311, patchLine: SEED_LINES.genidDecl });
    expect(global.text).toBe('introduces __rt_peer_genid (atomic_t, ATOMIC_INIT(0)) read through rt_peer_genid(); nothing in this patch bumps it');
    expect(statement(r, 'rt_peer_genid')).toBe('rt_peer_genid() (new) returns atomic_read(&__rt_peer_genid) as u32');
    expect(statement(r, 'rt_bind_peer')).toMatch(
      /^rt_bind_peer now stamps rt_peer_genid .* when the cmpxchg wins or when no peer was found \(else branch of `peer && cmpxchg\(&rt->peer, NULL, peer\) != NULL`\)$/,
    );
    expect(statement(r, 'ipv4_dst_check')).toMatch(
      /^ipv4_dst_check: expiry check still comes first; on genid mismatch .*binds a peer lookup-only \(create=0\) if none and re-stamps unconditionally$/,
    );
    expect(r.statements.find((s) => s.function === 'rt_bind_peer')!.patchLine).toBe(SEED_LINES.stamp);
    expect(r.statements.find((s) => s.function === 'ipv4_dst_check')!.patchLine).toBe(SEED_LINES.genidBlock);
  });

  it('has no error-level finding: the seed is the reference (exit 0)', () => {
    expect(r.findings.filter((f) => f.level === 'error')).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.findings.find((f) => f.ruleId === 'no-genid-bumper')).toMatchObject({ level: 'info', patch: { line: SEED_LINES.genidDecl } });
  });
});

describe('review of the seed patch with --tree kernel-fixtures/trees/pre-seed', async () => {
  const r = await reviewPatch({ patch: seedPatch, tree: tree('pre-seed') });
  const seedSrc = readFileSync(routeC('seed'), 'utf8');

  it('applies all three hunks at their offsets', () => {
    expect(r.mode).toBe('tree');
    expect(r.partial).toBe(false);
    expect(r.missing).toEqual([]);
    expect(r.files[0]!.hunks.map((h) => h.applied && [h.applied.appliedLine, h.applied.offset])).toEqual([
      [196, -1112],
      [204, -1112],
      [372, -1395],
    ]);
  });

  it('reports post-image facts at the lines of the patched file', () => {
    const bind = r.functions.find((f) => f.name === 'rt_bind_peer')!;
    expect(bind.post!.stamps[0]!.line).toBe(lineOf(seedSrc, 'rt->rt_peer_genid = rt_peer_genid();'));
    expect(bind.incomplete).toBeUndefined();
    const check = r.functions.find((f) => f.name === 'ipv4_dst_check')!;
    expect(check.post!.genidBlock!.line).toBe(lineOf(seedSrc, 'if (rt->rt_peer_genid != rt_peer_genid()) {'));
    expect(fnNames(r)).toEqual([
      ['rt_peer_genid', 'added'],
      ['rt_bind_peer', 'modified'],
      ['ipv4_dst_check', 'modified'],
    ]);
  });

  it('knows the stage before and after from the whole file', () => {
    expect(r.files[0]!.era).toMatchObject({ pre: { era: 'pre-genid' }, post: { era: 'seed' } });
    expect(r.statements.find((s) => s.function === undefined)!.text).toMatch(/nothing in net\/ipv4\/route.c bumps it$/);
  });

  it('maps facts back to patch lines', () => {
    const stamp = r.findings.find((f) => f.ruleId === 'protocol-change' && f.function === 'rt_bind_peer')!;
    expect(stamp).toMatchObject({ file: 'net/ipv4/route.c', line: lineOf(seedSrc, 'rt->rt_peer_genid = rt_peer_genid();'), patch: { line: SEED_LINES.stamp } });
  });

  it('leaves the tree untouched', () => {
    expect(readFileSync(routeC('pre-seed'), 'utf8')).not.toContain('rt_peer_genid');
    expect(r.written).toBe(false);
  });
});

describe('review --file and --write', () => {
  it('--file gives the same facts as --tree', async () => {
    const a = await reviewPatch({ patch: seedPatch, file: routeC('pre-seed') });
    const b = await reviewPatch({ patch: seedPatch, tree: tree('pre-seed') });
    expect(a.mode).toBe('file');
    expect(a.statements).toEqual(b.statements);
  });

  it('--write puts the post-image into the tree: the seed fixture, byte for byte', async () => {
    const dir = copyTree('pre-seed');
    const r = await reviewPatch({ patch: seedPatch, tree: dir, write: true });
    expect(r.written).toBe(true);
    expect(readFileSync(`${dir}/net/ipv4/route.c`, 'utf8')).toBe(readFileSync(routeC('seed'), 'utf8'));
  });
});

describe('a modern (fnhe-era) tree', () => {
  it('is refused in one line: the mechanism was removed in 3.6 (exit 2)', async () => {
    const e = await expectBadInput(reviewPatch({ patch: seedPatch, tree: tree('fnhe') }), /removed in 3\.6/);
    expect(e.oneLine()).toMatch(/none of .*rt_bind_peer\(\)/);
    expect(e.location?.file).toMatch(/fnhe\/net\/ipv4\/route\.c$/);
  });

  it.skipIf(!existsSync('/usr/src/linux-source-6.1/net/ipv4/route.c'))('Debian linux-source-6.1 too', async () => {
    await expectBadInput(reviewPatch({ patch: seedPatch, tree: '/usr/src/linux-source-6.1' }), /routing cache and this mechanism were removed in 3\.6/);
  });
});

describe('review rules on mutated seeds (--file kernel-fixtures/trees/seed)', () => {
  const seedSrc = readFileSync(routeC('seed'), 'utf8');
  const review = async (after: string): Promise<ReviewReport> => reviewPatch({ patch: writePatch(seedSrc, after), file: routeC('seed') });

  it('an ordered genid comparison is an error (exit 1) at the + line', async () => {
    const after = mutateSeed('if (rt->rt_peer_genid != rt_peer_genid()) {', 'if (rt->rt_peer_genid < rt_peer_genid()) {');
    const r = await review(after);
    const f = r.findings.find((x) => x.ruleId === 'genid-ordered-compare')!;
    expect(f).toMatchObject({ level: 'error', file: 'net/ipv4/route.c', line: lineOf(after, 'rt->rt_peer_genid < rt_peer_genid()') });
    expect(f.patch?.line).toBeGreaterThan(0);
    expect(r.exitCode).toBe(1);
    expect(statement(r, "ipv4_dst_check")).toBe("ipv4_dst_check: expiry check still comes first; on genid mismatch (check changed from `rt->rt_peer_genid != rt_peer_genid()` to `rt->rt_peer_genid < rt_peer_genid()`) binds a peer lookup-only (create=0) if none and re-stamps unconditionally");
  });

  it('a creating bind in dst_check, and an unguarded one, are warnings', async () => {
    const r1 = await review(mutateSeed('\t\t\trt_bind_peer(rt, 0);', '\t\t\trt_bind_peer(rt, 1);'));
    expect(r1.findings.map((f) => f.ruleId)).toContain('dst-check-bind-creates');
    expect(r1.exitCode).toBe(0);
    const r2 = await review(mutateSeed('\t\tif (!rt->peer)\n\t\t\trt_bind_peer(rt, 0);', '\t\trt_bind_peer(rt, 0);'));
    expect(r2.findings.map((f) => f.ruleId)).toContain('dst-check-rebind-unguarded');
  });

  it('revalidating before the expiry check is a warning', async () => {
    const block = '\tif (rt->rt_peer_genid != rt_peer_genid()) {\n\t\tif (!rt->peer)\n\t\t\trt_bind_peer(rt, 0);\n\n\t\trt->rt_peer_genid = rt_peer_genid();\n\t}\n';
    const expiry = '\tif (rt_is_expired(rt))\n\t\treturn NULL;\n';
    const after = mutateSeed(expiry + block, block + expiry);
    const r = await review(after);
    expect(r.findings.find((f) => f.ruleId === 'stamp-before-expiry-check')).toMatchObject({ level: 'warning', line: lineOf(after, 'if (rt->rt_peer_genid != rt_peer_genid()) {') });
    expect(statement(r, 'ipv4_dst_check')).toMatch(/the expiry check no longer comes first/);
  });

  it('a stamp that also runs when the cmpxchg lost is a warning', async () => {
    const after = mutateSeed(
      '\t\tinet_putpeer(peer);\n\telse\n\t\trt->rt_peer_genid = rt_peer_genid();\n}',
      '\t\tinet_putpeer(peer);\n\trt->rt_peer_genid = rt_peer_genid();\n}',
    );
    const r = await review(after);
    expect(r.findings.map((f) => f.ruleId)).toContain('stamp-outside-bind-success');
    expect(statement(r, 'rt_bind_peer')).toMatch(/now stamps rt_peer_genid .* unconditionally/);
  });

  it('a non-atomic genid and a plain ++ bump are reported', async () => {
    let after = mutateSeed('static atomic_t __rt_peer_genid = ATOMIC_INIT(0);', 'static u32 __rt_peer_genid;');
    after = mutateSeed('\treturn atomic_read(&__rt_peer_genid);', '\treturn __rt_peer_genid;', after);
    after = mutateSeed('\t\t\tdst_set_expires(&rth->dst, ip_rt_mtu_expires);\n', '\t\t\tdst_set_expires(&rth->dst, ip_rt_mtu_expires);\n\t\t\t__rt_peer_genid++;\n', after);
    const r = await review(after);
    const ids = r.findings.map((f) => f.ruleId);
    expect(ids).toContain('genid-non-atomic');
    expect(ids).toContain('genid-non-atomic-bump');
    expect(r.exitCode).toBe(1);
    expect(statement(r, undefined)).toMatch(/changes __rt_peer_genid from atomic_t, ATOMIC_INIT\(0\) to u32/);
    expect(statement(r, 'ip_rt_frag_needed')).toMatch(/now bumps __rt_peer_genid \(non-atomic `__rt_peer_genid\+\+`\)/);
  });

  it('the bumper stage, as a patch from seed to pmtu-redirect, reads as the follow-up series', async () => {
    const r = await review(readFileSync(routeC('pmtu-redirect'), 'utf8'));
    expect(r.files[0]!.era).toMatchObject({ pre: { era: 'seed' }, post: { era: 'pmtu-redirect' } });
    expect(statement(r, 'ip_rt_frag_needed')).toMatch(/ip_rt_frag_needed now bumps __rt_peer_genid \(atomic_inc\) when a peer was found/);
    expect(statement(r, 'ip_rt_update_pmtu')).toMatch(/now bumps __rt_peer_genid \(atomic_inc\)/);
    expect(statement(r, 'ipv4_dst_check')).toMatch(/expiry check still comes first; on genid mismatch binds a peer lookup-only \(create=0\) if none and returns NULL when .*check_peer_redir.* and re-stamps unconditionally/);
    expect(statement(r, 'rt_init_metrics')).toMatch(/now stamps rt_peer_genid .* when a peer was found/);
    expect(r.findings.map((f) => f.ruleId)).not.toContain('no-genid-bumper');
    expect(r.exitCode).toBe(0);
  });
});

describe.skipIf(!process.env.PEERPROP_TREE)('PEERPROP_TREE', () => {
  it('reviews the seed against the real tree, or refuses it in one line', async () => {
    const root = process.env.PEERPROP_TREE!;
    const r = await reviewPatch({ patch: seedPatch, tree: root }).catch((e: unknown) => e);
    if (r instanceof PeerpropError) {
      expect(r.exitCode).toBe(2);
      expect(r.oneLine()).not.toContain('\n');
    } else {
      const rep = r as ReviewReport;
      expect(rep.files[0]!.hunks.every((h) => h.applied)).toBe(true);
      expect(rep.functions.map((f) => f.name)).toEqual(expect.arrayContaining(['rt_bind_peer', 'ipv4_dst_check']));
    }
  });
});

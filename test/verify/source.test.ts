import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sourceFromPatch } from '../../src/verify/source.ts';
import { verifySource, formatOp } from '../../src/verify/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const seedPatch = resolve(repoRoot, 'kernel-fixtures/route-genid.patch');

describe('where verify gets its C', () => {
  it('applies the patch to the tree in memory and maps post-image lines to patch lines', async () => {
    const src = await sourceFromPatch(seedPatch, resolve(repoRoot, 'kernel-fixtures/trees/pre-seed'));
    expect(src.origin).toBe('tree');
    expect(src.file).toBe('net/ipv4/route.c');
    const lines = src.source.split('\n');
    const stamp = lines.indexOf('\t\trt->rt_peer_genid = rt_peer_genid();') + 1;
    expect(stamp).toBeGreaterThan(0);
    expect(src.addedLines.has(stamp)).toBe(true);
    const patchLine = src.patchLines.get(stamp)!;
    expect(readFileSync(seedPatch, 'utf8').split('\n')[patchLine - 1]).toBe('+\t\trt->rt_peer_genid = rt_peer_genid();');
  });

  it('without a tree, refuses hunks that do not hold the whole functions, naming the missing lines', async () => {
    const e = await sourceFromPatch(seedPatch).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PeerpropError);
    expect((e as PeerpropError).message).toMatch(/rt_bind_peer\(\) is not whole in the hunks \(post-image lines 1321-1322 not shown\).*--tree/);
    expect((e as PeerpropError).location?.file).toBe(seedPatch);
  });

  it('verifies a tree file directly (what scan calls), detecting its era', () => {
    const seedTree = readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/seed/net/ipv4/route.c'), 'utf8');
    const r = verifySource(seedTree, 'net/ipv4/route.c', undefined, { runs: 100, depth: 3 });
    expect(r.era).toBe('seed');
    expect(r.ok).toBe(true);
    const pre = readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/pre-seed/net/ipv4/route.c'), 'utf8');
    const p = verifySource(pre, 'net/ipv4/route.c', undefined, { runs: 100, depth: 3 });
    expect(p.era).toBe('pre-genid');
    expect(p.ok).toBe(true);
  });

  it('the pre-seed code is not the seed: verified as seed it diverges', () => {
    const pre = readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/pre-seed/net/ipv4/route.c'), 'utf8');
    expect(() => verifySource(pre, 'net/ipv4/route.c', 'seed')).toThrow(/has no __rt_peer_genid/);
  });
});

describe('later and earlier eras', () => {
  const pmtuTree = () => readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/pmtu-redirect/net/ipv4/route.c'), 'utf8');

  it('runs the pmtu-redirect C, bumpers included, and lists what it did not evaluate', () => {
    const src = pmtuTree();
    const r = verifySource(src, 'net/ipv4/route.c', undefined, { runs: 100, depth: 3, strategies: ['exhaustive', 'wrap', 'random'] });
    expect(r.era).toBe('pmtu-redirect');
    expect(r.ok).toBe(true);
    expect(r.strategies[0]!.scope).toMatch(/frag_needed, update_pmtu, redirect, tick/);
    // guess_mtu()'s plateau loop only runs for an ICMP with no usable MTU, which these operations never send.
    const loop = r.notEvaluated.find((n) => /loop \(for\)/.test(n.message));
    expect(loop?.file).toBe('net/ipv4/route.c');
    expect(src.split('\n')[loop!.line! - 1]).toMatch(/for \(/);
  });

  it('catches a bumper that forgets to bump (pmtu-redirect era)', () => {
    const src = pmtuTree();
    const i = src.indexOf('unsigned short ip_rt_frag_needed(');
    const j = src.indexOf('\t	atomic_inc(&__rt_peer_genid);', i);
    expect(j).toBeGreaterThan(i);
    const broken = src.slice(0, j) + src.slice(j).replace('\t	atomic_inc(&__rt_peer_genid);\n', '');
    const r = verifySource(broken, 'net/ipv4/route.c', 'pmtu-redirect', { runs: 100, depth: 3, strategies: ['exhaustive'] });
    expect(r.ok).toBe(false);
    expect(r.divergence!.field).toBe('global genid');
    expect(r.divergence!.ops.map(formatOp)).toEqual(['frag_needed(10.0.0.1, mtu 1400)']);
  });

  it('catches a check that no longer applies a learned redirect (pmtu-redirect era)', () => {
    const src = pmtuTree();
    const dstCheck = src.indexOf('static struct dst_entry *ipv4_dst_check(struct dst_entry *dst, u32 cookie)\n{');
    const k = src.indexOf('\t	if (peer && peer->redirect_learned.a4 &&', dstCheck);
    expect(k).toBeGreaterThan(dstCheck);
    // "if (peer && 0 && ...)": the redirect test can never pass.
    const broken = src.slice(0, k) + src.slice(k).replace('if (peer && peer->redirect_learned.a4 &&', 'if (peer && 0 && peer->redirect_learned.a4 &&');
    const r = verifySource(broken, 'net/ipv4/route.c', 'pmtu-redirect', { runs: 100, depth: 4, strategies: ['exhaustive'] });
    expect(r.ok).toBe(false);
    const d = r.divergence!;
    expect(d.field).toBe('route 0 gateway');
    expect(d.expected).toBe('10.0.0.254 (redirected)');
    expect(d.actual).toBe('10.0.0.1');
    expect(d.ops.map(formatOp)).toEqual(['route_new(rt0 -> 10.0.0.1)', 'redirect(10.0.0.1 via 10.0.0.254, from 10.0.0.1)', 'check(rt0)']);
  });

  it('refuses an fnhe-era file (no rt_bind_peer / genid to run) with exit 2', () => {
    const src = readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/fnhe/net/ipv4/route.c'), 'utf8');
    let err: unknown;
    try {
      verifySource(src, 'net/ipv4/route.c');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PeerpropError);
    expect((err as PeerpropError).exitCode).toBe(2);
    expect((err as PeerpropError).message).toMatch(/fnhe-era file/);
  });
});

describe('stage of a pmtu-redirect-era file', () => {
  it('is decided from the code (the stages in src/model/README.md)', async () => {
    const { detectStage } = await import('../../src/verify/learning.ts');
    expect(detectStage('void rt_bind_peer(struct rtable *rt, int create) {}')).toBe('S2');
    expect(detectStage('void rt_bind_peer(struct rtable *rt, __be32 daddr, int create) {}')).toBe('S3');
    expect(detectStage('static int redirect_genid; static void ipv4_validate_peer(struct rtable *rt) {}')).toBe('S4');
    expect(detectStage('static void rt_cache_invalidate(struct net *net) { inetpeer_invalidate_tree(AF_INET); }')).toBe('S5');
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { verifySource, formatOp } from '../../src/verify/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const seedTree = readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/seed/net/ipv4/route.c'), 'utf8');

describe('a C oops is a divergence, located', () => {
  it('reports a NULL dereference of rt->peer after a lookup that found nothing', () => {
    const broken = seedTree.replace(
      '\t\tif (!rt->peer)\n\t\t\trt_bind_peer(rt, 0);\n',
      '\t\tif (!rt->peer)\n\t\t\trt_bind_peer(rt, 0);\n\t\tif (rt->peer->refcnt < 0)\n\t\t\treturn NULL;\n',
    );
    expect(broken).not.toBe(seedTree);
    const r = verifySource(broken, 'net/ipv4/route.c', 'seed', { runs: 100, depth: 4 });
    expect(r.ok).toBe(false);
    const d = r.divergence!;
    expect(d.field).toBe('C fault');
    expect(String(d.actual)).toMatch(/NULL dereference in rt->peer->refcnt/);
    expect(d.cLine?.role).toBe('fault');
    expect(d.cLine?.text).toBe('if (rt->peer->refcnt < 0)');
    // Shortest: a stale peerless route checked with no peer to find.
    expect(d.ops.map(formatOp)).toEqual(['route_new(rt0 -> 10.0.0.1)', 'bump', 'check(rt0)']);
  });
});

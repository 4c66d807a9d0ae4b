/** The seed fixture tree is generated, not hand-edited: pre-seed + the two patches, through the patch reader. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readPatchFile, applyToTree } from '../../src/patch/index.ts';
import { reviewPatch } from '../../src/review/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { seedPatch, headerPatch, tree, routeC, tmp } from './helpers.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('kernel-fixtures/trees/seed', () => {
  it('is pre-seed with seed-route-h.patch and route-genid.patch applied, byte for byte', async () => {
    const header = await applyToTree(await readPatchFile(headerPatch), tree('pre-seed'));
    expect(header.map((a) => a.path)).toEqual(['include/net/route.h']);
    expect(header[0]!.postImage).toBe(readFileSync(`${tree('seed')}/include/net/route.h`, 'utf8'));
    const route = await applyToTree(await readPatchFile(seedPatch), tree('pre-seed'));
    expect(route[0]!.postImage).toBe(readFileSync(routeC('seed'), 'utf8'));
  });

  it('the header patch reviews as a struct change with no function facts', async () => {
    const r = await reviewPatch({ patch: headerPatch, tree: tree('pre-seed') });
    expect(r.files.map((f) => f.path)).toEqual(['include/net/route.h']);
    expect(r.functions).toEqual([]);
    expect(r.files[0]!.era).toBeUndefined();
    expect(r.statements.map((x) => [x.text, x.line])).toEqual([['adds `u32 rt_peer_genid` to struct rtable', 45]]);
    expect(r.exitCode).toBe(0);
  });

  it('the two patches as a git format-patch mbox series review as one change of both files', async () => {
    const body = (path: string): string => readFileSync(path, 'utf8').split('\n').slice(2).join('\n');
    const mbox =
      'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\nFrom: Test <t@example.org>\nDate: Mon, 7 Feb 2011 12:00:00 -0800\n' +
      'Subject: [PATCH 1/2] inet: Add rt_peer_genid to struct rtable\n\n' +
      body(headerPatch) +
      '-- \n2.0\n\nFrom 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001\nFrom: David S. Miller <davem@davemloft.net>\nDate: Mon, 7 Feb 2011 12:00:00 -0800\n' +
      'Subject: [PATCH 2/2] inet: Create a mechanism for upward inetpeer propagation into routes.\n\n' +
      body(seedPatch) +
      '\n \n-- \n2.0\n';
    const p = join(tmp(), 'series.mbox');
    writeFileSync(p, mbox);
    const r = await reviewPatch({ patch: p, tree: tree('pre-seed') });
    expect(r.form).toBe('mbox');
    expect(r.commits.map((c) => [c.seriesIndex, c.seriesTotal])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(r.files.map((f) => f.path)).toEqual(['include/net/route.h', 'net/ipv4/route.c']);
    expect(r.damage).toEqual([]);
    expect(r.functions.map((f) => f.name)).toEqual(['rt_peer_genid', 'rt_bind_peer', 'ipv4_dst_check']);
    expect(r.statements[0]!.text).toBe('adds `u32 rt_peer_genid` to struct rtable');
  });
});

describe('review never fails with anything but a one-line PeerpropError', () => {
  const seed = readFileSync(seedPatch, 'utf8');
  it('on random corruptions of the seed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(seed.length), fc.nat(60), fc.string({ maxLength: 40 }), async (at, cut, junk) => {
        const p = join(tmp(), 'corrupt.patch');
        writeFileSync(p, seed.slice(0, at) + junk + seed.slice(Math.min(seed.length, at + cut)));
        try {
          const r = await reviewPatch({ patch: p });
          expect([0, 1]).toContain(r.exitCode);
        } catch (e) {
          expect(e).toBeInstanceOf(PeerpropError);
          expect((e as PeerpropError).oneLine()).not.toContain('\n');
        }
      }),
      { numRuns: 80 },
    );
  });
});

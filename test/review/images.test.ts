import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPatchFile, allFilePatches } from '../../src/patch/index.ts';
import { sparseSide, HIDDEN_PREFIX } from '../../src/review/images.ts';
import { extractFacts } from '../../src/csrc/facts.ts';
import { reviewPatch } from '../../src/review/index.ts';
import { seedPatch, routeC, tmp, lineOf } from './helpers.ts';

describe('sparse images of the seed (no tree)', async () => {
  const fp = allFilePatches(await readPatchFile(seedPatch))[0]!;
  const post = sparseSide(fp, 'post');
  const pre = sparseSide(fp, 'pre');

  it('joins the hunks, records the gaps and the changed lines', () => {
    expect(pre.gaps).toEqual([
      { from: 1314, to: 1315 },
      { from: 1322, to: 1766 },
    ]);
    expect(post.gaps).toEqual([
      { from: 1321, to: 1322 },
      { from: 1331, to: 1775 },
    ]);
    expect([...pre.changed]).toEqual([1770]);
    expect(post.changed.has(1311) && post.changed.has(1327) && post.changed.has(1788)).toBe(true);
    expect(post.patchLineOf.get(1327)).toBe(64);
  });

  it('gives the tail of the function before hunk 1 a placeholder header and closes the open comment', () => {
    const facts = extractFacts(post.text, 'net/ipv4/route.c', { mapLine: post.mapLine });
    expect(facts.errorNodes).toBe(0);
    expect(facts.functions.map((f) => [f.name, f.startLine])).toEqual([
      [`${HIDDEN_PREFIX}1308`, 1308],
      ['rt_peer_genid', 1313],
      ['rt_bind_peer', 1318],
      ['ipv4_dst_check', 1777],
    ]);
  });
});

describe('sparse images of a git diff with function sections', () => {
  // seed -> pmtu-redirect as git prints it: hunks start mid-function, sections name the function.
  const dir = tmp();
  for (const [side, tree] of [['old', 'seed'], ['new', 'pmtu-redirect']] as const) {
    mkdirSync(join(dir, side, 'net/ipv4'), { recursive: true });
    copyFileSync(routeC(tree), join(dir, side, 'net/ipv4/route.c'));
  }
  let text = '';
  try {
    execFileSync('git', ['diff', '--no-index', '--', 'old/net/ipv4/route.c', 'new/net/ipv4/route.c'], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    text = (e as { stdout: string }).stdout; // exit 1: the files differ
  }
  text = text.replaceAll('a/old/net/', 'a/net/').replaceAll('b/new/net/', 'b/net/');
  const patch = join(dir, 'bumpers.patch');
  writeFileSync(patch, text);

  it('has sections (the test is about them)', () => {
    expect(text).toMatch(/^@@ .* @@ static struct dst_entry \*ipv4_dst_check\(/m);
    expect(text).toMatch(/^@@ .* @@ unsigned short ip_rt_frag_needed\(struct net \*net, struct iphdr \*iph,$/m);
  });

  it('attributes every change to the right function without a tree', async () => {
    const r = await reviewPatch({ patch });
    const after = readFileSync(routeC('pmtu-redirect'), 'utf8');
    expect(r.files[0]!.unparsed).toEqual([]);
    const names = r.functions.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['ip_rt_redirect', 'ip_rt_frag_needed', 'ip_rt_update_pmtu', 'ipv4_dst_check', 'rt_init_metrics', 'check_peer_pmtu', 'check_peer_redir']));
    expect(names.some((n) => n.includes('header not in the patch'))).toBe(false);
    const frag = r.functions.find((f) => f.name === 'ip_rt_frag_needed')!;
    const lines = after.split('\n');
    const header = lineOf(after, 'unsigned short ip_rt_frag_needed(');
    const bumpLine = lines.findIndex((l, i) => i >= header && l.includes('atomic_inc(&__rt_peer_genid)')) + 1;
    expect(frag.post!.bumps).toMatchObject([{ op: 'atomic_inc', line: bumpLine }]);
    const check = r.functions.find((f) => f.name === 'ipv4_dst_check')!;
    expect(check.incomplete).toMatch(/post-image lines \d+-\d+ of ipv4_dst_check\(\) are not in the patch/);
    expect(check.post!.returns.map((x) => x.position)).toEqual(['before-genid-block', 'inside-genid-block', 'after-genid-block']);
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CProgram } from '../../src/ceval/index.ts';
import { DepMemo, depsOf } from '../../src/scan/depmemo.ts';
import { TREES } from './fixture-trees.ts';

const FILE = 'net/ipv4/route.c';
const pmtu = readFileSync(join(TREES, 'pmtu-redirect', FILE), 'utf8');
const CTX = 'test-context';

/** A stand-in computation: looks up what a PMTU update reads, and answers with a located value. */
function compute(p: CProgram): { line: number } {
  p.fn('ip_rt_update_pmtu'); // compiles it and, through it, check_peer_pmtu, rt_bind_peer, ...
  p.define('RTAX_MTU');
  p.matches(/\binetpeer_invalidate_tree\s*\(/);
  return { line: p.functions.get('ip_rt_update_pmtu')!.startLine };
}

function stored(text = pmtu): DepMemo<{ line: number }> {
  const memo = new DepMemo<{ line: number }>();
  const p = new CProgram(text, FILE, { lenient: true });
  const v = compute(p);
  expect(memo.store(p, text, CTX, v, [v.line])).toBe(true);
  return memo;
}

const lookup = (memo: DepMemo<{ line: number }>, text: string, ctx = CTX) => memo.lookup(new CProgram(text, FILE, { lenient: true }), text, ctx);
const edit = (from: string, to: string) => {
  expect(pmtu).toContain(from);
  return pmtu.replace(from, to);
};

describe('DepMemo: keyed on what the evaluator read', () => {
  it('records callees reached through the compiled function, names found absent, and patterns', () => {
    const p = new CProgram(pmtu, FILE, { lenient: true });
    compute(p);
    const d = depsOf(p);
    expect(d.names).toEqual(expect.arrayContaining(['ip_rt_update_pmtu', 'check_peer_pmtu', 'rt_bind_peer', 'ip_rt_min_pmtu', '__rt_peer_genid', 'RTAX_MTU']));
    expect(d.names).not.toContain('ip_rt_frag_needed');
    expect(d.tests).toEqual([['', '\\binetpeer_invalidate_tree\\s*\\(']]);
    expect(d.wholeText).toBe(false);
  });

  it('reuses across edits of what was not read, moving the line to where the definition is now', () => {
    const memo = stored();
    const shifted = `/* one */\n/* two */\n${edit('return est_mtu ? : new_mtu;', 'return est_mtu ? est_mtu : new_mtu;')}`;
    const hit = lookup(memo, shifted);
    expect(hit).toBeDefined();
    const line = hit!.moveLine(hit!.value.line);
    expect(shifted.split('\n')[line - 1]).toMatch(/^static void ip_rt_update_pmtu\(/);
  });

  it.each([
    ['the function looked up', 'dst_confirm(dst);\n\n\tif (!rt->peer)', 'dst_confirm(dst);\n\tif (!rt->peer)'],
    ['a callee reached only through it', '\t\t\tdst_metric_set(dst, RTAX_MTU, peer->pmtu_learned);\n', ''],
    ['a file-scope variable it uses', 'static int ip_rt_min_pmtu = 512 + 20 + 20;', 'static int ip_rt_min_pmtu = 600;'],
  ])('misses after an edit of %s', (_what, from, to) => {
    expect(lookup(stored(), edit(from, to))).toBeUndefined();
  });

  it('misses when a name found absent appears (a #define shadowing a built-in constant)', () => {
    expect(lookup(stored(), `#define RTAX_MTU 3\n${pmtu}`)).toBeUndefined();
  });

  it('misses when a pattern tested on the whole text answers differently, hits when it answers the same', () => {
    const memo = stored();
    expect(lookup(memo, `${pmtu}\nstatic void x(void) { inetpeer_invalidate_tree(AF_INET); }\n`)).toBeUndefined();
    expect(lookup(memo, `${pmtu}\n/* inetpeer_invalidate_tree is not called */\n`)).toBeDefined();
  });

  it('misses in another context (era, options, analyser version)', () => {
    expect(lookup(stored(), pmtu, 'another-context')).toBeUndefined();
  });

  it('keys on the whole text once anything read it whole', () => {
    const memo = new DepMemo<{ line: number }>();
    const p = new CProgram(pmtu, FILE, { lenient: true });
    const v = compute(p);
    void p.source.length;
    memo.store(p, pmtu, CTX, v, [v.line]);
    expect(lookup(memo, pmtu)).toBeDefined();
    expect(lookup(memo, `${pmtu}\n/* anything */\n`)).toBeUndefined();
  });

  it('does not store a value naming a line outside everything read (it could not be moved)', () => {
    const memo = new DepMemo<{ line: number }>();
    const p = new CProgram(pmtu, FILE, { lenient: true });
    const v = compute(p);
    expect(memo.store(p, pmtu, CTX, v, [v.line, 1])).toBe(false);
    expect(memo.stats.notStored).toBe(1);
    expect(memo.size).toBe(0);
  });

  it('entries travel as plain data and are bounded', () => {
    const a = stored();
    const shared = a.exportShared();
    expect(shared).toHaveLength(1);
    const b = new DepMemo<{ line: number }>(2);
    b.importShared(JSON.parse(JSON.stringify(shared)));
    expect(lookup(b, pmtu)).toBeDefined();
    for (const n of [1, 2, 3]) {
      const text = edit('dst_confirm(dst);', `dst_confirm(dst);${' '.repeat(n)}`);
      const p = new CProgram(text, FILE, { lenient: true });
      b.store(p, text, CTX, compute(p), []);
    }
    expect(b.size).toBe(2);
    expect(lookup(b, pmtu)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractFnheFacts, judgeFnhe } from '../../src/scan/fnhe.ts';
import { repoRoot } from './helpers.ts';

const fixture = readFileSync(join(repoRoot, 'kernel-fixtures/trees/fnhe/net/ipv4/route.c'), 'utf8');
const DEBIAN = '/usr/src/linux-source-6.1';

describe('fnhe facts on the fnhe fixture tree', () => {
  const facts = extractFnheFacts(fixture);
  it('finds the FORCE_CHK / rt_is_expired test of ipv4_dst_check at its line', () => {
    expect(facts.dstCheck?.obsoleteTest).toBe('force-chk');
    expect(facts.dstCheck?.expiredTest).toBe(true);
    const line = fixture.split('\n')[facts.dstCheck!.conditionLine! - 1]!;
    expect(line).toMatch(/if \(dst->obsolete != DST_OBSOLETE_FORCE_CHK/);
  });
  it('finds the KILL sites with their functions and the fnhe_genid reset', () => {
    expect(facts.killSites.length).toBeGreaterThan(0);
    for (const k of facts.killSites) expect(fixture.split('\n')[k.line - 1]).toMatch(/obsolete = DST_OBSOLETE_KILL/);
    expect(facts.genidResets.map((r) => r.fn)).toContain('rt_bind_exception');
    expect(facts.leftovers).toEqual([]);
    expect(judgeFnhe(facts, 'net/ipv4/route.c').ok).toBe(true);
  });
});

describe('fnhe judgement of broken variants', () => {
  it('a dst_check that ignores obsolete is a divergence at ipv4_dst_check', () => {
    const broken = fixture.replace(/dst->obsolete != DST_OBSOLETE_FORCE_CHK \|\| /, '');
    const out = judgeFnhe(extractFnheFacts(broken), 'net/ipv4/route.c');
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.problem).toMatch(/never returns NULL for an obsolete/);
  });
  it('no KILL site at all is a divergence', () => {
    const broken = fixture.replace(/obsolete = DST_OBSOLETE_KILL/g, 'obsolete = DST_OBSOLETE_FORCE_CHK');
    const out = judgeFnhe(extractFnheFacts(broken), 'net/ipv4/route.c');
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.problem).toMatch(/nothing sets DST_OBSOLETE_KILL/);
  });
  it('fnhe_genid kept but never used to reset an exception is a divergence', () => {
    const broken = fixture.replace(/fnhe_pmtu = 0;/g, 'fnhe_pmtu = fnhe->fnhe_pmtu;').replace(/fnhe_gw = 0;/g, 'fnhe_gw = fnhe->fnhe_gw;');
    const out = judgeFnhe(extractFnheFacts(broken), 'net/ipv4/route.c');
    expect(out.ok).toBe(false);
  });
  it('commented-out code does not count', () => {
    const src = `struct dst_entry *ipv4_dst_check(struct dst_entry *dst, u32 cookie)\n{\n\t/* if (dst->obsolete != DST_OBSOLETE_FORCE_CHK) return NULL; */\n\treturn dst;\n}\n`;
    const f = extractFnheFacts(src);
    expect(f.dstCheck?.obsoleteTest).toBeUndefined();
  });
  it('the 3.6-3.10 form (== DST_OBSOLETE_KILL, no fnhe_genid) passes with a note', () => {
    const src = [
      'static inline bool rt_is_expired(const struct rtable *rth)',
      '{',
      '\treturn rth->rt_genid != rt_genid(dev_net(rth->dst.dev));',
      '}',
      'static void update_or_create_fnhe(struct fib_nh *nh, __be32 daddr)',
      '{',
      '\trt->dst.obsolete = DST_OBSOLETE_KILL;',
      '}',
      'static struct dst_entry *ipv4_dst_check(struct dst_entry *dst, u32 cookie)',
      '{',
      '\tstruct rtable *rt = (struct rtable *) dst;',
      '',
      '\tif (dst->obsolete == DST_OBSOLETE_KILL || rt_is_expired(rt))',
      '\t\treturn NULL;',
      '\treturn dst;',
      '}',
      '',
    ].join('\n');
    const out = judgeFnhe(extractFnheFacts(src), 'net/ipv4/route.c');
    expect(out.ok).toBe(true);
    if (out.ok) {
      expect(out.summary).toMatch(/obsolete == DST_OBSOLETE_KILL/);
      expect(out.summary).toMatch(/no fnhe_genid \(3\.6-3\.10\)/);
      expect(out.line).toBe(13);
    }
  });
});

describe.skipIf(!existsSync(join(DEBIAN, 'net/ipv4/route.c')))(`real tree ${DEBIAN}`, () => {
  it('carries the duty through exceptions: facts hold, at real lines', () => {
    const src = readFileSync(join(DEBIAN, 'net/ipv4/route.c'), 'utf8');
    const f = extractFnheFacts(src);
    const lines = src.split('\n');
    expect(f.dstCheck?.obsoleteTest).toBe('force-chk');
    expect(lines[f.dstCheck!.conditionLine! - 1]).toMatch(/DST_OBSOLETE_FORCE_CHK/);
    expect(f.killSites.length).toBeGreaterThan(0);
    expect(f.genidResets.map((r) => r.fn)).toContain('rt_bind_exception');
    expect(f.leftovers).toEqual([]);
    expect(judgeFnhe(f, 'net/ipv4/route.c').ok).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { extractFacts } from '../../src/csrc/facts.ts';
import { detectEra } from '../../src/csrc/era.ts';
import { readTree, TREES, hasDebianTree, debianRouteC, hasUserTree, userRouteC } from './helpers.ts';

const era = (src: string): ReturnType<typeof detectEra> => detectEra(extractFacts(src, 'net/ipv4/route.c'));

describe('detectEra on the fixture trees', () => {
  const expected = { 'pre-seed': 'pre-genid', seed: 'seed', 'pmtu-redirect': 'pmtu-redirect', fnhe: 'fnhe' } as const;
  for (const tree of TREES) {
    it(`${tree} -> ${expected[tree]}`, () => {
      const v = era(readTree(tree));
      expect(v.era).toBe(expected[tree]);
      expect(v.reason).not.toContain('\n');
      expect(v.reason.length).toBeGreaterThan(20);
    });
  }

  it('says why, from the code', () => {
    expect(era(readTree('seed')).reason).toMatch(/__rt_peer_genid .*nothing bumps it/);
    expect(era(readTree('pmtu-redirect')).reason).toMatch(/bumped in ip_rt_redirect\(\), ip_rt_frag_needed\(\), ip_rt_update_pmtu\(\)/);
    expect(era(readTree('pre-seed')).reason).toMatch(/rt_bind_peer\(\) is defined/);
    expect(era(readTree('fnhe')).reason).toMatch(/removed in 3\.6/);
  });
});

describe('detectEra on snippets', () => {
  it('a genid with a plain ++ bump is still the bumper stage', () => {
    const src = 'static int __rt_peer_genid;\nvoid f(struct rtable *rt)\n{\n\t__rt_peer_genid++;\n\trt->rt_peer_genid = __rt_peer_genid;\n}\n';
    expect(era(src).era).toBe('pmtu-redirect');
  });
  it('a file with none of the vocabulary is unknown', () => {
    const v = era('int main(void)\n{\n\treturn 0;\n}\n');
    expect(v.era).toBe('unknown');
    expect(v.reason).toMatch(/no rt_bind_peer/);
  });
  it('only callers of rt_bind_peer (the 3.0 daddr form) is pre-genid', () => {
    expect(era('void g(struct rtable *rt)\n{\n\trt_bind_peer(rt, rt->rt_dst, 1);\n}\n').era).toBe('pre-genid');
  });
});

describe.skipIf(!hasDebianTree)('Debian linux-source-6.1', () => {
  it('net/ipv4/route.c is fnhe-era: the genid/peer functions are gone', () => {
    const v = era(readFileSync(debianRouteC, 'utf8'));
    expect(v.era).toBe('fnhe');
    expect(v.reason).toMatch(/rt_bind_peer, rt_peer_genid and rt->peer are gone \(routing cache removed in 3\.6\)/);
    expect(v.reason.split('\n')).toHaveLength(1);
  });
});

describe.skipIf(!hasUserTree)('PEERPROP_TREE', () => {
  it('gets an era with a one-line reason', () => {
    const v = era(readFileSync(userRouteC!, 'utf8'));
    expect(['pre-genid', 'seed', 'pmtu-redirect', 'fnhe', 'unknown']).toContain(v.era);
    expect(v.reason).not.toContain('\n');
  });
});

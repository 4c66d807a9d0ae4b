import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseProbeLine, FEATURES_6_1, type ParsedProbeLine } from '../../src/probes/grammar.ts';
import { captureProbes } from './capture.ts';

const parsed = (l: string) => {
  const p = parseProbeLine(l);
  if ('error' in p) throw new Error(`${l}: ${p.error}`);
  return p as ParsedProbeLine;
};

describe('kprobe_events grammar against the real 6.1 capture', () => {
  it('every line the 6.1 kernel accepted parses, with features in the 6.1 set', async () => {
    const { ok } = await captureProbes();
    expect(ok.length).toBeGreaterThan(20);
    for (const l of ok) {
      const p = parsed(l);
      for (const f of p.features) expect(FEATURES_6_1.has(f), `${f} in ${l}`).toBe(true);
    }
  });

  it('every line the 6.1 kernel refused is unparseable or needs a feature 6.1 lacks', async () => {
    const { fail } = await captureProbes();
    expect(fail.length).toBeGreaterThan(5);
    for (const l of fail) {
      const p = parseProbeLine(l);
      if ('error' in p) continue;
      expect([...p.features].some((f) => !FEATURES_6_1.has(f)), l).toBe(true);
    }
  });

  it('reads the parts of a line', () => {
    const p = parsed('r:rtg/find_exception_ret find_exception fnhe=$retval:x64 fnhe_daddr=+0xc($retval):x32 pmtu=+0x94(%di):b31@1/32');
    expect(p).toMatchObject({ type: 'r', group: 'rtg', event: 'find_exception_ret', symbol: 'find_exception', isReturn: true });
    expect(p.args.map((a) => a.name)).toEqual(['fnhe', 'fnhe_daddr', 'pmtu']);
    expect(p.args[2]).toMatchObject({ fetch: '+0x94(%di)', type: 'b31@1/32' });
    const f = parsed('f:rtg/x __ip_rt_update_pmtu%return rt=rt:x64 pmtu=rt->rt_pmtu');
    expect(f.features.has('fexit')).toBe(true);
    expect(f.features.has('btf-field')).toBe(true);
    expect(parsed('p:bind_set rt_bind_peer+84 rt=%bx:u64 g=@__rt_peer_genid:u32').offset).toBe(84);
  });

  it('rejects malformed lines', () => {
    for (const l of ['x:foo bar', 'p:g/e', 'p:g/e sym a=+0x10(%zz):u32', 'p:g/e sym a=%di:q32', 'p:g/e sym a=+(%di):u32', 'p:g/e sym a=$retval:u32']) {
      expect('error' in parseProbeLine(l), l).toBe(true);
    }
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (s) => {
      const r = parseProbeLine(s);
      expect(typeof r).toBe('object');
    }), { numRuns: 500 });
  });
});

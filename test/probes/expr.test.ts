import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { lowerExpr, parseExpr, type Lowered } from '../../src/probes/expr.ts';
import type { FunctionFact, KernelTypes, MemberFact } from '../../src/kernel/btf/types.ts';

const m = (path: string, offset: number, extra: Partial<MemberFact> = {}): MemberFact => ({ path, offset, size: 4, type: 'int', signed: true, ...extra });
const types: KernelTypes = {
  schema: 2, source: 'test', format: 'btf', members: {
    'rtable.rt_genid': m('rtable.rt_genid', 0x70),
    'rtable.rt_pmtu': m('rtable.rt_pmtu', 0x94, { signed: false, bitOffset: 1, bitSize: 31 }),
    'dst_entry.dev': m('dst_entry.dev', 0, { size: 8, pointer: true, pointee: 'net_device', signed: undefined }),
    'net_device.nd_net.net': m('net_device.nd_net.net', 0x500, { size: 8, pointer: true, pointee: 'net', signed: undefined }),
    'net.ipv4.rt_genid.counter': m('net.ipv4.rt_genid.counter', 0x58c),
    'ctl_table.extra1': m('ctl_table.extra1', 0x30, { size: 8, pointer: true, signed: undefined }),
    'net.fnhe_genid.counter': m('net.fnhe_genid.counter', 0x18),
  },
  missingMembers: ['rtable.rt_peer_genid'], functions: {}, missingFunctions: [], structSizes: {},
};
const fn: FunctionFact = {
  name: 'f', returns: 'struct rtable *', returnSize: 8, returnPointer: true, returnPointee: 'rtable',
  params: [
    { name: 'dst', type: 'struct dst_entry *', size: 8, pointer: true, pointee: 'dst_entry' },
    { name: 'cookie', type: 'u32', size: 4, signed: false },
    { name: '__ctl', type: 'struct ctl_table *', size: 8, pointer: true, pointee: 'ctl_table' },
  ],
};
const ok = (r: ReturnType<typeof lowerExpr>): Lowered => {
  if ('error' in r) throw new Error(r.error);
  return r;
};

describe('probe expressions', () => {
  it('parameters to registers, member chains to nested derefs, BTF spelling alongside', () => {
    const entry = { fn, types, at: 'entry' as const, argStyle: 'reg' as const };
    expect(ok(lowerExpr('dst', 'pointer', entry))).toMatchObject({ regs: '%di', btf: 'dst', type: 'x64' });
    expect(ok(lowerExpr('cookie', 'int', entry))).toMatchObject({ regs: '%si', type: 'u32' });
    expect(ok(lowerExpr('dst->dev->nd_net.net->ipv4.rt_genid.counter', 'int', entry))).toMatchObject({
      regs: '+0x58c(+0x500(+0(%di)))', btf: 'dst->dev->nd_net.net->ipv4.rt_genid.counter', type: 's32',
      cPath: '((struct dst_entry *)arg0)->dev->nd_net.net->ipv4.rt_genid.counter',
    });
    const cast = ok(lowerExpr('dst<rtable>->rt_pmtu', 'int', entry));
    expect(cast).toMatchObject({ regs: '+0x94(%di)', btf: undefined, type: 'b31@1/32' });
    expect(ok(lowerExpr('__ctl->extra1<net>->fnhe_genid.counter', 'int', entry))).toMatchObject({ regs: '+0x18(+0x30(%dx))', btf: undefined });
    expect(ok(lowerExpr('cookie', 'int', { ...entry, argStyle: 'argN' }))).toMatchObject({ regs: '$arg2' });
    expect(ok(lowerExpr('@__rt_peer_genid', 'int', entry))).toMatchObject({ regs: '@__rt_peer_genid', type: 'u32' });
  });

  it('return values and old tracers', () => {
    const ret = { fn, types, at: 'return' as const, argStyle: 'reg' as const };
    expect(ok(lowerExpr('$retval->rt_genid', 'int', ret))).toMatchObject({ regs: '+0x70($retval)', btf: '$retval->rt_genid' });
    expect(lowerExpr('dst', 'pointer', ret)).toMatchObject({ error: expect.stringContaining('return probe') });
    expect(ok(lowerExpr('dst', 'pointer', { ...ret, argStyle: 'argN' }))).toMatchObject({ regs: '$arg1' });
    expect(ok(lowerExpr('$retval', 'pointer', { ...ret, noHexTypes: true }))).toMatchObject({ type: 'u64' });
    expect(lowerExpr('$retval', 'pointer', { fn, types, at: 'entry', argStyle: 'reg' })).toHaveProperty('error');
  });

  it('what a kernel cannot express is an error with a reason, or a member to read first', () => {
    const entry = { fn, types, at: 'entry' as const, argStyle: 'reg' as const };
    expect(lowerExpr('dst<rtable>->rt_peer_genid', 'int', entry)).toEqual({ error: 'no member rtable.rt_peer_genid in this kernel' });
    expect(lowerExpr('dst<rtable>->rt_flags', 'int', entry)).toEqual({ error: 'member rtable.rt_flags not read yet', unknown: 'rtable.rt_flags' });
    expect(lowerExpr('nope', 'int', entry)).toHaveProperty('error');
    expect(lowerExpr('cookie->x', 'int', entry)).toHaveProperty('error');
    expect(lowerExpr('dst', 'int', { types, at: 'entry', argStyle: 'reg' })).toHaveProperty('error');
    const many: FunctionFact = { ...fn, params: Array.from({ length: 8 }, (_, i) => ({ name: `p${i}`, type: 'int', size: 4, signed: true })) };
    expect(ok(lowerExpr('p5', 'int', { ...entry, fn: many }))).toMatchObject({ regs: '%r9' });
    expect(lowerExpr('p6', 'int', { ...entry, fn: many })).toHaveProperty('error');
    const byValue: FunctionFact = { ...fn, params: [{ name: 's', type: 'struct big', size: 24 }, { name: 'x', type: 'int', size: 4 }] };
    expect(lowerExpr('x', 'int', { ...entry, fn: byValue })).toMatchObject({ error: expect.stringContaining('by value') });
  });

  it('property: a chain of n hops nests n derefs, innermost first, with each hop\'s offset', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(0xfff), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 5 }), (offs, reg) => {
        const members: Record<string, MemberFact> = {};
        offs.forEach((o, i) => {
          const last = i === offs.length - 1;
          members[`s${i}.m${i}`] = m(`s${i}.m${i}`, o, last ? {} : { size: 8, pointer: true, pointee: `s${i + 1}`, signed: undefined });
        });
        const params = Array.from({ length: 6 }, (_, i) => ({ name: `a${i}`, type: 'p', size: 8, pointer: true, pointee: 's0' }));
        const expr = `a${reg}` + offs.map((_, i) => `->m${i}`).join('');
        const r = ok(lowerExpr(expr, 'int', { fn: { ...fn, params }, types: { ...types, members }, at: 'entry', argStyle: 'reg' }));
        let want = ['%di', '%si', '%dx', '%cx', '%r8', '%r9'][reg]!;
        for (const o of offs) want = `+${o === 0 ? '0' : `0x${o.toString(16)}`}(${want})`;
        expect(r.regs).toBe(want);
        expect(r.btf).toBe(expr);
        expect(parseExpr(expr).hops).toHaveLength(offs.length);
      }),
    );
  });
});

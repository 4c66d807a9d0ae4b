import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { extractFacts, functionFacts, allOf, negateText, conjunction, type ProtocolFacts, type FunctionFacts } from '../../src/csrc/facts.ts';
import { readTree, lineOf, hasDebianTree, debianRouteC, hasUserTree, userRouteC } from './helpers.ts';

const FILE = 'net/ipv4/route.c';

function fn(facts: ProtocolFacts, name: string): FunctionFacts {
  const f = functionFacts(facts, name);
  if (!f) throw new Error(`no function ${name}`);
  return f;
}

/** Every fact of every kind, for invariants. */
function everyFact(facts: ProtocolFacts): { file: string; line: number; column: number; text: string }[] {
  const kinds = ['reads', 'stamps', 'comparisons', 'binds', 'cmpxchgs', 'bumps', 'returns', 'counters', 'obsolete', 'fnheUpdates'] as const;
  return [...facts.globals, ...kinds.flatMap((k) => allOf(facts, k) as { file: string; line: number; column: number; text: string }[])];
}

describe('extractFacts on the pre-seed fixture (stage S0)', () => {
  const src = readTree('pre-seed');
  const facts = extractFacts(src, FILE);

  it('finds the peer binding but no genid', () => {
    expect(facts.globals).toEqual([]);
    expect(allOf(facts, 'stamps')).toEqual([]);
    expect(allOf(facts, 'reads')).toEqual([]);
    const bind = fn(facts, 'rt_bind_peer');
    expect(bind.cmpxchgs).toHaveLength(1);
    expect(bind.cmpxchgs[0]).toMatchObject({
      target: 'rt->peer',
      expected: 'NULL',
      desired: 'peer',
      resultTest: '!= NULL',
      condition: 'peer',
      line: lineOf(src, 'if (peer && cmpxchg(&rt->peer, NULL, peer) != NULL)'),
      file: FILE,
    });
  });

  it('ipv4_dst_check returns NULL on expiry and has no genid block', () => {
    const check = fn(facts, 'ipv4_dst_check');
    expect(check.genidBlock).toBeUndefined();
    expect(check.returns.map((r) => [r.value, r.checksExpiry, r.position])).toEqual([
      ['NULL', true, 'no-genid-block'],
      ['dst', false, 'no-genid-block'],
    ]);
    expect(check.returns[0]!.condition).toBe('rt_is_expired((struct rtable *)dst)');
  });

  it('lists the binders with their create arguments', () => {
    const binds = allOf(facts, 'binds');
    expect(binds.map((b) => [b.function, b.create, b.createValue])).toEqual([
      ['__ip_select_ident', '1', 1],
      ['rt_init_metrics', 'create', undefined],
    ]);
    expect(binds[0]!.condition).toBe('rt && rt->peer == NULL');
  });

  it('sees every function of the file and no parse error', () => {
    expect(facts.errorNodes).toBe(0);
    expect(facts.unparsed).toEqual([]);
    expect(facts.functions.map((f) => f.name)).toContain('rt_intern_hash');
  });
});

describe('extractFacts on the seed fixture (stage S1)', () => {
  const src = readTree('seed');
  const facts = extractFacts(src, FILE);

  it('declares the global genid as an atomic_t initialised to 0', () => {
    expect(facts.globals).toHaveLength(1);
    expect(facts.globals[0]).toMatchObject({
      name: '__rt_peer_genid',
      type: 'atomic_t',
      atomic: true,
      static: true,
      initializer: 'ATOMIC_INIT(0)',
      line: lineOf(src, 'static atomic_t __rt_peer_genid'),
      column: 1,
      text: 'static atomic_t __rt_peer_genid = ATOMIC_INIT(0);',
    });
  });

  it('recognises rt_peer_genid() as the accessor reading it with atomic_read', () => {
    expect(facts.accessors).toEqual(['rt_peer_genid']);
    const acc = fn(facts, 'rt_peer_genid');
    expect(acc.isAccessor).toBe(true);
    expect(acc.signature).toBe('static u32 rt_peer_genid(void)');
    expect(acc.reads).toMatchObject([{ via: 'atomic_read', name: '__rt_peer_genid', text: 'atomic_read(&__rt_peer_genid)' }]);
  });

  it('rt_bind_peer stamps in the else branch of the cmpxchg test', () => {
    const bind = fn(facts, 'rt_bind_peer');
    expect(bind.stamps).toHaveLength(1);
    const s = bind.stamps[0]!;
    expect(s).toMatchObject({
      target: 'rt->rt_peer_genid',
      value: 'rt_peer_genid()',
      valueKind: 'genid-read',
      condition: '!(peer && cmpxchg(&rt->peer, NULL, peer) != NULL)',
      line: lineOf(src, 'rt->rt_peer_genid = rt_peer_genid();'),
      column: 3,
    });
    expect(s.terms).toEqual([{ text: 'peer && cmpxchg(&rt->peer, NULL, peer) != NULL', negated: true, kind: 'if', line: lineOf(src, 'if (peer && cmpxchg') }]);
    expect(bind.reads.map((r) => r.via)).toEqual(['accessor']);
    expect(bind.bumps).toEqual([]);
  });

  it('ipv4_dst_check: expiry first, then the genid block that binds with create=0 and re-stamps', () => {
    const check = fn(facts, 'ipv4_dst_check');
    const blockLine = lineOf(src, 'if (rt->rt_peer_genid != rt_peer_genid()) {');
    expect(check.genidBlock).toMatchObject({ line: blockLine, condition: 'rt->rt_peer_genid != rt_peer_genid()' });
    expect(check.comparisons).toMatchObject([{ operator: '!=', left: 'rt->rt_peer_genid', right: 'rt_peer_genid()', genidVsGenid: true, condition: 'true' }]);
    expect(check.binds).toMatchObject([{ create: '0', createValue: 0, args: ['rt', '0'], condition: 'rt->rt_peer_genid != rt_peer_genid() && !rt->peer' }]);
    expect(check.stamps).toMatchObject([{ condition: 'rt->rt_peer_genid != rt_peer_genid()' }]);
    expect(check.returns.map((r) => [r.value, r.checksExpiry, r.position])).toEqual([
      ['NULL', true, 'before-genid-block'],
      ['dst', false, 'after-genid-block'],
    ]);
    expect(check.reads).toHaveLength(2);
  });

  it('finds nothing that bumps the genid', () => {
    expect(allOf(facts, 'bumps')).toEqual([]);
  });
});

describe('extractFacts on the pmtu-redirect fixture (stage S2)', () => {
  const src = readTree('pmtu-redirect');
  const facts = extractFacts(src, FILE);

  it('finds the three bumpers, all atomic, with their conditions', () => {
    const bumps = allOf(facts, 'bumps');
    expect(bumps.map((b) => [b.function, b.op, b.atomic])).toEqual([
      ['ip_rt_redirect', 'atomic_inc', true],
      ['ip_rt_frag_needed', 'atomic_inc', true],
      ['ip_rt_update_pmtu', 'atomic_inc', true],
    ]);
    expect(bumps[2]!.condition).toBe('peer && (!peer->pmtu_expires || mtu < peer->pmtu_learned)');
  });

  it('ip_rt_update_pmtu binds with create=1 and stamps right after its bump', () => {
    const f = fn(facts, 'ip_rt_update_pmtu');
    expect(f.binds).toMatchObject([{ createValue: 1, condition: '!rt->peer' }]);
    expect(f.stamps[0]!.line).toBe(f.bumps[0]!.line + 1);
  });

  it('ipv4_dst_check returns NULL inside the genid block when the redirect cannot be applied', () => {
    const check = fn(facts, 'ipv4_dst_check');
    expect(check.returns.map((r) => r.position)).toEqual(['before-genid-block', 'inside-genid-block', 'after-genid-block']);
    expect(check.returns[1]!.condition).toContain('check_peer_redir(dst, peer)');
  });

  it('rt_init_metrics stamps only when a peer was found', () => {
    expect(fn(facts, 'rt_init_metrics').stamps).toMatchObject([{ condition: 'peer' }]);
  });
});

describe('extractFacts on the fnhe fixture (3.6+)', () => {
  const src = readTree('fnhe');
  const facts = extractFacts(src, FILE);

  it('has none of the routing-cache facts', () => {
    expect(facts.globals).toEqual([]);
    expect(allOf(facts, 'binds')).toEqual([]);
    expect(allOf(facts, 'cmpxchgs')).toEqual([]);
    expect(facts.peerFieldUses).toBe(0);
    expect(facts.functions.some((f) => f.name === 'rt_bind_peer')).toBe(false);
  });

  it('ipv4_dst_check tests DST_OBSOLETE_FORCE_CHK and expiry', () => {
    const check = fn(facts, 'ipv4_dst_check');
    expect(check.obsolete).toMatchObject([{ kind: 'compare', constant: 'DST_OBSOLETE_FORCE_CHK', operator: '!=' }]);
    expect(check.returns[0]).toMatchObject({ value: 'NULL', checksExpiry: true });
  });

  it('update_or_create_fnhe kills cached dsts when it creates an exception', () => {
    const f = fn(facts, 'update_or_create_fnhe');
    expect(f.obsolete.filter((o) => o.kind === 'set').map((o) => o.constant)).toEqual(['DST_OBSOLETE_KILL', 'DST_OBSOLETE_KILL']);
    expect(f.obsolete.every((o) => o.condition.startsWith('!fnhe'))).toBe(true);
    expect(f.counters.filter((c) => c.counter === 'fnhe_genid').map((c) => c.op)).toEqual(['read', 'read', 'write', 'write']);
  });

  it('finds the callers of update_or_create_fnhe and the genid bumps', () => {
    expect(allOf(facts, 'fnheUpdates').map((u) => u.function)).toEqual(['__ip_do_redirect', '__ip_rt_update_pmtu']);
    const bumps = allOf(facts, 'counters').filter((c) => c.op === 'bump');
    expect(bumps.map((c) => [c.function, c.counter, c.via])).toEqual([
      ['rt_cache_flush', 'rt_genid', 'rt_genid_bump_ipv4'],
      ['ipv4_sysctl_rtcache_flush', 'fnhe_genid', 'fnhe_genid_bump'],
    ]);
  });
});

/** Wraps statements in a function and returns its facts. */
function factsOf(body: string, name = 'f', prefix = 'static atomic_t __rt_peer_genid = ATOMIC_INIT(0);\n'): FunctionFacts {
  const facts = extractFacts(`${prefix}void ${name}(struct rtable *rt, int create)\n{\n${body}\n}\n`, 'snippet.c');
  return fn(facts, name);
}

describe('path conditions', () => {
  it('conjoins nested ifs and negates else branches, else-if chains included', () => {
    const f = factsOf(`\tif (a) {\n\t\tif (b || c)\n\t\t\tx();\n\t\telse if (d)\n\t\t\ty();\n\t\telse\n\t\t\trt->rt_peer_genid = 0;\n\t}`);
    expect(f.stamps[0]!.condition).toBe('a && !(b || c) && !d');
    expect(f.stamps[0]!.valueKind).toBe('literal');
  });

  it('takes the left side of && and || for the right operand', () => {
    const f = factsOf('\tif (ok && rt_bind_peer(rt, 1))\n\t\tx();\n\tz = fail || rt_bind_peer(rt, 0);');
    expect(f.binds.map((b) => b.condition)).toEqual(['ok', '!fail']);
  });

  it('handles ternaries, loops and switch cases', () => {
    const f = factsOf('\tx = p ? rt_bind_peer(rt, 1) : 0;\n\twhile (n--)\n\t\trt_bind_peer(rt, 0);\n\tswitch (mode) {\n\tcase 2:\n\t\trt_bind_peer(rt, create);\n\t\tbreak;\n\t}');
    expect(f.binds.map((b) => b.condition)).toEqual(['p', 'n--', 'mode == 2']);
  });

  it('reads through casts and parentheses', () => {
    const f = factsOf('\tif ((u32)(rt->rt_peer_genid) != (rt_peer_genid()))\n\t\treturn;');
    expect(f.comparisons).toMatchObject([{ operator: '!=', genidVsGenid: true }]);
  });

  it('renders negations simply', () => {
    expect(negateText('peer')).toBe('!peer');
    expect(negateText('!rt->peer')).toBe('rt->peer');
    expect(negateText('!(a && b)')).toBe('a && b');
    expect(negateText('a && b')).toBe('!(a && b)');
    expect(negateText('f(x)')).toBe('!f(x)');
    expect(conjunction([])).toBe('true');
    expect(conjunction([{ text: 'a || b', negated: false, kind: 'if', line: 1 }, { text: 'c', negated: true, kind: 'if', line: 2 }])).toBe('(a || b) && !c');
  });
});

describe('operators, create arguments and bumps', () => {
  it('records the comparison operator, including the wrong ones', () => {
    const f = factsOf('\tif (rt->rt_peer_genid < rt_peer_genid())\n\t\tx();\n\tif (atomic_read(&__rt_peer_genid) >= rt->rt_peer_genid)\n\t\ty();');
    expect(f.comparisons.map((c) => c.operator)).toEqual(['<', '>=']);
    expect(f.reads.map((r) => r.via)).toEqual(['accessor', 'atomic_read']);
  });

  it('parses create literals and keeps expressions as text', () => {
    const f = factsOf('\trt_bind_peer(rt, 0);\n\trt_bind_peer(rt, 1);\n\trt_bind_peer(rt, true);\n\trt_bind_peer(rt, rt->rt_dst, 0);\n\trt_bind_peer(rt, flags & PRECOW);\n\trt6_bind_peer(rt, 0x1);');
    expect(f.binds.map((b) => [b.callee, b.create, b.createValue])).toEqual([
      ['rt_bind_peer', '0', 0],
      ['rt_bind_peer', '1', 1],
      ['rt_bind_peer', 'true', 1],
      ['rt_bind_peer', '0', 0],
      ['rt_bind_peer', 'flags & PRECOW', undefined],
      ['rt6_bind_peer', '0x1', 1],
    ]);
  });

  it('tells atomic bumps from plain ones and plain reads', () => {
    const f = factsOf('\tatomic_inc(&__rt_peer_genid);\n\tatomic_add(2, &__rt_peer_genid);\n\t__rt_peer_genid++;\n\t__rt_peer_genid += 1;\n\tx = __rt_peer_genid;\n\ty = READ_ONCE(__rt_peer_genid);');
    expect(f.bumps.map((b) => [b.op, b.atomic])).toEqual([
      ['atomic_inc', true],
      ['atomic_add', true],
      ['++', false],
      ['+=', false],
    ]);
    expect(f.reads.map((r) => r.via)).toEqual(['plain', 'read_once']);
  });

  it('flags a non-atomic global', () => {
    const facts = extractFacts('static u32 __rt_peer_genid;\nstatic u32 rt_peer_genid(void)\n{\n\treturn __rt_peer_genid;\n}\n', 'x.c');
    expect(facts.globals).toMatchObject([{ name: '__rt_peer_genid', type: 'u32', atomic: false }]);
    expect(facts.accessors).toEqual(['rt_peer_genid']);
  });

  it('finds try_cmpxchg on a peer field and ignores cmpxchg elsewhere', () => {
    const f = factsOf('\tif (!try_cmpxchg(&rt->peer, &old, peer))\n\t\tput(peer);\n\tcmpxchg(&p->pmtu_expires, e, 0);');
    expect(f.cmpxchgs).toMatchObject([{ callee: 'try_cmpxchg', target: 'rt->peer' }]);
  });
});

describe('robustness', () => {
  it('reports a definition hidden in an ERROR region as unparsed, never drops it', () => {
    const src = [
      'static int ok(void)',
      '{',
      '\treturn 0;',
      '}',
      '',
      'static DEFINE_WEIRD(x, y) struct foo { int a; ;; } ))) = ;',
      'int __weird __attribute__(( (( )) broken_fn(struct rtable *rt, int create)',
      '{',
      '\trt_bind_peer(rt, 0);',
      '}',
      '',
    ].join('\n');
    const facts = extractFacts(src, 'bad.c');
    expect(facts.errorNodes).toBeGreaterThan(0);
    const names = facts.functions.map((f) => f.name);
    const unparsed = facts.unparsed.map((u) => u.name);
    // Either the parser recovered the definition, or it is listed as unparsed: never silently gone.
    expect(names.includes('broken_fn') || unparsed.includes('broken_fn')).toBe(true);
    expect(names).toContain('ok');
  });

  it('never throws on random text and locates every fact', () => {
    const seed = readTree('seed');
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.nat(seed.length), fc.nat(200), (junk, at, cut) => {
        const mutated = seed.slice(0, at) + junk + seed.slice(Math.min(seed.length, at + cut));
        const facts = extractFacts(mutated, FILE);
        for (const f of everyFact(facts)) {
          expect(f.file).toBe(FILE);
          expect(f.line).toBeGreaterThan(0);
          expect(f.column).toBeGreaterThan(0);
          expect(typeof f.text).toBe('string');
        }
      }),
      { numRuns: 60 },
    );
  });

  it('survives empty and binary-looking input', () => {
    expect(extractFacts('', 'e.c').functions).toEqual([]);
    expect(() => extractFacts('\u0000\u0001{{{((( /* ', 'b.c')).not.toThrow();
  });
});

describe.skipIf(!hasDebianTree)('Debian linux-source-6.1 net/ipv4/route.c', () => {
  it('extracts the modern facts despite macro-heavy code', () => {
    const facts = extractFacts(readFileSync(debianRouteC, 'utf8'), FILE);
    expect(facts.errorNodes).toBeGreaterThan(0);
    expect(facts.globals).toEqual([]);
    expect(allOf(facts, 'binds')).toEqual([]);
    const check = fn(facts, 'ipv4_dst_check');
    expect(check.obsolete.map((o) => o.constant)).toContain('DST_OBSOLETE_FORCE_CHK');
    expect(allOf(facts, 'fnheUpdates').length).toBeGreaterThanOrEqual(2);
    expect(fn(facts, 'update_or_create_fnhe').obsolete.some((o) => o.constant === 'DST_OBSOLETE_KILL')).toBe(true);
  });
});

describe.skipIf(!hasUserTree)('PEERPROP_TREE net/ipv4/route.c', () => {
  it('extracts facts without throwing and locates each one', () => {
    const facts = extractFacts(readFileSync(userRouteC!, 'utf8'), FILE);
    expect(facts.functions.length).toBeGreaterThan(10);
    for (const f of everyFact(facts)) expect(f.line).toBeGreaterThan(0);
  });
});

describe('struct members of the mechanism', () => {
  it('finds the route genid stamp and the peer pointer in include/net/route.h', () => {
    const seed = extractFacts(readTree('seed', 'include/net/route.h'), 'include/net/route.h');
    expect(seed.fields.map((f) => [f.struct, f.type, f.name])).toEqual([
      ['rtable', 'u32', 'rt_peer_genid'],
      ['rtable', 'struct inet_peer *', 'peer'],
    ]);
    expect(extractFacts(readTree('pre-seed', 'include/net/route.h'), 'route.h').fields.map((f) => f.name)).toEqual(['peer']);
    expect(extractFacts(readTree('fnhe', 'include/net/route.h'), 'route.h').fields).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadProgram, type CStruct, type Access, type Value } from '../../src/ceval/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

/** Runs `int f(void)`-style snippets: the program's function `name` with args on a fresh machine. */
function run(src: string, name = 'f', args: Value[] = []): Value {
  const p = loadProgram(src, 'snippet.c');
  p.prepare([name]);
  return p.call(name, args, p.newMachine());
}

function compileError(src: string, name = 'f'): PeerpropError {
  try {
    loadProgram(src, 'snippet.c').prepare([name]);
  } catch (e) {
    expect(e).toBeInstanceOf(PeerpropError);
    return e as PeerpropError;
  }
  throw new Error('expected a compile error');
}

describe('integer semantics', () => {
  it('wraps u32 arithmetic at 2^32 and int at 2^31', () => {
    expect(run('u32 f(void) { u32 x = 0xffffffff; x++; return x; }')).toBe(0);
    expect(run('u32 f(void) { u32 x = 0; x -= 1; return x; }')).toBe(0xffffffff);
    expect(run('int f(void) { int x = 0x7fffffff; x += 1; return x; }')).toBe(-0x80000000);
    expect(run('u32 f(void) { int x = -1; return x; }')).toBe(0xffffffff);
  });

  it('reads an atomic_t as int and converts it to u32 through a u32 accessor', () => {
    const src = `static atomic_t g = ATOMIC_INIT(-2);
static u32 get(void) { return atomic_read(&g); }
int geti(void) { return atomic_read(&g); }
u32 f(void) { atomic_inc(&g); return get(); }`;
    expect(run(src)).toBe(0xffffffff);
    expect(run(src, 'geti')).toBe(-2);
  });

  it('compares after the usual arithmetic conversions (unsigned wins)', () => {
    expect(run('int f(void) { int a = -1; u32 b = 1; return a < b; }')).toBe(0);
    expect(run('int f(void) { int a = -1; int b = 1; return a < b; }')).toBe(1);
    expect(run('int f(void) { u32 a = 0xffffffff; return a == -1; }')).toBe(1);
    expect(run('int f(void) { u32 a = 0xffffffff; u32 b = 0; return a < b; }')).toBe(0);
  });

  it('evaluates ?:, !, ~, shifts, compound assignment and prefix/postfix updates', () => {
    expect(run('int f(void) { int a = 3; return a > 2 ? 10 : 20; }')).toBe(10);
    expect(run('int f(void) { int a = 0; return !a + !5; }')).toBe(1);
    expect(run('u32 f(void) { u32 a = 0; return ~a; }')).toBe(0xffffffff);
    expect(run('int f(void) { int a = 5; int b = a++; int c = ++a; return b * 100 + c; }')).toBe(507);
    expect(run('int f(void) { int a = 12; a |= 1; a &= 13; a <<= 2; return a; }')).toBe(52);
    expect(run('int f(void) { return ' + '(7 / 2) * 10 + 7 % 3; }')).toBe(31);
  });
});

describe('control flow and calls', () => {
  it('takes every path of nested if/else', () => {
    const src = `static int classify(int x) { if (x < 0) return -1; else if (x == 0) { return 0; } if (x > 100) return 2; return 1; }
int f(int x) { return classify(x); }`;
    expect([-5, 0, 5, 500].map((x) => run(src, 'f', [x]))).toEqual([-1, 0, 1, 2]);
  });

  it('short-circuits && and || (the right operand and its calls do not run)', () => {
    const src = `static atomic_t hits = ATOMIC_INIT(0);
static int touch(void) { atomic_inc(&hits); return 1; }
int f(int a) { if (a && touch()) {} if (a || touch()) {} return atomic_read(&hits); }`;
    expect(run(src, 'f', [0])).toBe(1); // only the || ran touch()
    expect(run(src, 'f', [1])).toBe(1); // only the && ran touch()
  });

  it('keeps pointer identity through casts and embedded first members', () => {
    const p = loadProgram(
      `int f(struct dst_entry *dst) { struct rtable *rt = (struct rtable *) dst; return rt == (struct rtable *)dst && &rt->dst == dst && rt->peer == NULL; }`,
      'snippet.c',
    );
    p.prepare(['f']);
    const m = p.newMachine();
    expect(p.call('f', [m.newRoute(0, '10.0.0.1')], m)).toBe(1);
  });

  it('runs cmpxchg on a field: succeeds once, returns the old value', () => {
    const p = loadProgram(
      `struct inet_peer *f(struct rtable *rt, struct inet_peer *peer) { return cmpxchg(&rt->peer, NULL, peer); }`,
      'snippet.c',
    );
    p.prepare(['f']);
    const m = p.newMachine();
    const rt = m.newRoute(0, '10.0.0.1');
    const a = m.newPeer(1);
    const b = m.newPeer(2);
    expect(p.call('f', [rt, a], m)).toBe(null);
    expect(p.call('f', [rt, b], m)).toBe(a);
    expect(rt.f.peer).toBe(a);
  });

  it('supports local structs, ACCESS_ONCE/READ_ONCE/WRITE_ONCE, likely/unlikely', () => {
    const src = `static u32 g = 7;
u32 f(void) { struct inetpeer_addr a; u32 v; a.a4 = 5; WRITE_ONCE(g, READ_ONCE(g) + a.a4); v = ACCESS_ONCE(g); if (unlikely(v == 12)) return likely(v); return 0; }`;
    expect(run(src)).toBe(1);
  });
});

describe('goto (kernel error paths)', () => {
  it('jumps forward to a label of an enclosing block, from nested ifs', () => {
    const src = `int f(int x)
{
	int r = 0;

	if (x < 0)
		goto fail;
	if (x > 10) {
		if (x > 100)
			goto fail;
		r = 2;
		goto out;
	}
	r = 1;
out:
	return r;
fail:
	return -1;
}`;
    expect([-1, 5, 50, 500].map((x) => run(src, 'f', [x]))).toEqual([-1, 1, 2, -1]);
  });

  it('runs a backward goto as a loop and bounds one that never ends', () => {
    expect(run('int f(void)\n{\n\tint i = 0;\nagain:\n\ti++;\n\tif (i < 5)\n\t\tgoto again;\n\treturn i;\n}')).toBe(5);
    expect(() => run('int f(void)\n{\nagain:\n\tgoto again;\n}')).toThrow(/goto loop/);
  });
});

describe('the seed functions of the fixture tree', () => {
  const source = readFileSync(resolve(repoRoot, 'kernel-fixtures/trees/seed/net/ipv4/route.c'), 'utf8');

  it('splits ipv4_dst_check into steps at its shared-memory accesses', () => {
    const p = loadProgram(source, 'net/ipv4/route.c');
    p.prepare(['ipv4_dst_check']);
    const m = p.newMachine();
    const rt = m.newRoute(0, '10.0.0.1');
    m.newPeer(rt.f.rt_dst as number);
    (m.globals.f.__rt_peer_genid as CStruct).f.counter = 1; // the route (genid 0) is stale
    const g = p.run('ipv4_dst_check', [rt, 0], m);
    const steps: string[] = [];
    let r = g.next();
    while (!r.done) {
      steps.push(`${(r.value as Access).kind} ${(r.value as Access).target}`);
      r = g.next();
    }
    expect(r.value).toBe(rt);
    expect(steps).toEqual([
      'read route 0.rt_genid',
      'read net->ipv4.rt_genid',
      'read route 0.rt_peer_genid',
      'read __rt_peer_genid',
      'read route 0.peer',
      'lookup peers[10.0.0.1]',
      'rmw route 0.peer', // the cmpxchg: one indivisible step
      'read __rt_peer_genid',
      'write route 0.rt_peer_genid', // the stamp inside rt_bind_peer
      'read __rt_peer_genid',
      'write route 0.rt_peer_genid', // the re-stamp in ipv4_dst_check
    ]);
    expect((rt.f.peer as CStruct).label).toBe('peer 10.0.0.1');
    expect(rt.f.rt_peer_genid).toBe(1);
  });

  it('returns NULL for an expired route without looking at the genid', () => {
    const p = loadProgram(source, 'net/ipv4/route.c');
    p.prepare(['ipv4_dst_check']);
    const m = p.newMachine();
    const rt = m.newRoute(0, '10.0.0.1');
    m.netGenid = 5;
    m.trace = [];
    expect(p.call('ipv4_dst_check', [rt, 0], m)).toBe(null);
    expect(m.trace.map((e) => `${e.site.func}:${e.kind}`)).toContain('ipv4_dst_check:if-true');
    expect(rt.f.rt_peer_genid).toBe(0);
  });

  it('records which statement last wrote a field', () => {
    const p = loadProgram(source, 'net/ipv4/route.c');
    p.prepare(['rt_bind_peer']);
    const m = p.newMachine();
    const rt = m.newRoute(0, '10.0.0.1');
    p.call('rt_bind_peer', [rt, 0], m);
    const w = rt.w.rt_peer_genid!;
    expect(w.func).toBe('rt_bind_peer');
    expect(source.split('\n')[w.line - 1]).toContain('rt->rt_peer_genid = rt_peer_genid();');
  });

  it('parses and compiles once per source text (cached)', () => {
    expect(loadProgram(source, 'net/ipv4/route.c')).toBe(loadProgram(source, 'net/ipv4/route.c'));
  });
});

describe('unsupported constructs are errors naming file:line:column', () => {
  const cases: [string, string, number, number][] = [
    ['goto out into a nested block', 'int f(int x)\n{\n\tgoto out;\n\tif (x) {\nout:\n\t\treturn 1;\n\t}\n\treturn 0;\n}', 3, 2],
    ['goto nowhere: no such label', 'int f(void)\n{\n\tgoto nowhere;\n}', 3, 2],
    ['loop (for)', 'int f(void)\n{\n\tint i;\n\tfor (i = 0; i < 3; i++)\n\t\t;\n\treturn i;\n}', 4, 2],
    ['loop (while)', 'int f(int x)\n{\n  while (x) x--;\n  return 0;\n}', 3, 3],
    ['call through a function pointer', 'int f(struct dst_entry *dst)\n{\n\treturn dst->ops->check(dst, 0) != NULL;\n}', 3, 9],
    ['call to mystery(): no definition in this file and no stub for it', 'int f(void)\n{\n\treturn mystery(1);\n}', 3, 9],
    ['unknown identifier nowhere', 'int f(void)\n{\n\treturn nowhere + 1;\n}', 3, 9],
    ['switch', 'int f(int x)\n{\n\tswitch (x) { default: return 1; }\n}', 3, 2],
    ['array subscript', 'int f(int *a)\n{\n\treturn a[1];\n}', 3, 9],
  ];
  for (const [what, src, line, column] of cases) {
    it(what, () => {
      const e = compileError(src);
      expect(e.message).toContain(what);
      expect(e.location).toEqual({ file: 'snippet.c', line, column });
      expect(e.oneLine()).toMatch(new RegExp(`^snippet\\.c:${line}:${column}: `));
    });
  }

  it('reports a NULL dereference at run time with its location', () => {
    const p = loadProgram('int f(struct rtable *rt)\n{\n\treturn rt->rt_peer_genid;\n}', 'snippet.c');
    p.prepare(['f']);
    expect(() => p.call('f', [null], p.newMachine())).toThrow(/NULL dereference/);
  });
});

describe('lenient programs (what verify uses)', () => {
  const src = 'int f(int x)\n{\n\tif (x)\n\t\twhile (x) x--;\n\treturn 1;\n}';

  it('compiles around an unsupported statement, lists it, and raises it only when executed', () => {
    const p = loadProgram(src, 'lenient.c', { lenient: true });
    p.prepare(['f']);
    expect(p.deferred.map((e) => e.oneLine())).toEqual(['lenient.c:4:3: unsupported C construct: loop (while)']);
    expect(p.call('f', [0], p.newMachine())).toBe(1);
    expect(() => p.call('f', [1], p.newMachine())).toThrow(/loop \(while\)/);
  });

  it('is strict by default', () => {
    expect(() => loadProgram(src, 'strict.c').prepare(['f'])).toThrow(/loop \(while\)/);
  });
});

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeHeaderFacts, headerFacts, structFields } from '../../src/scan/headers.ts';
import { repoRoot } from './helpers.ts';

const read = (tree: string, p: string) => {
  const f = join(repoRoot, 'kernel-fixtures/trees', tree, p);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
};
const headersOf = (tree: string) =>
  Object.fromEntries(
    ['include/net/route.h', 'include/net/inetpeer.h', 'include/net/ip_fib.h']
      .map((p) => [p, read(tree, p)] as const)
      .filter((e): e is readonly [string, string] => e[1] !== undefined),
  );

describe('structFields', () => {
  it('lists fields with type and line, skipping comments, arrays and bit fields', () => {
    const src = 'struct x {\n\tint a; /* b; */\n\tu32 arr[4];\n\tunsigned int f:1;\n\tstruct inet_peer\t*peer;\n};\n';
    expect(structFields(src, 'x')).toEqual([
      { name: 'a', type: 'int', line: 2 },
      { name: 'arr', type: 'u32', line: 3 },
      { name: 'f', type: 'unsigned int', line: 4 },
      { name: 'peer', type: 'struct inet_peer *', line: 5 },
    ]);
    expect(structFields(src, 'y')).toBeUndefined();
  });
});

describe('headerFacts on the fixture trees', () => {
  it('pre-seed: struct rtable has a peer but no rt_peer_genid', () => {
    const f = headerFacts(headersOf('pre-seed'));
    expect(f[0]!.missing).toEqual(['rt_peer_genid']);
    expect(f[0]!.present?.map((x) => x.name)).toContain('peer');
  });
  it('seed: rt_peer_genid is a u32 at its line', () => {
    const h = headersOf('seed');
    const f = headerFacts(h)[0]!;
    const field = f.present!.find((x) => x.name === 'rt_peer_genid')!;
    expect(field.type).toBe('u32');
    expect(h['include/net/route.h']!.split('\n')[field.line - 1]).toMatch(/rt_peer_genid/);
    expect(describeHeaderFacts(headerFacts(h))[0]).toMatch(/u32 rt_peer_genid \(include\/net\/route.h:\d+\)/);
  });
  it('fnhe: the exception carries fnhe_genid; rtable lost peer and rt_peer_genid', () => {
    const f = headerFacts(headersOf('fnhe'));
    expect(f[0]!.missing).toEqual(expect.arrayContaining(['rt_peer_genid', 'peer']));
    expect(f[2]!.present?.map((x) => x.name)).toContain('fnhe_genid');
  });
  it('an absent header is reported as such', () => {
    expect(describeHeaderFacts(headerFacts({}))[0]).toBe('include/net/route.h: no struct rtable');
  });
});

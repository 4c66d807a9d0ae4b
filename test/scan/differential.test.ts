import { beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearCheckMemo, differentialCheck, exportShared, importShared, memoStats, runCheck } from '../../src/scan/differential.ts';
import { parseC } from '../../src/csrc/parse.ts';
import { mutantFiles, mutantPatches, TREES } from './fixture-trees.ts';

const FILE = 'net/ipv4/route.c';
const seed = readFileSync(join(TREES, 'seed', FILE), 'utf8');
const lineOf = (src: string, n: number) => src.split('\n')[n - 1]!;
const mutantPath = mutantPatches().find((p) => p.includes('no-restamp')) ?? mutantPatches()[0];

describe('runCheck (verify on the tree own route.c)', () => {
  it('seed passes, naming the functions and every strategy, located at a checked function', () => {
    const o = runCheck(seed, FILE, 'seed');
    expect(o.status).toBe('pass');
    expect(o.reason).toMatch(/rt_bind_peer\(\).*ipv4_dst_check\(\) agree with the seed model: exhaustive ok .*wrap ok .*random ok .*interleavings ok/);
    expect(lineOf(seed, o.location!.line)).toMatch(/rt_peer_genid|rt_bind_peer|ipv4_dst_check/);
  });

  it.skipIf(!mutantPath)('a mutant diverges, located at the C line the report names', async () => {
    const src = (await mutantFiles(mutantPath!))[FILE]!;
    const o = runCheck(src, FILE, 'seed');
    expect(o.status).toBe('divergence');
    expect(o.reason).toMatch(/: model .*, C .* after .* \((exhaustive|wrap|random|interleavings)\)/);
    expect(o.reason).not.toContain('\n');
    const m = / at net\/ipv4\/route\.c:(\d+) in (\w+)\(\): (.*)$/.exec(o.reason);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(o.location!.line);
    expect(lineOf(src, o.location!.line).trim()).toBe(m![3]);
    expect(o.details?.some((d) => d.startsWith('DIVERGENCE'))).toBe(true);
  });

  it.each([
    ['goto', seed.replace('\tif (rt_is_expired(rt))\n\t\treturn NULL;', '\tif (rt_is_expired(rt))\n\t\tgoto out;'), /unsupported C construct: goto/],
    ['a loop', seed.replace('\tif (rt_is_expired(rt))', '\twhile (0) {}\n\tif (rt_is_expired(rt))'), /unsupported C construct: loop/],
    ['an unknown callee', seed.replace('\tif (rt_is_expired(rt))', '\tfrobnicate(rt);\n\tif (rt_is_expired(rt))'), /frobnicate/],
  ])('%s in a checked function is unsupported, with file:line:column', (_n, src, msg) => {
    const o = runCheck(src, FILE, 'seed');
    expect(o.status).toBe('unsupported');
    expect(o.reason).toMatch(msg);
    expect(o.reason).toMatch(/^net\/ipv4\/route\.c:\d+:\d+: /);
    expect(o.location?.line).toBeGreaterThan(0);
  });

  it('a seed-era check of a file without the genid is unsupported, not a pass', () => {
    const pre = readFileSync(join(TREES, 'pre-seed', FILE), 'utf8');
    const o = runCheck(pre, FILE, 'seed');
    expect(o.status).toBe('unsupported');
    expect(o.reason).toMatch(/__rt_peer_genid/);
  });
});

describe('differentialCheck: memoised by what the check read, lines moved to where the definitions are now', () => {
  beforeEach(() => clearCheckMemo());
  it.skipIf(!mutantPath)('reuses the result when nothing it read changed, and moves its lines', async () => {
    const src = (await mutantFiles(mutantPath!))[FILE]!;
    const first = differentialCheck(parseC(src), src, FILE, 'seed');
    const shifted = `/*\n * three more lines\n */\n${src}`;
    const again = differentialCheck(parseC(shifted), shifted, FILE, 'seed');
    expect(memoStats).toMatchObject({ hits: 1, misses: 1 });
    expect(again.status).toBe(first.status);
    expect(again.location!.line).toBe(first.location!.line + 3);
    expect(lineOf(shifted, again.location!.line)).toBe(lineOf(src, first.location!.line));
    // Every file:line in the details points at the same text as before.
    const refs = (o: typeof first) => [...(o.details ?? []).join('\n').matchAll(/net\/ipv4\/route\.c:(\d+)/g)].map((m) => Number(m[1]));
    const a = refs(first);
    const b = refs(again);
    expect(b).toHaveLength(a.length);
    a.forEach((l, i) => expect(lineOf(shifted, b[i]!)).toBe(lineOf(src, l)));
    expect(again.details?.at(-1)).toMatch(/result reused/);
  });

  it('a changed checked function is checked again', () => {
    differentialCheck(parseC(seed), seed, FILE, 'seed');
    const changed = seed.replace('rt_bind_peer(rt, 0);', 'rt_bind_peer(rt, 1);');
    const o = differentialCheck(parseC(changed), changed, FILE, 'seed');
    expect(memoStats).toMatchObject({ hits: 0, misses: 2 });
    expect(o.status).toBe('divergence');
  });

  it('results travel between threads through exportShared / importShared', () => {
    differentialCheck(parseC(seed), seed, FILE, 'seed');
    const shared = exportShared();
    expect(shared).toHaveLength(1);
    expect(exportShared()).toHaveLength(0);
    clearCheckMemo();
    importShared(JSON.parse(JSON.stringify(shared)));
    differentialCheck(parseC(seed), seed, FILE, 'seed');
    expect(memoStats.hits).toBe(1);
  });
});

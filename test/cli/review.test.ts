import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedPatch, tree, routeC, copyTree, tmp } from '../review/helpers.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const run = (argv: string[], stdinText?: string | Buffer): Promise<CliRun> => runCli(argv, stdinText);

function file(name: string, text: string): string {
  const p = join(tmp(), name);
  writeFileSync(p, text);
  return p;
}

const seedText = readFileSync(seedPatch, 'utf8');

describe('peerprop review: reports', () => {
  it('reviews the seed patch from the hunks alone (text, exit 0)', async () => {
    const r = await run(['review', seedPatch]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('rt_bind_peer now stamps rt_peer_genid');
    expect(r.out).toContain('ipv4_dst_check: expiry check still comes first');
    expect(r.out).toMatch(/route-genid\.patch:84: WARNING: /);
  });

  it('--tree applies in memory and prints offsets; --format json and sarif parse', async () => {
    const text = await run(['review', seedPatch, '--tree', tree('pre-seed')]);
    expect(text.code).toBe(0);
    expect(text.out).toContain('applied at line 372 (offset -1395 lines)');
    const json = await run(['review', seedPatch, '--tree', tree('pre-seed'), '--format', 'json']);
    expect(JSON.parse(json.out)).toMatchObject({ mode: 'tree', partial: false, exitCode: 0 });
    const sarif = await run(['review', seedPatch, '--file', routeC('pre-seed'), '--format', 'sarif']);
    expect(JSON.parse(sarif.out)).toMatchObject({ version: '2.1.0' });
  });

  it('reads the patch from standard input with -', async () => {
    const r = await run(['review', '-', '--format', 'json'], seedText);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { functions: unknown[] }).functions).toHaveLength(3);
  });

  it('exits 1 when a finding has level error', async () => {
    const bad = seedText.replace('+\tif (rt->rt_peer_genid != rt_peer_genid()) {', '+\tif (rt->rt_peer_genid < rt_peer_genid()) {');
    const r = await run(['review', file('ordered.patch', bad)]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/net\/ipv4\/route\.c:\d+:\d+: ERROR: ipv4_dst_check: genids compared with `<`/);
  });

  it('--write modifies only the given tree', async () => {
    const dir = copyTree('pre-seed');
    const r = await run(['review', seedPatch, '--tree', dir, '--write']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'net/ipv4/route.c'), 'utf8')).toBe(readFileSync(routeC('seed'), 'utf8'));
    expect(readFileSync(routeC('pre-seed'), 'utf8')).not.toContain('rt_peer_genid');
  });
});

describe('peerprop review: bad input (exit 2, one line on stderr, nothing on stdout)', () => {
  const oneLine = (err: string): void => {
    expect(err.endsWith('\n')).toBe(true);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^peerprop: /);
  };

  const cases: [string, () => string[], RegExp][] = [
    ['a missing patch file', () => ['review', join(tmp(), 'nope.patch')], /nope\.patch/],
    ['an empty file', () => ['review', file('empty.patch', '')], /empty\.patch:\d+/],
    ['garbage', () => ['review', file('garbage.patch', '\u0000\u0001\u0002 binary junk\n\u00ff\u00fe')], /garbage\.patch:\d+/],
    ['a commit message with no diff', () => ['review', file('msg.patch', 'inet: a subject\n\nSome text.\n\nSigned-off-by: A <a@b.c>\n')], /msg\.patch:\d+/],
    ['a hunk that does not apply (seed on the seed tree)', () => ['review', seedPatch, '--file', routeC('seed')], /route-genid\.patch:46(:\d+)?: hunk 1 .*does not apply/],
    ['a path escaping the tree', () => ['review', file('escape.patch', seedText.replaceAll('net/ipv4/route.c', '../../etc/route.c')), '--tree', tree('pre-seed')], /refusing path "\.\.\/\.\.\/etc\/route\.c": '\.\.' would leave the tree/],
    ['--tree and --file together', () => ['review', seedPatch, '--tree', tree('pre-seed'), '--file', routeC('pre-seed')], /--tree or --file, not both/],
    ['--tree that is not a directory', () => ['review', seedPatch, '--tree', routeC('pre-seed')], /not a directory/],
    ['--write without a target', () => ['review', seedPatch, '--write'], /--write needs --tree or --file/],
    ['a modern tree', () => ['review', seedPatch, '--tree', tree('fnhe')], /fnhe\/net\/ipv4\/route\.c: this tree has none of .*removed in 3\.6/],
  ];
  for (const [name, argv, msg] of cases) {
    it(name, async () => {
      const r = await run(argv());
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      oneLine(r.err);
      expect(r.err).toMatch(msg);
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  }

  it('an unknown --format is a usage error', async () => {
    const r = await run(['review', seedPatch, '--format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
  });

  it('a truncated seed is repaired or refused with its line, never a crash', async () => {
    const lines = seedText.split('\n');
    for (const cut of [50, 62, 70, 80]) {
      const r = await run(['review', file(`cut${cut}.patch`, lines.slice(0, cut).join('\n'))]);
      expect([0, 1, 2]).toContain(r.code);
      if (r.code === 2) {
        oneLine(r.err);
        expect(r.err).toMatch(/cut\d+\.patch:\d+/);
      } else expect(r.out).toContain('changed functions');
    }
  });

  it('CRLF line endings are read like the original', async () => {
    const r = await run(['review', file('crlf.patch', seedText.replaceAll('\n', '\r\n')), '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { functions: { name: string }[] }).functions.map((f) => f.name)).toEqual(['rt_peer_genid', 'rt_bind_peer', 'ipv4_dst_check']);
  });
});

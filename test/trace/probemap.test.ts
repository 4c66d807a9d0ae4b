import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  builtinProbeMaps, builtinProbeMap, knownProbeNames, loadProbeMap, parseProbeMap, selectProbeMap,
} from '../../src/trace/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';

function bad(json: unknown): string {
  try {
    parseProbeMap(json, 'm.json', builtinProbeMaps());
  } catch (e) {
    expect(e).toBeInstanceOf(PeerpropError);
    expect((e as PeerpropError).exitCode).toBe(2);
    return (e as PeerpropError).oneLine();
  }
  throw new Error('accepted');
}

describe('probe map validation', () => {
  it('accepts the built-in maps and resolves extends', () => {
    const names = builtinProbeMaps().map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['linux-3.0-seed', 'debian-6.1-rtg', 'debian-6.1-pmtu-selftest']));
    const pmtu = builtinProbeMap('debian-6.1-pmtu-selftest')!;
    expect(pmtu.source).toBe('builtin:debian-6.1-pmtu-selftest');
    const known = knownProbeNames(pmtu);
    for (const n of ['fib_sync_mtu', 'fib_nhc_update_mtu', 'rt_flush_dev', 'dst_check', 'dst_check_kret']) expect(known.has(n)).toBe(true);
  });

  it('every shipped map passes the JSON schema (checked here, not at each start)', () => {
    const src = resolve(import.meta.dirname, '../../src');
    let n = 0;
    for (const dir of [join(src, 'trace/maps'), join(src, 'probes/maps')]) {
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
        const full = parseProbeMap(JSON.parse(readFileSync(join(dir, f), 'utf8')), f, builtinProbeMaps());
        expect(builtinProbeMap(full.name), f).toBeDefined();
        n++;
      }
    }
    expect(n).toBe(builtinProbeMaps().length);
  });

  it('says where a map is wrong, with exit 2', () => {
    expect(bad({ rules: [] })).toBe("m.json: probe map: /: must have required property 'name'");
    expect(bad({ name: 'x', rules: [{ probe: 'a', emit: [{ kind: 'teleport' }] }] })).toBe("m.json: probe map: /rules/0/emit/0/kind: unknown event kind 'teleport'");
    expect(bad({ name: 'x', rules: [{ probe: 'a', emit: [{ kind: 'check', fields: { colour: 'c' } }] }] })).toBe('m.json: probe map: /rules/0/emit/0/fields/colour: not a canonical field');
    expect(bad({ name: 'x', rules: [{ probe: 'a', emit: [{ kind: 'check', fields: { rt: 'a b' } }] }] })).toBe("m.json: probe map: /rules/0/emit/0/fields/rt: bad field source 'a b'");
    expect(bad({ name: 'x', rules: [{ probe: 'a', emit: [{ kind: 'check', fields: { rt: 'context.nope.rt' } }] }] })).toBe("m.json: probe map: /rules/0/emit/0/fields/rt: context 'nope' is not a pair entry");
    expect(bad({ name: 'x', rules: [{ emit: [] }] })).toBe("m.json: probe map: /rules/0: needs 'probe' or 'func'");
    expect(bad({ name: 'x', extends: 'nothing', rules: [] })).toBe("m.json: probe map: /extends: no built-in probe map named 'nothing'");
    expect(bad({ name: 'x', rules: [{ probe: 'a', emit: [{ kind: 'check', set: { create: 'one' } }] }] })).toBe('m.json: probe map: /rules/0/emit/0/set/create: expected a number');
    expect(bad({ name: 'x', radix: 'octal', rules: [] })).toMatch(/\/radix: must be equal to one of the allowed values/);
  });

  it('loads a map file; bad JSON points at its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-map-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ name: 'mine', extends: 'linux-3.0-seed', rules: [{ probe: 'extra', emit: [{ kind: 'flush' }] }] }));
    const m = await loadProbeMap(good);
    expect(m.source).toBe(good);
    expect(m.rules[0]!.probe).toBe('extra');
    expect(knownProbeNames(m).has('dst_check')).toBe(true);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "name": "x",\n  "rules": [,]\n}\n');
    const e = (await loadProbeMap(broken).catch((x: unknown) => x)) as PeerpropError;
    expect(e.exitCode).toBe(2);
    expect(e.oneLine()).toMatch(/broken\.json:3:\d+: probe map is not valid JSON/);
    const missing = (await loadProbeMap(join(dir, 'none.json')).catch((x: unknown) => x)) as PeerpropError;
    expect(missing.oneLine()).toMatch(/none\.json: cannot read probe map: ENOENT/);
  });
});

describe('map selection', () => {
  it('picks the map whose probes and fields match', () => {
    const hits = new Map([['dst_check', 10], ['dst_check_ret', 10]]);
    const seed = selectProbeMap(hits, builtinProbeMaps(), new Map([['dst_check', ' rt=1 peer=0 rt_pgenid=0 g=1 dst=1 gw=1 flags=0 obsolete=-1']]));
    expect(seed!.map.name).toBe('linux-3.0-seed');
    const modern = selectProbeMap(hits, builtinProbeMaps(), new Map([['dst_check', ' dst=0x1 cookie=0 rt_genid=7 obsolete=-1 pmtu=0 gw=0x2 net_rt_genid=7']]));
    expect(modern!.map.name).toBe('debian-6.1-rtg');
    expect(selectProbeMap(new Map([['fib_sync_mtu', 1], ['dst_check', 1]]))!.map.name).toBe('debian-6.1-pmtu-selftest');
    expect(selectProbeMap(new Map([['nothing_known', 3]]))).toBeUndefined();
  });
});

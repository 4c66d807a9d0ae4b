/**
 * Layout learning: a probe that alternates between layouts gets each decoder once.
 */
import { describe, expect, it } from 'vitest';
import { parseProbeMap } from '../../src/trace/index.ts';
import { compileMap } from '../../src/trace/compile-map.ts';
import { decodeByKnownLayout, learnLayout } from '../../src/trace/layout.ts';
import { extractArgs } from '../../src/trace/tokenize.ts';
import { decodeView } from '../../src/trace/views.ts';
import type { ProbePlan } from '../../src/trace/plan.ts';

const MAP = parseProbeMap({
  name: 'probe',
  rules: [{ probe: 'ret', emit: [{ kind: 'check_ret', fields: { ret: 'ret', mtu: 'mtu' } }] }],
}, 'probe.json');

describe('learnLayout', () => {
  it('takes a layout seen before again, decoder and all, and learns a new one afresh', () => {
    const p = compileMap(MAP).plans.get('ret')!;
    const withMtu = 'ret=ffff88001f881500 peer=0 mtu=1500';
    const without = 'ret=ffff88001f881500 peer=0';
    learnLayout(withMtu, 0, p);
    const first = p.decode;
    const firstKey = p.layoutKey;
    expect(first).toBeTypeOf('function');
    learnLayout(without, 0, p);
    const second = p.decode;
    expect(second).not.toBe(first);
    expect([...p.layoutKey!]).toEqual([p.keys.indexOf('ret='), -1]);
    learnLayout(withMtu, 0, p);
    expect(p.decode).toBe(first);
    expect(p.layoutKey).toBe(firstKey);
    expect([...p.layoutKey!]).toEqual([p.keys.indexOf('ret='), -1, p.keys.indexOf('mtu=')]);
    learnLayout(without, 0, p);
    expect(p.decode).toBe(second);
  });

  it('forgets the layout of a line that has none (a bare word among the args)', () => {
    const p = compileMap(MAP).plans.get('ret')!;
    learnLayout('ret=1 mtu=2', 0, p);
    expect(p.decode).toBeTypeOf('function');
    learnLayout('ret=1 junk mtu=2', 0, p);
    expect(p.decode).toBeUndefined();
    expect(p.layoutKey).toBeUndefined();
  });
});

describe('decodeByKnownLayout', () => {
  /** The views the general text walk gives for a line (the reference). */
  const textViews = (p: ProbePlan, s: string) => {
    const vals: (string | undefined)[] = new Array(p.nargs).fill(undefined);
    extractArgs(s, 0, p.keys, vals);
    return p.views.map((v) => (vals[v.slot] === undefined ? undefined : decodeView(vals[v.slot]!, v)));
  };

  it('decodes a line of an earlier layout from its bytes and makes that layout current, as learning it from the line would', () => {
    const p = compileMap(MAP).plans.get('ret')!;
    const withMtu = 'ret=ffff88001f881500 peer=0 mtu=1500';
    const without = 'ret=ffff88001f881600 peer=0';
    learnLayout(withMtu, 0, p);
    const first = { key: p.layoutKey, decode: p.decode };
    learnLayout(without, 0, p);
    const second = { key: p.layoutKey, decode: p.decode };
    const line = 'ret=ffff88001f881700 peer=0 mtu=1400';
    const buf = Buffer.from(line, 'latin1');
    expect(p.decode!(buf, 0, buf.length, p.vv)).toBe(false);
    expect(decodeByKnownLayout(p, buf, 0, buf.length)).toBe(true);
    expect(p.decode).toBe(first.decode);
    expect(p.layoutKey).toBe(first.key);
    expect(p.vv.slice(0, p.views.length)).toEqual(textViews(p, line));
    // And back.
    const back = Buffer.from('ret=ffff88001f881800 peer=0', 'latin1');
    expect(decodeByKnownLayout(p, back, 0, back.length)).toBe(true);
    expect(p.decode).toBe(second.decode);
    expect(p.vv.slice(0, p.views.length)).toEqual(textViews(p, 'ret=ffff88001f881800 peer=0'));
  });

  it('refuses a line that fits no learned layout, and leaves the current one', () => {
    const p = compileMap(MAP).plans.get('ret')!;
    learnLayout('ret=1 mtu=2', 0, p);
    const buf0 = Buffer.from('ret=1 peer=2 mtu=3', 'latin1');
    // One layout known: nothing else to try.
    expect(decodeByKnownLayout(p, buf0, 0, buf0.length)).toBe(false);
    learnLayout('ret=1', 0, p);
    const current = p.decode;
    for (const line of ['ret=1 peer=2 mtu=3', 'mtu=2 ret=1', 'ret=1 mtu=2 extra=4', 'ret=1 mtu', 'rett=1 mtu=2', '']) {
      const buf = Buffer.from(line, 'latin1');
      expect([line, decodeByKnownLayout(p, buf, 0, buf.length)]).toEqual([line, false]);
      expect(p.decode).toBe(current);
    }
  });
});

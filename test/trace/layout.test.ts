/**
 * Layout learning: a probe that alternates between layouts gets each decoder once.
 */
import { describe, expect, it } from 'vitest';
import { parseProbeMap } from '../../src/trace/index.ts';
import { compileMap } from '../../src/trace/compile-map.ts';
import { learnLayout } from '../../src/trace/layout.ts';

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

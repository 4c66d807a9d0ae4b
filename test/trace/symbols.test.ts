/** System.map / kallsyms loading and address resolution. */
import { describe, expect, it } from 'vitest';
import { Symbols } from '../../src/trace/symbols.ts';
import { PeerpropError } from '../../src/core/errors.ts';

const MAP = [
  'ffffffff81000000 T _text',
  'ffffffff81600000 D some_data',
  'ffffffff8183b0a0 T ipv4_dst_check',
  'ffffffff8183b130 t rt_set_nexthop.constprop.0',
  'ffffffff8183b570 T ip_route_output_key_hash_rcu',
  'ffffffff8183be50 T _etext',
  'ffffffffc0001000 t tun_get_user\t[tun]',
  'ffffffffc0001400 t tun_put_user\t[tun]',
].join('\n');

describe('Symbols', () => {
  const s = Symbols.parse(MAP, 'System.map');
  it('an address resolves to the code symbol it lies in, with its offset', () => {
    expect(s.resolve('ffffffff8183b0a0')).toBe('ipv4_dst_check+0x0');
    expect(s.resolve('0xffffffff8183b0e1')).toBe('ipv4_dst_check+0x41');
    expect(s.resolve('ffffffff8183b140')).toBe('rt_set_nexthop.constprop.0+0x10');
    expect(s.resolve('ffffffffc0001010')).toBe('tun_get_user+0x10');
  });
  it('data symbols are not code: an address after one resolves to the code before it', () => {
    expect(s.resolve('ffffffff81600010')).toBe('_text+0x600010');
  });
  it('outside the table, nothing (never the nearest guess)', () => {
    expect(s.resolve('ffffffff80000000')).toBeUndefined();
    expect(s.resolve('ffffffffc0002000')).toBeUndefined(); // past the last symbol: its extent is unknown
    expect(s.resolve('zz')).toBeUndefined();
  });
  it('addressOf finds a function start', () => {
    expect(s.addressOf('ipv4_dst_check')).toBe(0xffffffff8183b0a0n);
    expect(s.addressOf('nope')).toBeUndefined();
  });
  it('kallsyms read without privilege (all zeros) and garbage are bad input with the line', () => {
    expect(() => Symbols.parse('0000000000000000 T a\n0000000000000000 T b\n', 'k')).toThrow(PeerpropError);
    try {
      Symbols.parse('ffffffff81000000 T a\nnot a symbol line\n', 'map');
    } catch (e) {
      expect((e as PeerpropError).oneLine()).toMatch(/^map:2:1: /);
    }
  });
});

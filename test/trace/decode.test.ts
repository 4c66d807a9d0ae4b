import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeIpv4, decodeNumber, decodePointer, decodeU32, isErrPtr, numberFromBytes, pointerFromBytes } from '../../src/trace/decode.ts';
import { newParsedLine, parseEventLine, LineShape, symbolName } from '../../src/trace/lineparse.ts';

describe('value decoding', () => {
  it('numbers: 0x hex, bare hex (3.0), decimal, signed', () => {
    expect(decodeNumber('0x4b0', 'auto')).toBe(1200);
    expect(decodeNumber('4b0', 'hex')).toBe(1200);
    expect(decodeNumber('1200', 'auto')).toBe(1200);
    expect(decodeNumber('1200', 'dec')).toBe(1200);
    expect(decodeNumber('-1', 'hex')).toBe(-1);
    expect(decodeNumber('4b0', 'auto')).toBeUndefined();
    expect(decodeNumber('(fault)', 'auto')).toBeUndefined();
    expect(decodeNumber('', 'auto')).toBeUndefined();
    expect(decodeU32('-1', 'auto')).toBe(0xffffffff);
    expect(decodeU32('ffffffff', 'hex')).toBe(0xffffffff);
  });

  it('IPv4: network-order u32 read little-endian, big-endian on request, dotted quads as given', () => {
    expect(decodeIpv4('500010a', 'hex', 'le')).toBe('10.1.0.5');
    expect(decodeIpv4('0x101090a', 'auto', 'le')).toBe('10.9.1.1');
    expect(decodeIpv4('100000a', 'hex', 'le')).toBe('10.0.0.1');
    expect(decodeIpv4('0xa010005', 'auto', 'be')).toBe('10.1.0.5');
    expect(decodeIpv4('167837701', 'auto', 'be')).toBe('10.1.0.5');
    expect(decodeIpv4('10.1.0.5', 'auto', 'le')).toBe('10.1.0.5');
    expect(decodeIpv4('10.1.0.256', 'auto', 'le')).toBeUndefined();
    expect(decodeIpv4('0', 'hex', 'le')).toBe('0.0.0.0');
  });

  it('pointers: lower-case 0x, no leading zeros, 0x0 for NULL, decimal u64 converted', () => {
    expect(decodePointer('ffff88001e53ae40', 'hex')).toBe('0xffff88001e53ae40');
    expect(decodePointer('FFFF88001E53AE40', 'hex')).toBe('0xffff88001e53ae40');
    expect(decodePointer('0xff2bed91813d06c0', 'auto')).toBe('0xff2bed91813d06c0');
    expect(decodePointer('0x00000000deadbeef', 'auto')).toBe('0xdeadbeef');
    expect(decodePointer('0', 'hex')).toBe('0x0');
    expect(decodePointer('0x0', 'auto')).toBe('0x0');
    expect(decodePointer('0', 'auto')).toBe('0x0');
    expect(decodePointer('18446612688533259968', 'auto')).toBe('0xffff8881813d06c0');
    expect(decodePointer('ffff88001e53ae40', 'auto')).toBe('0xffff88001e53ae40');
    expect(decodePointer('-101', 'auto')).toBe('0xffffffffffffff9b');
    expect(decodePointer('(fault)', 'auto')).toBeUndefined();
    expect(isErrPtr('0xffffffffffffff9b')).toBe(true);
    expect(isErrPtr('0xffff88001e53ae40')).toBe(false);
  });

  it('round-trips any u64 pointer printed in any of the three styles', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
      const want = '0x' + v.toString(16);
      expect(decodePointer(v.toString(16), 'hex')).toBe(want);
      expect(decodePointer('0x' + v.toString(16).padStart(16, '0'), 'auto')).toBe(want);
      expect(decodePointer(v.toString(10), 'dec')).toBe(want);
    }));
  });

  it('reads pointers and numbers from bytes exactly as from text, whatever the cache holds', () => {
    // The byte path's pointer cache is keyed on the value: values that share digits, differ only
    // in length or leading zeros, or collide in the cache must never be mixed up.
    const digits = fc.stringMatching(/^[0-9a-fA-F]{1,20}$/);
    const raw = fc.oneof(digits, digits.map((d) => '0x' + d), fc.stringMatching(/^-?[0-9]{1,20}$/), fc.string({ maxLength: 6 }));
    const radix = fc.constantFrom('hex' as const, 'dec' as const, 'auto' as const);
    fc.assert(fc.property(fc.array(fc.tuple(raw, radix), { minLength: 1, maxLength: 40 }), (vals) => {
      for (const [r, rad] of vals) {
        const pad = Buffer.from(` x=${r} `, 'latin1');
        const a = 3;
        const b = 3 + Buffer.byteLength(r, 'latin1');
        expect(pointerFromBytes(pad, a, b, rad)).toBe(decodePointer(r, rad));
        expect(numberFromBytes(pad, a, b, rad)).toBe(decodeNumber(r, rad));
      }
    }), { numRuns: 300 });
  });

  it('round-trips any IPv4 address through its network-order u32', () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => {
      const b = ip.split('.').map(Number);
      const le = ((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!) >>> 0;
      expect(decodeIpv4(le.toString(16), 'hex', 'le')).toBe(ip);
      expect(decodeIpv4(String(le), 'auto', 'le')).toBe(ip);
    }));
  });
});

describe('line parsing', () => {
  it('takes apart the columns', () => {
    const pl = newParsedLine();
    const s = '    kworker/u2:1-24      (  24) [003] d.h1.  1234.567890: rt_cache_flush: (rt_cache_flush+0x4/0x20) net=0xff g=1';
    expect(parseEventLine(s, pl)).toBe(LineShape.Event);
    expect([pl.task, pl.pid, pl.tgid, pl.cpu, pl.flags, pl.ts, pl.event]).toEqual(['kworker/u2:1', 24, 24, 3, 'd.h1.', 1234.56789, 'rt_cache_flush']);
    expect(s.slice(pl.symStart, pl.symEnd)).toBe('rt_cache_flush+0x4/0x20');
    expect(s.slice(pl.args)).toBe('net=0xff g=1');
  });

  it('recognises kretprobe callers, unknown callers and bodies without args', () => {
    const pl = newParsedLine();
    const r = 'x-1 [000] 1.0: dst_check_ret: ([unknown/kretprobe\'d] <- ipv4_dst_check) ret=0x0';
    expect(parseEventLine(r, pl)).toBe(LineShape.Event);
    expect(r.slice(pl.symStart, pl.arrow)).toBe("[unknown/kretprobe'd]");
    const n = 'x-1 [000] 1.0: rt_set_nexthop: (rt_set_nexthop.constprop.0+0x0/0x440)';
    expect(parseEventLine(n, pl)).toBe(LineShape.Event);
    expect(n.slice(pl.symStart, pl.symEnd)).toBe('rt_set_nexthop.constprop.0+0x0/0x440');
    expect(pl.args).toBe(n.length);
    expect(symbolName('rt_set_nexthop.constprop.0+0x0/0x440', true)).toBe('rt_set_nexthop');
    expect(symbolName('foo.isra.2.cold+0x4/0x8', true)).toBe('foo');
    expect(symbolName('foo.isra.2+0x4/0x8', false)).toBe('foo.isra.2');
    expect(symbolName('nf_hook+0x10/0x80 [nf_tables]', true)).toBe('nf_hook');
  });

  it('says what other lines are', () => {
    const pl = newParsedLine();
    expect(parseEventLine('  bash-1 [000] ..... 1.0: <stack trace>', pl)).toBe(LineShape.StackTrace);
    expect(parseEventLine('  bash-1 [000] ..... 1.0: do_sys_open <-do_sys_openat2', pl)).toBe(LineShape.OtherTracer);
    expect(parseEventLine('[    2.706670] trace_kprobe: error: Invalid fetch argument', pl)).toBe(LineShape.None);
    expect(parseEventLine('CPU:0 [LOST 3 EVENTS]', pl)).toBe(LineShape.None);
    expect(parseEventLine('no-pid [000] 1.0: x: y', pl)).toBe(LineShape.None);
    expect(parseEventLine('a[1]-5 [002] 1.5: ev: body', pl)).toBe(LineShape.Event);
    expect([pl.task, pl.pid, pl.cpu]).toEqual(['a[1]', 5, 2]);
  });
});

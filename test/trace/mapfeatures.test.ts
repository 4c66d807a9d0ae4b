/**
 * Every probe-map feature a user's map may use (conditions of each kind, $caller / $func / $text,
 * constants overridden by fields, entry / within / context values, `at: entry`, callerNot, quoted
 * strings, per-field radix and byte order), read through the byte fast path and through the
 * general text path: both must give exactly the expected events. The builtin maps use few of
 * these, so this trace (kernel-style lines we wrote, modern layout with irq flags) is their test.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProbeMap, readTrace } from '../../src/trace/index.ts';

const L = (ts: string, body: string): string => `            ping-100     [001] d..1.   ${ts}: ${body}`;
const TRACE = [
  '# tracer: nop',
  L('10.000001', 'fnd: (find_exception+0x0/0x100) fnhe=0xffff888004a1b2c0 daddr=0x0500000a'),
  L('10.000002', 'fnd: (find_exception+0x0/0x100) fnhe=0x0 daddr=0x0600000a'),
  L('10.000003', 'chk: (ipv4_dst_check+0x0/0x80) rt=0xfffffffffffffff2 g=5'),
  L('10.000004', 'chk: (ipv4_dst_check+0x0/0x80) rt=0xffff888004a1b300 g=4294967295 dev="eth0 x"'),
  L('10.000005', 'call: (ip_rt_update_pmtu+0x0/0x80) rt=0xffff888004a1b300 mtu=1400 g=7'),
  L('10.000006', 'inner: (rt_bind+0x4/0x10) peer=0xffff888004a1b400'),
  L('10.000007', 'ctx: (foo+0x4/0x10) x=7 gw=192.0.2.1'),
  L('10.000008', 'call_ret: (tcp_v4_err+0x10/0x80 <- ip_rt_update_pmtu) ret=0x0 g=8'),
  L('10.000009', 'call: (ip_rt_update_pmtu+0x0/0x80) rt=0xffff888004a1b340 mtu=1300 g=8'),
  L('10.000010', 'call_ret: (icmp_unreach+0x10/0x80 <- ip_rt_update_pmtu) ret=0x1 g=9'),
  L('10.000011', 'flag: (bar+0x0/0x10) n=-3 s=abc'),
  L('10.000012', 'flag: (bar+0x0/0x10) s=abd'),
].join('\n') + '\n';

const MAP = parseProbeMap({
  name: 'features',
  radix: 'auto',
  pairs: [{ entry: 'call', return: ['call_ret'], within: ['inner'] }, { entry: 'ctx', return: ['ctx_ret'] }],
  rules: [
    { probe: 'fnd', when: [{ value: 'fnhe', op: 'nonzero' }], emit: [{ kind: 'fnhe', fields: { fnhe: 'fnhe', daddr: { from: 'daddr', ipv4: 'be' } } }] },
    { probe: 'fnd', when: [{ value: 'fnhe', op: 'zero' }], emit: [{ kind: 'marker', set: { text: 'no exception' }, fields: { daddr: 'daddr' } }] },
    { probe: 'chk', when: [{ value: 'rt', op: 'errptr' }], emit: [] },
    {
      probe: 'chk', when: [{ value: 'rt', op: 'noterrptr' }, { value: 'dev', op: 'eq', to: 'eth0 x' }],
      emit: [{ kind: 'check', fields: { rt: 'rt', genid: 'g', text: '$func', dev: 'rt' } }],
    },
    { probe: 'call', emit: [{ kind: 'pmtu', fields: { rt: 'rt', mtu: 'mtu', genid: 'g' } }] },
    {
      probe: 'call_ret', caller: ['tcp_v4_err'],
      emit: [
        { kind: 'genid_bump', at: 'entry', set: { counter: 'peer', old: 1 }, fields: { rt: 'entry.rt', old: 'entry.g', new: 'g' } },
        { kind: 'bind_ret', fields: { peer: 'within.inner.peer', ret: 'ret', text: '$caller', gateway: 'context.ctx.gw', mtu: 'context.ctx.x' } },
      ],
    },
    { probe: 'call_ret', callerNot: ['tcp_v4_err'], when: [{ value: 'ret', op: 'ne', to: 0 }], emit: [{ kind: 'genid_bump', fields: { new: 'g', text: '$text' } }] },
    { probe: 'flag', when: [{ value: 'n', op: 'present' }, { value: 'n', op: 'eq', to: -3 }], emit: [{ kind: 'flush', fields: { text: 's', flags: 'n' } }] },
    { probe: 'flag', when: [{ value: 'n', op: 'absent' }], emit: [{ kind: 'flush', fields: { text: 's' } }] },
  ],
}, 'features.json');

const EXPECTED = [
  { kind: 'fnhe', line: 2, fnhe: '0xffff888004a1b2c0', daddr: '5.0.0.10' },
  { kind: 'marker', line: 3, text: 'no exception', daddr: '10.0.0.6' },
  { kind: 'check', line: 5, rt: '0xffff888004a1b300', genid: 4294967295, text: 'ipv4_dst_check', dev: '0xffff888004a1b300' },
  { kind: 'pmtu', line: 6, rt: '0xffff888004a1b300', mtu: 1400, genid: 7 },
  { kind: 'genid_bump', line: 6, counter: 'peer', rt: '0xffff888004a1b300', old: 7, new: 8 },
  { kind: 'bind_ret', line: 9, peer: '0xffff888004a1b400', ret: '0x0', text: 'tcp_v4_err+0x10', gateway: '192.0.2.1', mtu: 7 },
  { kind: 'pmtu', line: 10, rt: '0xffff888004a1b340', mtu: 1300, genid: 8 },
  { kind: 'genid_bump', line: 11, new: 9, text: '(icmp_unreach+0x10/0x80 <- ip_rt_update_pmtu) ret=0x1 g=9' },
  { kind: 'flush', line: 12, text: 'abc', flags: -3 },
  { kind: 'flush', line: 13, text: 'abd' },
];

const FILE = join(mkdtempSync(join(tmpdir(), 'peerprop-features-')), 'features.txt');
writeFileSync(FILE, TRACE);

function read(textPath: boolean) {
  return readTrace(FILE, { probeMap: MAP, textPath });
}

/** The defined fields of an event other than the line's columns. */
function payload(e: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === undefined || ['file', 'ts', 'cpu', 'task', 'pid', 'probe', 'caller'].includes(k)) continue;
    out[k] = v;
  }
  return out;
}

describe('probe map features, byte path and text path', () => {
  for (const textPath of [false, true]) {
    it(`gives the expected events (${textPath ? 'text' : 'byte'} path)`, async () => {
      const { events, stats } = await read(textPath);
      expect(events.map(payload)).toEqual(EXPECTED);
      expect(stats.skipped.ignored.count).toBe(1); // the ERR_PTR check: `emit: []`
      expect(stats.skipped.paired.count).toBe(2); // inner (kept within the call) and ctx (an open call)
      expect(stats.skipped.unknownEvent.count).toBe(0);
    });
  }

  it('gives the same events and statistics on both paths for damaged lines (layouts that stop fitting, odd values)', async () => {
    const lines = TRACE.trimEnd().split('\n');
    const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 6, unit: fc.constantFrom(' ', '=', '"', 'x', '0', 'f', '-', '.', ')', '<', 'g') }));
    const damaged = fc.array(fc.tuple(fc.nat(lines.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 })), { maxLength: 6 });
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-features-damaged-'));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(damaged, fc.nat(3), async (edits, repeat) => {
        // The trace repeated, so a layout learned from a good line meets damaged ones and back.
        const out = Array.from({ length: repeat + 1 }, () => lines.slice()).flat();
        for (const [li, muts] of edits) {
          let l = out[li]!;
          for (const [pos, op, str] of muts) {
            const i = l.length ? pos % l.length : 0;
            if (op === 0) l = l.slice(0, i) + str + l.slice(i);
            else if (op === 1) l = l.slice(0, i);
            else if (op === 2) l = l.slice(0, i) + l.slice(i + 1 + (pos % 5));
            else l = l.slice(0, i) + String.fromCharCode(32 + ((l.charCodeAt(i) + pos) % 95)) + l.slice(i + 1);
          }
          out[li] = l;
        }
        const file = join(dir, `t${run++}.txt`);
        writeFileSync(file, out.join('\n') + '\n');
        const a = await readTrace(file, { probeMap: MAP });
        const b = await readTrace(file, { probeMap: MAP, textPath: true });
        expect(a.events).toEqual(b.events);
        expect(a.stats).toEqual(b.stats);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same events and statistics on both paths', async () => {
    const a = await read(false);
    const b = await read(true);
    expect(a.events).toEqual(b.events);
    expect(a.stats).toEqual(b.stats);
  });
});

/**
 * The real traces of ../shared/traces (and their copies in traces/), read as they are.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../../src/trace/index.ts';
import type { CanonicalEvent } from '../../src/trace/index.ts';
import { ourTraces, plain, readText, sharedTraces } from './helpers.ts';

interface Expected {
  traces: Record<string, {
    era: string; verdict: string; format: string; probeMap: string; kernel?: string; lines: number;
    minEvents: Record<string, number>; skipped: Record<string, number>; probesRefused: string[]; gaps: number;
  }>;
  context: string[];
}
const expected = JSON.parse(readFileSync(join(ourTraces, 'expected.json'), 'utf8')) as Expected;

describe('traces/ is a byte-identical copy of ../shared/traces', () => {
  it.skipIf(!existsSync(sharedTraces))('has every file, unchanged', () => {
    const names = readFileSync(join(ourTraces, 'expected.json'), 'utf8') && [
      ...Object.keys(expected.traces), ...expected.context, 'README.md',
    ];
    for (const n of names) {
      expect(readFileSync(join(ourTraces, n)).equals(readFileSync(join(sharedTraces, n))), n).toBe(true);
    }
  });
});

describe('real traces: exact counts', () => {
  for (const [name, exp] of Object.entries(expected.traces)) {
    it(`${name}: ${exp.format}, map ${exp.probeMap}`, async () => {
      const dir = existsSync(join(sharedTraces, name)) ? sharedTraces : ourTraces;
      const { events, stats } = await readTrace(join(dir, name), { name });
      expect(stats.format).toBe(exp.format);
      expect(stats.probeMap.name).toBe(exp.probeMap);
      expect(stats.probeMap.chosenBy).toBe('auto');
      expect(stats.kernel).toBe(exp.kernel);
      expect(stats.lines).toBe(exp.lines);
      const byKind = Object.fromEntries(Object.entries(stats.eventsByKind).filter(([, n]) => n > 0));
      expect(byKind).toEqual(exp.minEvents);
      const skipped = Object.fromEntries(Object.entries(stats.skipped).filter(([, v]) => v.count > 0).map(([k, v]) => [k, v.count]));
      expect(skipped).toEqual(exp.skipped);
      expect(stats.probesRefused.map((r) => r.name)).toEqual(exp.probesRefused);
      expect(stats.gaps.length).toBe(exp.gaps);
      expect(stats.skipped.malformed.count).toBe(0);
      expect(stats.unknownEvents).toEqual({});
      expect(stats.unmatched).toEqual({});
      expect(events.length).toBe(stats.events);
      expect(stats.eventLines + Object.values(stats.skipped).reduce((a, v) => a + v.count, 0)).toBe(stats.lines);
      // Events in line order, except a derived bind reported at its getpeer entry line.
      for (const e of events) expect(e.file).toBe(name);
    });
  }
});

async function seedEvents(run: string): Promise<CanonicalEvent[]> {
  return (await readTrace(join(ourTraces, `linux-3.0.1_${run}.ftrace.txt`))).events;
}

describe('3.0.1: binds derived from inet_getpeer and its caller', () => {
  it('the check lookup-only bind takes the route of the open dst_check (run1 lines 69-73)', async () => {
    const ev = (await seedEvents('run1-s1')).filter((e) => e.line >= 69 && e.line <= 73).map(plain);
    expect(ev.map((e) => [e.kind, e.line])).toEqual([['check', 69], ['bind', 70], ['bind_ret', 71], ['peer_pmtu', 72], ['check_ret', 73]]);
    expect(ev.splice(3, 1)[0]).toMatchObject({ rt: '0xffff88001f881a00', peer: '0xffff88001e400540', pmtuLearned: 1200, pmtuOrig: 0, pmtuExpires: 0x10001265f, redirectLearned: '0.0.0.0' });
    expect(ev[1]).toMatchObject({ rt: '0xffff88001f881a00', daddr: '10.1.0.5', create: 0, peer: '0x0', rtGenid: 0, genid: 1, caller: 'ipv4_dst_check+0x11d' });
    expect(ev[2]).toMatchObject({ rt: '0xffff88001f881a00', daddr: '10.1.0.5', create: 0, peer: '0xffff88001e400540', peerBefore: '0x0' });
    expect(ev[3]).toMatchObject({ rt: '0xffff88001f881a00', ret: '0xffff88001f881a00', peer: '0xffff88001e400540', rtGenid: 1, genid: 1 });
  });

  it('a lookup that finds nothing still re-stamps (run1 lines 95-98)', async () => {
    const ev = (await seedEvents('run1-s1')).filter((e) => e.line >= 95 && e.line <= 98).map(plain);
    expect(ev.map((e) => e.kind)).toEqual(['check', 'bind', 'bind_ret', 'check_ret']);
    expect(ev[2]).toMatchObject({ peer: '0x0', daddr: '10.2.0.7', create: 0 });
    expect(ev[3]).toMatchObject({ rtGenid: 2, genid: 2, peer: '0x0' });
  });

  it('classifies every getpeer caller of the three runs', async () => {
    const byCaller = new Map<string, string[]>();
    for (const run of ['run1-s1', 'run2-s2', 'run4-s3']) {
      for (const e of await seedEvents(run)) {
        if (e.probe !== 'getpeer_ret') continue;
        const c = e.caller!.replace(/\+.*/, '');
        byCaller.set(c, [...new Set([...(byCaller.get(c) ?? []), e.kind])]);
      }
    }
    expect(Object.fromEntries(byCaller)).toEqual({
      'rt_set_nexthop.constprop.0': ['bind', 'bind_ret', 'route'],
      '__ip_select_ident': ['bind', 'bind_ret'],
      'ipv4_dst_check': ['bind', 'bind_ret'],
      'ip_rt_frag_needed': ['bind', 'bind_ret'],
      'ip_rt_redirect': ['bind', 'bind_ret'],
      'rt_bind_peer': ['bind', 'bind_ret'],
    });
  });

  it('__ip_select_ident binds with create=1 (run1 lines 48-49)', async () => {
    const ev = (await seedEvents('run1-s1')).filter((e) => e.line === 48 || e.line === 49).map(plain);
    expect(ev).toEqual([
      expect.objectContaining({ kind: 'bind', create: 1, daddr: '10.1.0.6' }),
      expect.objectContaining({ kind: 'bind_ret', create: 1, daddr: '10.1.0.6', peer: '0xffff88001e53ab40' }),
    ]);
    expect(ev[0]!.rt).toBeUndefined(); // not observed: never guessed
  });

  it('PMTU and redirect paths: learned MTU, bump old/new, the redirect gateway', async () => {
    const ev = (await seedEvents('run1-s1')).map(plain);
    expect(ev.filter((e) => e.kind === 'pmtu').map((e) => [e.daddr, e.mtu])).toEqual([
      ['10.1.0.5', 1200], ['10.1.0.5', 1200], ['10.1.0.6', 1100], ['10.1.0.8', 552], [undefined, 552],
    ]);
    expect(ev.filter((e) => e.kind === 'genid_bump').map((e) => [e.old, e.new, e.counter])).toEqual([
      [0, 1, 'peer'], [1, 2, 'peer'], [2, 3, 'peer'], [3, 4, 'peer'], [4, 4, 'peer'], [4, 5, 'peer'], [5, 6, 'peer'],
    ]);
    expect(ev.filter((e) => e.kind === 'redirect').map((e) => [e.daddr, e.gateway, e.oldGateway])).toEqual([
      ['10.2.0.7', '10.0.0.3', '10.0.0.1'], ['10.1.0.5', '10.0.0.4', '10.0.0.1'],
    ]);
    const flushed = ev.find((e) => e.kind === 'check' && e.obsolete === 2)!;
    expect(flushed).toMatchObject({ rt: '0xffff88001f881a00', rtGateway: '10.0.0.4', flags: 0x40000 });
  });

  it('the out-of-line rt_bind_peer (run2): bind, then bind_ret with the stamp seen inside the call', async () => {
    const ev = (await seedEvents('run2-s2')).filter((e) => e.probe === 'bind' || e.probe === 'bind_ret').map(plain);
    expect(ev).toEqual([
      expect.objectContaining({ kind: 'bind', line: 184, rt: '0xffff88001dd5b800', daddr: '10.1.0.20', create: 1, peer: '0x0', rtGenid: 0, genid: 5 }),
      expect.objectContaining({ kind: 'bind_ret', line: 188, rt: '0xffff88001dd5b800', peer: '0xffff88001dd630c0', peerBefore: '0x0', rtGenid: 5, genid: 5, caller: 'icmp_send+0x5e3' }),
    ]);
  });

  it('reads the same events from the raw console log as from the ftrace file', async () => {
    const a = (await readTrace(join(ourTraces, 'linux-3.0.1_run2-s2.ftrace.txt'))).events;
    const b = (await readTrace(join(ourTraces, 'linux-3.0.1_run2-s2.console-raw.log'))).events;
    const strip = (e: CanonicalEvent) => { const p = plain(e); delete p.file; delete p.line; return p; };
    expect(b.map(strip)).toEqual(a.map(strip));
  });

  it('reads the IBT form of the same trace (+0x4 entries, other caller offsets) identically', async () => {
    const text = readFileSync(join(ourTraces, 'linux-3.0.1_run1-s1.ftrace.txt'), 'utf8');
    const ibt = text.replace(/\+0x0\//g, '+0x4/').replace(/(<- \w+\))/g, '$1').replace(/(\(\w+(?:\.\w+\.\d+)?)\+0x([0-9a-f]+)\/(0x[0-9a-f]+ <-)/g, (_m, f: string, off: string, rest: string) => `${f}+0x${(parseInt(off, 16) + 4).toString(16)}/${rest}`);
    expect(ibt).not.toBe(text);
    const a = (await readTrace(join(ourTraces, 'linux-3.0.1_run1-s1.ftrace.txt'))).events.map(plain);
    const b = (await readText(ibt)).events.map(plain);
    const norm = (e: Record<string, unknown>) => ({ ...e, file: undefined, caller: typeof e.caller === 'string' ? e.caller.replace(/\+.*/, '') : undefined });
    expect(b.map(norm)).toEqual(a.map(norm));
  });
});

describe('Debian 6.1 capture', () => {
  it('records which probes the kernel refused, with the error_log text', async () => {
    const { stats } = await readTrace(join(ourTraces, '6.1.0-56-cloud-amd64.tcg.ttyS1-trace.txt'));
    expect(stats.kernel).toBe('6.1.0-56-cloud-amd64');
    const refused = Object.fromEntries(stats.probesRefused.map((r) => [r.name, r.error ?? null]));
    expect(refused).toEqual({
      dst_check_f: null, dst_check_fret: null, pmtu_f: null, pmtu_fret: null,
      fnhe_k: 'trace_kprobe: error: Invalid fetch argument',
      skpmtu_all: 'trace_kprobe: error: Invalid $-variable specified',
      flush_btf: 'trace_kprobe: error: Invalid fetch argument',
      dst_chain: null,
      pmtu_kret_arg: 'trace_kprobe: error: Invalid $-variable specified',
      pmtu_kret_arg2: 'trace_kprobe: error: Invalid $-variable specified',
    });
    expect(stats.probesRefused[0]!.line).toBe(28);
    expect(stats.probesRegistered).toContain('dst_check_kret');
    expect(stats.probesRegistered).toHaveLength(28);
  });

  it('pairs checks with the return probe that names its caller, not the [unknown/kretprobe\'d] one', async () => {
    const { events } = await readTrace(join(ourTraces, '6.1.0-56-cloud-amd64.tcg.ttyS1-trace.txt'));
    const rets = events.filter((e) => e.kind === 'check_ret');
    expect(rets.every((e) => e.probe === 'dst_check_kret' && e.caller !== undefined && e.rt !== undefined)).toBe(true);
    // The check of a route killed by a new exception (obsolete=-2) returns NULL.
    const killed = events.find((e) => e.kind === 'check' && e.obsolete === -2)!;
    const ret = events.find((e) => e.kind === 'check_ret' && e.line > killed.line)!;
    expect(plain(ret)).toMatchObject({ rt: killed.rt, ret: '0x0', obsolete: 0 });
    // The sysctl flush: the namespace genid moves from 7 to 8 across it.
    const flush = events.find((e) => e.kind === 'flush' && e.probe === 'sysctl_flush')!;
    const before = events.filter((e) => e.line < flush.line && e.genid !== undefined).at(-1)!;
    const after = events.find((e) => e.line > flush.line && e.genid !== undefined)!;
    expect([before.genid, after.genid]).toEqual([7, 8]);
  });

  it('reads routes with the daddr of the lookup they were made in, exceptions with their genid', async () => {
    const { events } = await readTrace(join(ourTraces, '6.1.0-56-cloud-amd64.tcg.ttyS1-trace.txt'));
    expect(plain(events.find((e) => e.kind === 'route')!)).toMatchObject({
      line: 114, rt: '0xff2bed91813d06c0', daddr: '10.9.1.1', net: '0xffffffffb0c099c0', rtGenid: 7, genid: 7, obsolete: -1, rtMtu: 0,
    });
    const fnhe = events.filter((e) => e.kind === 'fnhe' && e.exceptionGenid !== undefined);
    expect(fnhe.every((e) => e.fnhe !== undefined && e.fnhe !== '0x0')).toBe(true);
    expect(new Set(fnhe.map((e) => e.exceptionGenid))).toEqual(new Set([0, 1]));
  });

  it('pmtu.sh trace: several namespaces, error-pointer routes filtered', async () => {
    const { events, stats } = await readTrace(join(ourTraces, '6.1.0-56-cloud-amd64.pmtu-pmtu_ipv4_exception.trace.txt'));
    const nets = new Set(events.filter((e) => e.kind === 'flush').map((e) => e.net));
    expect(nets.size).toBeGreaterThan(4);
    expect(events.some((e) => e.rt === '0xffffffffffffff9b')).toBe(false);
    expect(stats.skipped.filtered.count).toBeGreaterThan(0);
    expect(events.filter((e) => e.kind === 'marker').map((e) => e.text)).toContain('PMTU_SH TEST: ipv4: PMTU exceptions                                         [ OK ]');
  });
});

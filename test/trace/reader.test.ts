import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openTrace, readTrace, parseProbeMap, formatReadStats, builtinProbeMaps } from '../../src/trace/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { kinds, plain, readText, repoRoot, tmpFile } from './helpers.ts';

/** A few real 3.0.1 lines (linux-3.0.1_run1-s1.ftrace.txt 69-73): a check whose lookup-only bind finds a peer. */
const BODY_30 = [
  '1.678632: dst_check: (ipv4_dst_check+0x0/0x1c0) rt=ffff88001f881a00 peer=0 rt_pgenid=0 g=1 dst=500010a gw=100000a flags=0 obsolete=-1',
  '1.678661: getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0',
  '1.678683: getpeer_ret: (ipv4_dst_check+0x11d/0x1c0 <- inet_getpeer) peer=ffff88001e400540',
  '1.678914: dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=ffff88001f881a00 peer=ffff88001e400540 rt_pgenid=1 g=1 gw=100000a flags=0',
];

const HEADER_30 = [
  '# tracer: nop',
  '#',
  '#           TASK-PID    CPU#    TIMESTAMP  FUNCTION',
  '#              | |       |          |         |',
];

const HEADER_61 = [
  '# tracer: nop',
  '#',
  '# entries-in-buffer/entries-written: 4/4   #P:2',
  '#',
  '#                                _-----=> irqs-off/BH-disabled',
  '#                               / _----=> need-resched',
  '#                              | / _---=> hardirq/softirq',
  '#                              || / _--=> preempt-depth',
  '#                              ||| / _-=> migrate-disable',
  '#                              |||| /     delay',
  '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
  '#              | |         |   |||||     |         |',
];

function render(body: string[], opts: { task?: string; pid?: number; cpu?: string; flags?: string; tgid?: string } = {}): string[] {
  const task = opts.task ?? 'peerwl';
  const pid = opts.pid ?? 25;
  return body.map((b) => {
    const tp = `${task}-${pid}`.padStart(22);
    return `${tp} ${opts.tgid ? `${opts.tgid} ` : ''}[${opts.cpu ?? '000'}] ${opts.flags ? `${opts.flags} ` : ''}    ${b}`;
  });
}

/** What the four lines must give, whatever the layout. */
function expectBind30(events: ReturnType<typeof plain>[]): void {
  expect(events.map((e) => e.kind)).toEqual(['check', 'bind', 'bind_ret', 'check_ret']);
  const [check, bind, bindRet, checkRet] = events;
  expect(check).toMatchObject({ rt: '0xffff88001f881a00', peer: '0x0', rtGenid: 0, genid: 1, daddr: '10.1.0.5', rtGateway: '10.0.0.1', flags: 0, obsolete: -1, probe: 'dst_check' });
  expect(bind).toMatchObject({ rt: '0xffff88001f881a00', daddr: '10.1.0.5', create: 0, peer: '0x0', probe: 'getpeer_ret', caller: 'ipv4_dst_check+0x11d' });
  expect(bindRet).toMatchObject({ rt: '0xffff88001f881a00', daddr: '10.1.0.5', create: 0, peer: '0xffff88001e400540', peerBefore: '0x0' });
  expect(checkRet).toMatchObject({ rt: '0xffff88001f881a00', ret: '0xffff88001f881a00', peer: '0xffff88001e400540', rtGenid: 1, genid: 1, caller: 'sk_dst_check+0x2c' });
}

describe('ftrace text layouts', () => {
  it('reads 3.0 style (no flag column) with its header', async () => {
    const { events, stats } = await readText([...HEADER_30, ...render(BODY_30)].join('\n') + '\n');
    expect(stats.format).toBe('ftrace');
    expect(stats.probeMap).toMatchObject({ name: 'linux-3.0-seed', chosenBy: 'auto' });
    expectBind30(events.map(plain));
    expect(events[0]).toMatchObject({ file: 'test.trace', line: 5, ts: 1.678632, cpu: 0, task: 'peerwl', pid: 25 });
    // The bind is reported at the getpeer entry line, its return at the getpeer_ret line.
    expect(events.map((e) => e.line)).toEqual([5, 6, 7, 8]);
    expect(stats.lines).toBe(8);
    expect(stats.skipped.header.count).toBe(4);
    // The getpeer entry is kept for pairing; its bind is emitted when the return names the caller.
    expect(stats.skipped.paired).toEqual({ count: 1, lines: [6] });
    expect(stats.events).toBe(4);
    expect(stats.eventsByKind.bind).toBe(1);
    expect(stats.complete).toBe(true);
  });

  for (const [what, opts] of [
    ['4-char irq flags', { flags: 'd..1' }],
    ['5-char irq flags', { flags: 'b..1.' }],
    ['flags with any letters', { flags: 'XnHz.' }],
    ['a TGID column', { tgid: '(   25)', flags: '....' }],
    ['an unknown TGID', { tgid: '(-----)', flags: '.....' }],
    ['a 4-digit CPU field', { cpu: '0012', flags: '.N..' }],
  ] as const) {
    it(`reads lines with ${what}`, async () => {
      const { events, stats } = await readText([...HEADER_61, ...render(BODY_30, opts)].join('\n'));
      expect(stats.format).toBe('ftrace');
      expectBind30(events.map(plain));
      expect(events[0]!.task).toBe('peerwl');
      expect(events[0]!.pid).toBe(25);
      expect(events[0]!.cpu).toBe(opts.cpu ? Number(opts.cpu) : 0);
      expect(stats.skipped.malformed.count).toBe(0);
    });
  }

  it('splits the pid on the last dash: task names with spaces and dashes, <...>', async () => {
    for (const task of ['kworker/u2:1', 'my-task name', 'a - b-c', '<...>', 'Web Content']) {
      const { events } = await readText(render(BODY_30, { task, pid: 4242, flags: '....' }).join('\n'));
      expect(events.map((e) => e.task)).toEqual([task, task, task, task]);
      expect(events[0]!.pid).toBe(4242);
      expectBind30(events.map(plain));
    }
  });

  it('reads trace_pipe output (no header at all)', async () => {
    const { events, stats } = await readText(render(BODY_30, { flags: '.....' }).join('\n') + '\n');
    expect(stats.format).toBe('ftrace');
    expect(stats.skipped.header.count).toBe(0);
    expectBind30(events.map(plain));
  });

  it('takes IBT +0x4 entry offsets and other caller offsets the same way', async () => {
    const body = BODY_30.map((l) => l.replace('+0x0/', '+0x4/').replace('ipv4_dst_check+0x11d/0x1c0', 'ipv4_dst_check+0x2a1/0x300'));
    const { events } = await readText(render(body).join('\n'));
    expectBind30(events.map(plain).map((e) => ({ ...e, caller: e.caller === 'ipv4_dst_check+0x2a1' ? 'ipv4_dst_check+0x11d' : e.caller })));
  });

  it('strips .constprop.N / .isra.N from callers when matching rules', async () => {
    const lines = [
      '1.324976: getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0',
      '1.325225: getpeer_ret: (rt_set_nexthop.isra.3+0x5f/0x1f0 <- inet_getpeer) peer=0',
    ];
    const { events } = await readText(render(lines).join('\n'));
    expect(events.map(plain)).toEqual([
      expect.objectContaining({ kind: 'bind', daddr: '10.1.0.5', create: 0, caller: 'rt_set_nexthop.isra.3+0x5f', line: 1 }),
      expect.objectContaining({ kind: 'bind_ret', daddr: '10.1.0.5', peer: '0x0', create: 0, line: 2 }),
      expect.objectContaining({ kind: 'route', daddr: '10.1.0.5', peer: '0x0', create: 0, caller: 'rt_set_nexthop.isra.3+0x5f', line: 2 }),
    ]);
  });
});

describe('lines that are not events', () => {
  it('turns LOST EVENTS, buffer-started and entries-written into gaps, and forgets open calls', async () => {
    const text = [
      '# tracer: nop',
      '# entries-in-buffer/entries-written: 10/15   #P:2',
      ...render(BODY_30.slice(0, 2)),
      'CPU:0 [LOST 12 EVENTS]',
      ...render(BODY_30.slice(2)),
      '##### CPU 1 buffer started ####',
    ].join('\n');
    const { events, stats } = await readText(text);
    expect(stats.gaps).toEqual([
      { file: 'test.trace', line: 2, count: 5, reason: 'entries' },
      { file: 'test.trace', line: 5, cpu: 0, count: 12, reason: 'lost' },
      { file: 'test.trace', line: 8, cpu: 1, reason: 'overrun' },
    ]);
    expect(stats.entries).toEqual({ inBuffer: 10, written: 15 });
    expect(stats.cpus).toBe(2);
    expect(stats.skipped.lost).toEqual({ count: 2, lines: [5, 8] });
    // After the gap the returns have no entry: getpeer_ret matches no caller rule needing the entry?
    // It still derives the bind, without the entry's fields (daddr/create unknown, never guessed).
    const bindRet = events.find((e) => e.kind === 'bind_ret')!;
    expect(bindRet.daddr).toBeUndefined();
    expect(bindRet.rt).toBeUndefined();
    expect(bindRet.peer).toBe('0xffff88001e400540');
    const checkRet = events.find((e) => e.kind === 'check_ret')!;
    expect(checkRet.rt).toBeUndefined();
    expect(stats.unpairedReturns).toBe(2);
  });

  it('counts stack traces, other tracers, unknown probes, unmatched callers and malformed lines', async () => {
    const text = [
      ...render(BODY_30.slice(0, 1)),
      ' => ipv4_dst_check',
      ' => sk_dst_check',
      '          peerwl-25    [000]     1.678633: <stack trace>',
      '          peerwl-25    [000]     1.678634: do_sys_open <-do_sys_openat2',
      ' 0)   0.123 us    |  inet_getpeer();',
      '          peerwl-25    [000]     1.678635: mystery_probe: (foo+0x0/0x10) a=1',
      '          peerwl-25    [000]     1.678636: mystery_probe: (foo+0x0/0x10) a=2',
      '1.678661: getpeer: (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0'.replace(/^/, '          peerwl-25    [000]     '),
      '          peerwl-25    [000]     1.678662: getpeer_ret: (some_new_caller+0x10/0x20 <- inet_getpeer) peer=0',
      'this is not a trace line',
      '',
      'neither is this',
    ].join('\n');
    // A map that derives binds only for the check's caller: other callers are "unmatched".
    const probeMap = parseProbeMap({
      name: 'narrow',
      pairs: [{ entry: 'getpeer', return: ['getpeer_ret'] }],
      radix: 'hex',
      rules: [
        { probe: 'dst_check', emit: [{ kind: 'check', fields: { rt: 'rt' } }] },
        { probe: 'getpeer_ret', caller: ['ipv4_dst_check'], emit: [{ kind: 'bind_ret', fields: { peer: 'peer' } }] },
      ],
    }, 'narrow.json');
    const { events, stats } = await readText(text, { maxLineNumbers: 1, probeMap });
    expect(kinds(events)).toEqual(['check']);
    expect(stats.skipped.stacktrace.count).toBe(3);
    expect(stats.skipped.otherTracer.count).toBe(2);
    expect(stats.skipped.unknownEvent.count).toBe(2);
    expect(stats.unknownEvents).toEqual({ mystery_probe: 2 });
    expect(stats.skipped.unmatched.count).toBe(1);
    expect(stats.unmatched).toEqual({ 'getpeer_ret <- some_new_caller': 1 });
    expect(stats.skipped.paired.count).toBe(1);
    expect(stats.skipped.blank.count).toBe(1);
    // Only the first line number is kept (maxLineNumbers: 1), the count is exact.
    expect(stats.skipped.malformed).toEqual({ count: 2, lines: [11], reasons: ['not a trace line'] });
    expect(stats.lines).toBe(13);
    const counted = Object.values(stats.skipped).reduce((a, s) => a + s.count, 0);
    expect(stats.eventLines).toBe(1);
    expect(counted + stats.eventLines).toBe(stats.lines); // every line accounted for once
    expect(stats.probeHits).toMatchObject({ dst_check: 1, getpeer: 1, getpeer_ret: 1, mystery_probe: 2 });
  });

  it('turns trace_marker writes into marker events (new and old style)', async () => {
    const text = [
      '           tunwl-98      [000] .....     3.230350: tracing_mark_write: STEP connect A 10.9.1.1',
      '          peerwl-25    [000]     1.323490: 0: === WL step 1: S1 open sockets',
      '          peerwl-25    [000]     1.323491: ffffffff8105e3a0: hex ip marker',
    ].join('\n');
    const { events, stats } = await readText(text);
    expect(events.map((e) => [e.kind, e.text, e.probe])).toEqual([
      ['marker', 'STEP connect A 10.9.1.1', 'tracing_mark_write'],
      ['marker', '=== WL step 1: S1 open sockets', '0'],
      ['marker', 'hex ip marker', 'ffffffff8105e3a0'],
    ]);
    expect(stats.eventsByKind.marker).toBe(3);
  });
});

describe('trace-cmd report', () => {
  it('reads the preamble, padded event names and EVENTS DROPPED markers', async () => {
    const text = [
      'version = 6',
      'CPU 1 is empty',
      'cpus=4',
      '          peerwl-25    [000]     1.678632: dst_check:            (ipv4_dst_check+0x0/0x1c0) rt=ffff88001f881a00 peer=0 rt_pgenid=0 g=1 dst=500010a gw=100000a flags=0 obsolete=-1',
      'CPU:0 [3 EVENTS DROPPED]',
      '          peerwl-25    [000]     1.678661: getpeer:              (inet_getpeer+0x0/0x300) daddr=500010a family=2 create=0',
      'CPU:2 [EVENTS DROPPED]',
      '          peerwl-25    [000]     1.678683: getpeer_ret:          (ipv4_dst_check+0x11d/0x1c0 <- inet_getpeer) peer=ffff88001e400540',
    ].join('\n');
    const { events, stats } = await readText(text);
    expect(stats.format).toBe('trace-cmd');
    expect(stats.cpus).toBe(4);
    expect(stats.skipped.header.count).toBe(3);
    expect(stats.gaps).toEqual([
      { file: 'test.trace', line: 5, cpu: 0, count: 3, reason: 'dropped' },
      { file: 'test.trace', line: 7, cpu: 2, count: undefined, reason: 'dropped' },
    ]);
    expect(kinds(events)).toEqual(['check', 'bind', 'bind_ret']);
    // The gap forgot the open dst_check: the bind's route is unknown rather than guessed.
    expect(events[1]!.rt).toBeUndefined();
    expect(events[2]!.peer).toBe('0xffff88001e400540');
  });

  it('accepts group:event names', async () => {
    const text = '          peerwl-25    [000]     1.678632: kprobes:dst_check: (ipv4_dst_check+0x0/0x1c0) rt=ffff88001f881a00 peer=0 rt_pgenid=0 g=1 dst=500010a gw=100000a flags=0 obsolete=-1\n';
    const { events } = await readText(text, { probeMap: builtinProbeMaps().find((m) => m.name === 'linux-3.0-seed') });
    expect(events.map(plain)).toEqual([expect.objectContaining({ kind: 'check', rt: '0xffff88001f881a00', genid: 1 })]);
  });
});

describe('raw serial captures', () => {
  it('reads CRLF, @@ markers, refused probes with their error_log, printk noise', async () => {
    const lines = [
      '@@KERNEL 6.1.0-56-cloud-amd64',
      '@@PROBE_OK p:rtg/dst_check ipv4_dst_check dst=%di:x64 rt_genid=+0x70(%di):s32 obsolete=+0x3a(%di):s16 net_rt_genid=+0x58c(+0x500(+0(%di))):s32',
      '@@PROBE_OK r:rtg/dst_check_ret ipv4_dst_check ret=$retval:x64',
      '@@PROBE_FAIL p:rtgf/fnhe_k update_or_create_fnhe daddr gw pmtu lock expires',
      '[    2.706670] trace_kprobe: error: Invalid fetch argument',
      '  Command: p:rtgf/fnhe_k update_or_create_fnhe daddr gw pmtu lock expires',
      '                                               ^',
      '@@PROBE_FAIL f:rtgf/dst_check_f ipv4_dst_check dst cookie',
      '@@DYNAMIC_EVENTS_BEGIN',
      'p:rtg/dst_check ipv4_dst_check dst=%di:x64',
      'r10:rtg/dst_check_ret ipv4_dst_check ret=$retval:x64',
      '@@DYNAMIC_EVENTS_END',
      '@@TRACE_BEGIN',
      ...HEADER_61,
      '           tunwl-98      [000] b..1.     3.232285: dst_check: (ipv4_dst_check+0x0/0x60) dst=0xff2bed91813d06c0 cookie=0 rt_genid=7 obsolete=-1 pmtu=0 gw=0x200000a net_rt_genid=7',
      '[    3.232300] random: crng init done',
      '           tunwl-98      [000] b..1.     3.232319: dst_check_ret: (ip4_datagram_release_cb+0x60/0x230 <- ipv4_dst_check) ret=0xff2bed91813d06c0',
      '@@TRACE_END',
      '[    4.000000] reboot: Power down',
    ];
    const { events, stats } = await readText(lines.join('\r\n') + '\r\n');
    expect(stats.format).toBe('serial');
    expect(stats.kernel).toBe('6.1.0-56-cloud-amd64');
    expect(stats.probeMap.name).toBe('debian-6.1-rtg');
    expect(stats.probesRegistered).toEqual(['dst_check', 'dst_check_ret']);
    expect(stats.probesRefused).toEqual([
      { definition: 'p:rtgf/fnhe_k update_or_create_fnhe daddr gw pmtu lock expires', name: 'fnhe_k', group: 'rtgf', error: 'trace_kprobe: error: Invalid fetch argument', line: 4 },
      { definition: 'f:rtgf/dst_check_f ipv4_dst_check dst cookie', name: 'dst_check_f', group: 'rtgf', line: 8 },
    ]);
    expect(stats.skipped.noise).toEqual({ count: 2, lines: [27, 30] });
    expect(stats.skipped.serial.count).toBe(14);
    expect(events.map(plain)).toEqual([
      expect.objectContaining({ kind: 'check', line: 26, rt: '0xff2bed91813d06c0', rtGenid: 7, genid: 7, obsolete: -1, rtGateway: '10.0.0.2', rtMtu: 0 }),
      expect.objectContaining({ kind: 'check_ret', line: 28, rt: '0xff2bed91813d06c0', ret: '0xff2bed91813d06c0', rtGenid: 7, genid: 7 }),
    ]);
    expect(formatReadStats(stats).join('\n')).toContain('probe refused by the kernel: fnhe_k: trace_kprobe: error: Invalid fetch argument');
  });
});

describe('JSON lines', () => {
  it('validates canonical events and reports bad lines with their number and reason', async () => {
    const text = [
      JSON.stringify({ kind: 'check', rt: '0xffff8800', rtGenid: 3, genid: 4, daddr: '10.1.0.5', ts: 1.5, task: 'x', pid: 3 }),
      '{"kind": "check_ret", "rt": "0xffff8800", "ret": "0x0"}',
      '{"kind": "teleport"}',
      '{"kind": "check", "rt": "ffff8800"}',
      '{"kind": "check", "daddr": "10.1.0.256"}',
      '{"kind": "check", "rtGenid": -1}',
      '{"kind": "check", "colour": "red"}',
      'not json',
      '',
      '[1,2]',
      JSON.stringify({ kind: 'genid_bump', old: 1, new: 2, counter: 'peer', file: 'elsewhere.txt', line: 99 }),
    ].join('\n');
    const { events, stats } = await readText(text);
    expect(stats.format).toBe('jsonl');
    expect(stats.probeMap.chosenBy).toBe('none');
    expect(events.map(plain)).toEqual([
      { kind: 'check', file: 'test.trace', line: 1, rt: '0xffff8800', rtGenid: 3, genid: 4, daddr: '10.1.0.5', ts: 1.5, task: 'x', pid: 3 },
      { kind: 'check_ret', file: 'test.trace', line: 2, rt: '0xffff8800', ret: '0x0' },
      { kind: 'genid_bump', file: 'test.trace', line: 11, old: 1, new: 2, counter: 'peer' },
    ]);
    expect(stats.skipped.malformed.lines).toEqual([3, 4, 5, 6, 7, 8, 10]);
    expect(stats.skipped.malformed.reasons![0]).toMatch(/unknown or missing kind/);
    expect(stats.skipped.malformed.reasons![1]).toMatch(/field rt: expected a lower-case 0x pointer/);
    expect(stats.skipped.malformed.reasons![4]).toMatch(/unknown field colour/);
    expect(stats.skipped.blank.count).toBe(1);
  });

  it('reads bpftrace NDJSON printf records and lost_events', async () => {
    const text = [
      '{"type": "attached_probes", "data": {"probes": 2}}',
      '{"type": "printf", "data": "dst_check: rt=0xffff88001f881a00 peer=0x0 rt_pgenid=0 g=1 dst=0x500010a gw=0x100000a flags=0 obsolete=-1\\n"}',
      '{"type": "lost_events", "data": {"events": 7}}',
      '{"type": "printf", "data": "no colon here\\n"}',
      '{"type": "printf", "data": "cache_flush: delay=-1 g=2\\n"}',
    ].join('\n');
    const { events, stats } = await readText(text, { probeMap: builtinProbeMaps().find((m) => m.name === 'linux-3.0-seed') });
    expect(stats.format).toBe('bpftrace');
    expect(stats.gaps).toEqual([{ file: 'test.trace', line: 3, count: 7, reason: 'bpftrace' }]);
    expect(events.map(plain)).toEqual([
      expect.objectContaining({ kind: 'check', line: 2, rt: '0xffff88001f881a00', daddr: '10.1.0.5', genid: 1 }),
      expect.objectContaining({ kind: 'flush', line: 5, genid: 2 }),
    ]);
    expect(stats.skipped.malformed.lines).toEqual([4]);
    expect(stats.skipped.header.count).toBe(1);
  });
});

describe('inputs', () => {
  const text = [...HEADER_30, ...render(BODY_30)].join('\n') + '\n';

  it('reads gzip files (detected by magic, not by name)', async () => {
    const p = tmpFile('trace.txt', gzipSync(Buffer.from(text)));
    const { events, stats } = await readTrace(p);
    expect(stats.compression).toBe('gzip');
    expect(stats.format).toBe('ftrace');
    expectBind30(events.map(plain));
    expect(events[0]!.file).toBe(p);
  });

  it('a truncated gzip file is bad input once the damage is found, after the events that decoded', async () => {
    // More than the reader's 1 MB sniff window decodes before the cut: events flow first.
    const big = text.repeat(6000);
    const gz = gzipSync(Buffer.from(big));
    const cut = Math.floor(gz.length * 0.6);
    const p = tmpFile('trace.txt.gz', gz.subarray(0, cut));
    const r = await openTrace(p);
    let events = 0;
    const err = await (async () => {
      for await (const b of r.batches()) events += b.length;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerpropError);
    expect((err as PeerpropError).exitCode).toBe(2);
    expect((err as PeerpropError).oneLine()).toMatch(new RegExp(`^${p}: gzip data cut short at byte ${cut} of ${cut} \\(.*decompressed\\): not replayed$`));
    expect(events).toBeGreaterThan(0);
    expect(r.stats.complete).toBe(false);
  });

  it('reads standard input for "-"', () => {
    const script = join(repoRoot, 'test/trace/fixtures/read-stdin.mts');
    const r = spawnSync(process.execPath, ['--import', 'tsx/esm', script], { input: text, cwd: repoRoot, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { file: string; kinds: string[]; format: string };
    expect(out).toEqual({ file: '-', format: 'ftrace', kinds: ['check', 'bind', 'bind_ret', 'check_ret'] });
  });

  it('fails with exit 2 for a missing file, a directory, or a trace.dat that trace-cmd cannot read', async () => {
    const missing = await openTrace('/nonexistent/trace.txt').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PeerpropError);
    expect((missing as PeerpropError).exitCode).toBe(2);
    expect((missing as PeerpropError).oneLine()).toBe('/nonexistent/trace.txt: no such trace file');
    const dir = await openTrace(repoRoot).catch((e: unknown) => e);
    expect((dir as PeerpropError).exitCode).toBe(2);
    const dat = tmpFile('trace.dat', Buffer.concat([Buffer.from([0x17, 0x08, 0x44]), Buffer.from('tracing6\0\0\0\0')]));
    // A trace.dat is read through trace-cmd (printers.test.ts); only its magic here: unreadable.
    const e = await openTrace(dat).catch((x: unknown) => x);
    expect((e as PeerpropError).exitCode).toBe(2);
    expect((e as PeerpropError).message).toMatch(/trace-cmd cannot read/);
  });

  it('reads binary garbage without throwing: nothing but counted lines', async () => {
    const junk = Buffer.alloc(5000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 256;
    const { events, stats } = await readText(junk);
    expect(events).toEqual([]);
    expect(stats.format).toBe('unknown');
    expect(stats.lines).toBeGreaterThan(0);
    expect(Object.values(stats.skipped).reduce((a, s) => a + s.count, 0)).toBe(stats.lines);
  });

  it('reads an empty input as nothing', async () => {
    const { events, stats } = await readText('');
    expect(events).toEqual([]);
    expect(stats.lines).toBe(0);
    expect(stats.probeMap.chosenBy).toBe('none');
  });

  it('does not read a last line without newline (it may be cut in a value), and names it', async () => {
    const { events, stats } = await readText(render(BODY_30).join('\n'), { asIs: true });
    expect(stats.lines).toBe(4);
    expect(events.every((e) => e.line < 4)).toBe(true);
    expect(stats.skipped.cut).toEqual({ count: 1, lines: [4] });
    expect(stats.warnings).toContain('line 4: the input ends in the middle of this line (no newline): not read');
  });

  it('a value cut at the end of the input is never taken for a whole one', async () => {
    const lines = render(BODY_30);
    const last = lines.at(-1)!;
    // Cut the last line inside its first hexadecimal value.
    const at = last.search(/=[0-9a-f]{6,}/) + 5;
    const { events } = await readText([...lines.slice(0, -1), last.slice(0, at)].join('\n'), { asIs: true });
    expect(events.some((e) => e.line === lines.length)).toBe(false);
  });
});

describe('user probe maps', () => {
  it('decodes strings, signed values, big-endian addresses, functions matched by symbol', async () => {
    const map = parseProbeMap({
      name: 'user-test',
      ipv4: 'be',
      pairs: [{ entry: 'p_ipv4_dst_check_0', return: ['r_ipv4_dst_check_0'] }],
      rules: [
        { probe: 'p_ipv4_dst_check_0', emit: [{ kind: 'check', fields: { rt: 'arg1', obsolete: 'arg2', daddr: 'arg3', text: 'comm' } }] },
        { probe: 'r_ipv4_dst_check_0', emit: [{ kind: 'check_ret', fields: { rt: 'entry.arg1', ret: 'arg1' } }] },
        { func: 'rt_cache_flush', type: 'entry', emit: [{ kind: 'flush', set: { counter: 'rt' }, fields: { genid: 'g' } }] },
      ],
    }, 'user.json');
    const text = [
      '            bash-77    [001] d..1.    10.000001: p_ipv4_dst_check_0: (ipv4_dst_check+0x4/0x60) arg1=18446612688533259968 arg2=-2 arg3=0xa010005 comm="my task"',
      '            bash-77    [001] d..1.    10.000002: r_ipv4_dst_check_0: (sk_dst_check+0xad/0xc0 <- ipv4_dst_check) arg1=0',
      '            bash-77    [001] d..1.    10.000003: some_flush_probe: (rt_cache_flush+0x4/0x20) g=0x10',
    ].join('\n');
    const { events, stats } = await readText(text, { probeMap: map });
    expect(stats.probeMap).toMatchObject({ name: 'user-test', chosenBy: 'user', source: 'user.json' });
    expect(events.map(plain)).toEqual([
      expect.objectContaining({ kind: 'check', rt: '0xffff8881813d06c0', obsolete: -2, daddr: '10.1.0.5', text: 'my task' }),
      expect.objectContaining({ kind: 'check_ret', rt: '0xffff8881813d06c0', ret: '0x0' }),
      expect.objectContaining({ kind: 'flush', genid: 16, counter: 'rt', probe: 'rt_cache_flush' }),
    ]);
  });

  it('says when no map knows the probes', async () => {
    const { events, stats } = await readText('            bash-77    [001] .....    10.0: other_probe: (x+0x0/0x1) a=1\n');
    expect(events).toEqual([]);
    expect(stats.probeMap.chosenBy).toBe('none');
    expect(stats.probeMap.reason).toMatch(/no built-in map knows the probes seen \(other_probe\)/);
    expect(stats.unknownEvents).toEqual({ other_probe: 1 });
  });
});

describe('bounded memory on garbage', () => {
  it('drops an overlong line (no newline for megabytes) and keeps counting', async () => {
    const long = 'x'.repeat(3 << 20);
    const text = [render(BODY_30.slice(0, 1))[0], long, render(BODY_30.slice(0, 1))[0]].join('\n') + '\n';
    const p = tmpFile('long.txt', text);
    const { events, stats } = await readTrace(p, { probeMap: builtinProbeMaps().find((m) => m.name === 'linux-3.0-seed') });
    expect(stats.lines).toBe(3);
    expect(events.map((e) => e.line)).toEqual([1, 3]);
    expect(stats.skipped.malformed.lines).toEqual([2]);
    expect(stats.skipped.malformed.reasons![0]).toMatch(/line longer than/);
  });

  it('keeps at most 1000 unknown probe names', async () => {
    const lines = Array.from({ length: 1500 }, (_, i) => `  bash-1 [000] ..... 1.0: probe_${i}: (x+0x0/0x1) a=1`);
    const { stats } = await readText(lines.join('\n'));
    expect(Object.keys(stats.unknownEvents)).toHaveLength(1001);
    expect(stats.unknownEvents['(other)']).toBe(500);
    expect(stats.skipped.unknownEvent.count).toBe(1500);
  });
});

import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { analyseConsole, expandCapture, parseCapture, traceEventCount } from '../../src/harness/capture.ts';

const shared = resolve(import.meta.dirname, '../../../shared/traces');

describe('parseCapture on a real ttyS1 capture (Debian 6.1, CRLF)', () => {
  it('reads the kernel, every probe outcome with its error_log, the dynamic events and the trace', async () => {
    const text = await readFile(resolve(shared, '6.1.0-56-cloud-amd64.tcg.ttyS1-trace.txt'), 'utf8');
    const c = parseCapture(text);
    expect(c.kernel).toBe('6.1.0-56-cloud-amd64');
    const raw = text.split('\n');
    expect(c.probesOk.length).toBe(raw.filter((l) => l.startsWith('@@PROBE_OK')).length);
    expect(c.probesFailed.length).toBe(raw.filter((l) => l.startsWith('@@PROBE_FAIL')).length);
    expect(c.probesOk[0]).toMatch(/^p:rtg\/dst_check ipv4_dst_check /);
    expect(c.dynamicEvents.some((l) => l.startsWith('r10:rtg/dst_check_ret'))).toBe(true);
    expect(c.trace?.complete).toBe(true);
    expect(c.trace!.lines.some((l) => l.includes('tracing_mark_write: STEP setup'))).toBe(true);
    expect(traceEventCount(c)).toBeGreaterThan(400);
    // firstLine points at the capture's first trace line.
    expect(raw[c.trace!.firstLine - 1]!.replace(/\r$/, '')).toBe(c.trace!.lines[0]);
  });

  it('keeps the harness protocol of our own init: symbols, skips, workload records, the done mark', () => {
    const c = parseCapture(
      [
        '@@KERNEL 6.12.117+deb12-cloud-amd64',
        '@@TRACEFS /sys/kernel/tracing',
        '@@SYM ipv4_dst_check ipv4_dst_check',
        '@@SYM rt_set_nexthop rt_set_nexthop.constprop.0',
        '@@SYM_END',
        '@@PROBE_SKIP rtg/rt_bind_exception rt_bind_exception',
        '@@PROBE_FAIL f:rtg/x ipv4_dst_check dst->obsolete',
        '@@ERRLOG [    2.7] trace_fprobe: error: Invalid argument',
        '@@PROBE_OK p:rtg/x ipv4_dst_check dst=%di:x64',
        '@@PROBES ok=1 fail=1 skip=1',
        '@@WORKLOAD_BEGIN rc=0',
        '@@WL_START scenarios=udp-pmtu',
        '@@WL_END rc=0',
        '@@WORKLOAD_END',
        '@@TRACE_BEGIN',
        '# tracer: nop',
        '@@TRACE_END',
        '@@DONE',
      ].join('\r\n'),
    );
    expect(c.symbols).toEqual({ ipv4_dst_check: 'ipv4_dst_check', rt_set_nexthop: 'rt_set_nexthop.constprop.0' });
    expect(c.symbolsComplete).toBe(true);
    expect(c.probesSkipped).toEqual([{ event: 'rtg/rt_bind_exception', symbol: 'rt_bind_exception' }]);
    expect(c.probesFailed[0]!.errors[0]).toMatch(/Invalid argument/);
    expect(c.probeSummary).toEqual({ ok: 1, fail: 1, skip: 1 });
    expect(c.workload?.rc).toBe(0);
    expect(c.workload?.lines.map((l) => l.text)).toEqual(['@@WL_START scenarios=udp-pmtu', '@@WL_END rc=0']);
    expect(traceEventCount(c)).toBe(0);
    expect(c.done).toBe(true);
  });
});

describe('analyseConsole', () => {
  it('sees init and workload progress on a real console', async () => {
    const a = analyseConsole(await readFile(resolve(shared, '6.1.0-56-cloud-amd64.tcg.console.txt'), 'utf8'));
    expect(a.initStarted).toBe(true);
    expect(a.panic).toBeUndefined();
    expect(a.oops).toEqual([]);
    expect(a.lastLines.at(-1)).toMatch(/reboot: Power down/);
    expect(a.lastLines.join('\n')).not.toMatch(/\x1b/);
  });

  it('finds a panic and an oops, with the last lines for the report', () => {
    const a = analyseConsole(
      '\x1bc[    0.9] BUG: kernel NULL pointer dereference, address: 0000000000000008\n[    1.0] Oops: 0000 [#1] PREEMPT SMP\n[    1.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n',
    );
    expect(a.panic).toBe('Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100');
    expect(a.oops.length).toBe(2);
    expect(a.initStarted).toBe(false);
  });
});

describe('expandCapture', () => {
  it('turns gzip sections back into BEGIN/END text, byte-exact, around plain lines', () => {
    const trace = '# tracer: nop\n  tunwl-90 [000] ..... 4.0: tracing_mark_write: STEP udp-pmtu begin\n';
    const wl = '@@WL_START scenarios=udp-pmtu\n@@WL_END rc=0\n';
    const gz1 = gzipSync(Buffer.from(wl));
    const gz2 = gzipSync(Buffer.from(trace));
    const raw = Buffer.concat([
      Buffer.from('@@KERNEL 6.1.0\n'),
      Buffer.from(`@@WORKLOAD_GZ ${gz1.length} rc=0\n`), gz1, Buffer.from('\n'),
      Buffer.from('@@DYNAMIC_EVENTS_BEGIN\np:rtg/x y\n@@DYNAMIC_EVENTS_END\n'),
      Buffer.from(`@@TRACE_GZ ${gz2.length} \n`), gz2, Buffer.from('\n'),
      Buffer.from('@@DONE\n'),
    ]);
    const text = expandCapture(raw);
    expect(text).toBe(
      '@@KERNEL 6.1.0\n@@WORKLOAD_BEGIN rc=0\n' + wl + '@@WORKLOAD_END\n@@DYNAMIC_EVENTS_BEGIN\np:rtg/x y\n@@DYNAMIC_EVENTS_END\n@@TRACE_BEGIN\n' + trace + '@@TRACE_END\n@@DONE\n',
    );
    const c = parseCapture(text);
    expect(c.workload?.rc).toBe(0);
    expect(c.trace?.complete).toBe(true);
    expect(traceEventCount(c)).toBe(1);
    expect(c.done).toBe(true);
  });

  it('marks a truncated section (the guest died while sending) instead of producing garbage', () => {
    const gz = gzipSync(Buffer.from('x\n'.repeat(1000)));
    const text = expandCapture(Buffer.concat([Buffer.from(`@@TRACE_GZ ${gz.length}\n`), gz.subarray(0, 10)]));
    expect(text).toBe(`@@TRACE_GZ_DAMAGED expected ${gz.length} bytes, got 10\n`);
    expect(parseCapture(text).trace).toBeUndefined();
  });

  it('marks a complete section whose gzip fails its CRC or carries garbage, with the reason: no trace, not a shorter one', () => {
    const gz = gzipSync(Buffer.from('  tunwl-90 [000] ..... 4.0: tracing_mark_write: STEP udp-pmtu begin\n'.repeat(200)));
    const crc = Buffer.from(gz);
    crc[crc.length - 6]! ^= 0x40;
    const garbage = Buffer.concat([gz, Buffer.from('xx')]);
    for (const [blob, why] of [[crc, 'gzip data damaged (incorrect data check)'], [garbage, 'gzip data']] as const) {
      const text = expandCapture(Buffer.concat([Buffer.from(`@@TRACE_GZ ${blob.length}\n`), blob, Buffer.from('\n@@DONE\n')]));
      expect(text.startsWith(`@@TRACE_GZ_DAMAGED expected ${blob.length} bytes, got ${blob.length}: ${why}`), text).toBe(true);
      const c = parseCapture(text);
      expect(c.trace).toBeUndefined();
      expect(c.damaged[0]).toContain(why);
    }
  });
});

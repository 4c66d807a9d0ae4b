/**
 * A learned layout is taken for a later line only when every `name=` matches in full: two args
 * of one length and first letter (here `mtu=` and `mxu=`, like `dst=` and `dev=`) printed in the
 * other order (a probe defined again with its args swapped) must never be read for each other,
 * on the byte path or the text path.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProbeMap, readTrace } from '../../src/trace/index.ts';

const L = (ts: string, body: string): string => `            ping-100     [001] d..1.   ${ts}: ${body}`;
const TRACE = [
  '# tracer: nop',
  L('10.000001', 'upd: (ip_rt_update_pmtu+0x0/0x80) rt=0xffff888004a1b300 mtu=1400 mxu=7'),
  L('10.000002', 'upd: (ip_rt_update_pmtu+0x0/0x80) rt=0xffff888004a1b300 mtu=1300 mxu=8'),
  L('10.000003', 'upd: (ip_rt_update_pmtu+0x0/0x80) rt=0xffff888004a1b300 mxu=9 mtu=1200'),
  L('10.000004', 'upd: (ip_rt_update_pmtu+0x0/0x80) rt=0xffff888004a1b300 mxu=10 mtu=1100'),
  L('10.000005', 'upd: (ip_rt_update_pmtu+0x0/0x80) rt=0xffff888004a1b300 mtu=1000 mxu=11'),
].join('\n') + '\n';

const MAP = parseProbeMap({
  name: 'same-length-names',
  rules: [{ probe: 'upd', emit: [{ kind: 'pmtu', fields: { rt: 'rt', mtu: 'mtu', genid: 'mxu' } }] }],
}, 'same-length-names.json');

describe('layouts with args of one length and first letter', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'peerprop-layout-names-')), 'trace.txt');
  writeFileSync(file, TRACE);
  it.each([false, true])('reads each value under its own name (text path: %s)', async (textPath) => {
    const { events } = await readTrace(file, { probeMap: MAP, textPath });
    expect(events.map((e) => [e.line, (e as { mtu?: number }).mtu, (e as { genid?: number }).genid])).toEqual([
      [2, 1400, 7],
      [3, 1300, 8],
      [4, 1200, 9],
      [5, 1100, 10],
      [6, 1000, 11],
    ]);
  });
});

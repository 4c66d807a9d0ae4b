import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { generateProbes, resolveAgainstKallsyms, parseKallsymsAnswer, renderKprobeEvents, type ProbeSet } from '../../src/probes/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { realKernel } from '../kernel/real-kernels.ts';

const q = $({ quiet: true, nothrow: true });
const haveBusybox = (await q`command -v busybox`).exitCode === 0;

/** A /proc/kallsyms as a guest would show it, built from the set's own wants minus some. */
function fakeKallsyms(set: ProbeSet, absent: Set<string>): string {
  const lines: string[] = [
    'ffffffff81000000 T _stext',
    'ffffffff81a00000 t rt_set_nexthop.constprop.0',
    'ffffffff81a00100 t rt_set_nexthop.cold',
    'ffffffff81a00200 t ipv4_dst_check.cold',
    'ffffffffc0000000 t tun_chr_open\t[tun]',
  ];
  let a = 0x81b00000;
  for (const s of set.kallsyms.symbols) {
    if (absent.has(s) || s === 'rt_set_nexthop') continue;
    lines.push(`ffffffff${(a += 0x40).toString(16)} t ${s}`);
  }
  return lines.join('\n') + '\n';
}

async function runScript(set: ProbeSet, kallsyms: string, shell: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-ksym-'));
  const file = path.join(dir, 'kallsyms');
  await writeFile(file, kallsyms);
  // The script reads /proc/kallsyms; the test points it at the fake file.
  const script = set.kallsyms.script.replace('/proc/kallsyms', file);
  const r = await $({ quiet: true })`${shell} -c ${script}`;
  return r.stdout;
}

describe('one-pass kallsyms check', () => {
  let set: ProbeSet;
  beforeAll(async () => {
    set = await generateProbes(await realKernel('debian'));
  });

  for (const shell of [['sh'], ...(haveBusybox ? [['busybox', 'sh']] : [])]) {
    it(`${shell.join(' ')}: finds symbols and clones, drops what the guest lacks, updates coverage`, async () => {
      const absent = new Set(['fib_nhc_update_mtu', 'rt_flush_dev']);
      const answer = await runScript(set, fakeKallsyms(set, absent), shell);
      expect(answer.trim().split('\n').pop()).toBe('@@SYM_END');
      const found = parseKallsymsAnswer(answer);
      expect(found.get('rt_set_nexthop')).toBe('rt_set_nexthop.constprop.0');
      expect(found.get('ipv4_dst_check')).toBe('ipv4_dst_check');
      expect(found.has('fib_nhc_update_mtu')).toBe(false);

      const final = resolveAgainstKallsyms(set, answer);
      expect(final.probes.find((p) => p.event === 'rt_set_nexthop')?.line).toBe('p:rtg/rt_set_nexthop rt_set_nexthop.constprop.0');
      expect(final.probes.some((p) => p.event === 'fib_nhc_update_mtu')).toBe(false);
      expect(final.dropped.map((d) => d.event).sort()).toEqual(['fib_nhc_update_mtu', 'rt_flush_dev']);
      expect(final.coverage.find((c) => c.function === 'rt_set_nexthop')).toMatchObject({ status: 'probed' });
      expect(final.coverage.find((c) => c.function === 'rt_flush_dev')).toMatchObject({ status: 'not-observable' });
      expect(final.probes.length).toBe(set.probes.length - 2);
      expect(renderKprobeEvents(final)).toContain('dropped rt_flush_dev');
    });
  }

  it('a function the guest inlined after all falls back to its documented callers', () => {
    const found = new Map(set.kallsyms.symbols.filter((s) => s !== 'rt_cache_flush').map((s) => [s, s]));
    const final = resolveAgainstKallsyms(set, found);
    const bump = final.coverage.find((c) => c.function === 'rt_genid_bump_ipv4')!;
    expect(bump.status).toBe('via-caller');
    expect(bump.via).toEqual(['ipv4_sysctl_rtcache_flush']);
  });

  it('an unfinished answer is refused', () => {
    expect(() => parseKallsymsAnswer('@@SYM ipv4_dst_check ipv4_dst_check\r\n')).toThrow(PeerpropError);
    expect(parseKallsymsAnswer('noise\r\n@@SYM a a.isra.0\r\n@@SYM_END\r\n').get('a')).toBe('a.isra.0');
  });

  it('the script is one awk pass over /proc/kallsyms', () => {
    expect(set.kallsyms.script.match(/\/proc\/kallsyms/g)?.length).toBe(1);
    expect(set.kallsyms.script.startsWith('awk ')).toBe(true);
    expect(set.kallsyms.symbols).toContain('ipv4_dst_check');
  });
});

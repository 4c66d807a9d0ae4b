import { describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { renderGuestInit, GUEST_PATHS } from '../../src/harness/guest-init.ts';

describe('guest /init', () => {
  it('is valid busybox sh (full and bare)', async () => {
    for (const script of [renderGuestInit(), renderGuestInit({ bare: true })]) {
      const r = await $({ quiet: true, nothrow: true, input: script })`busybox sh -n`;
      expect(r.exitCode, r.stderr).toBe(0);
    }
  });

  it('reads its inputs from the paths the initramfs writes', () => {
    const s = renderGuestInit();
    for (const p of [GUEST_PATHS.probes, GUEST_PATHS.symbols, GUEST_PATHS.groups, GUEST_PATHS.scenarios, GUEST_PATHS.workload, GUEST_PATHS.tunModule]) {
      expect(s).toContain(`/${p}`);
    }
    // one pass over kallsyms, by the workload binary, not one grep per symbol
    expect(s).toMatch(/--kallsyms/);
    expect(s).not.toMatch(/grep[^\n]*kallsyms/);
  });

  it('renames only the probed symbol token for a compiler clone', async () => {
    const s = renderGuestInit();
    const fn = s.slice(s.indexOf('rename_symbol() {'), s.indexOf('\n}\n', s.indexOf('rename_symbol() {')) + 3);
    const run = async (line: string) =>
      (await $({ quiet: true, input: `${fn}\nwant=rt_set_nexthop; name=rt_set_nexthop.constprop.0\nrename_symbol '${line}'\n` })`busybox sh`).stdout.trim();
    expect(await run('p:rtg/rt_set_nexthop rt_set_nexthop a=%di:x64')).toBe('p:rtg/rt_set_nexthop rt_set_nexthop.constprop.0 a=%di:x64');
    expect(await run('r:rtg/x rt_set_nexthop%return $retval')).toBe('r:rtg/x rt_set_nexthop.constprop.0%return $retval');
    expect(await run('p:rtg/y rt_set_nexthop_other a=%di')).toBe('p:rtg/y rt_set_nexthop_other a=%di');
  });
});

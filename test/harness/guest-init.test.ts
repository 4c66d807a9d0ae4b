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
    // one pass over kallsyms and one write of all probes, by the workload binary, not one grep per symbol
    expect(s).toMatch(/--register \$T /);
    expect(s).not.toMatch(/grep[^\n]*kallsyms/);
  });
});

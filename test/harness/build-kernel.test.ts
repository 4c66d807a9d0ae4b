import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_FRAGMENT_DIR, checkConfig, mergeFragments, requestedValues } from '../../src/harness/build-kernel.ts';

describe('config fragments', () => {
  it('ask for what a conform guest needs', async () => {
    const req = requestedValues([await readFile(join(CONFIG_FRAGMENT_DIR, 'conform.config'), 'utf8')]);
    for (const opt of ['KPROBES', 'KPROBE_EVENTS', 'TUN', 'SERIAL_8250_CONSOLE', 'BLK_DEV_INITRD', 'DEVTMPFS', 'INET', 'MODULES', 'PROC_SYSCTL', 'KALLSYMS']) {
      expect(req.get(`CONFIG_${opt}`), opt).toBe('y');
    }
  });

  it('reports a requested value missing from the final .config, as merge_config.sh does', () => {
    const frag = 'CONFIG_TUN=y\n# CONFIG_IPV6 is not set\nCONFIG_SERIAL_8250_NR_UARTS=4\n';
    expect(checkConfig('CONFIG_TUN=y\n# CONFIG_IPV6 is not set\nCONFIG_SERIAL_8250_NR_UARTS=4\n', [frag])).toEqual([]);
    expect(checkConfig('CONFIG_TUN=m\nCONFIG_IPV6=y\n', [frag])).toEqual([
      { option: 'CONFIG_TUN', requested: 'y', actual: 'm' },
      { option: 'CONFIG_IPV6', requested: 'n', actual: 'y' },
      { option: 'CONFIG_SERIAL_8250_NR_UARTS', requested: '4', actual: 'not set' },
    ]);
  });

  it('merges fragments over a base config, later fragments winning', () => {
    const merged = mergeFragments('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\n', ['CONFIG_B=y\n', '# CONFIG_C is not set\nCONFIG_B=m\n']);
    expect(checkConfig(merged, ['CONFIG_B=y\n', '# CONFIG_C is not set\nCONFIG_B=m\n'])).toEqual([]);
    expect(merged).toContain('CONFIG_A=y');
  });
});

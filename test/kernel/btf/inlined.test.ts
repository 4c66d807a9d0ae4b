/**
 * inlineVerdicts: inlined-everywhere vs absent from the DWARF (pfunct), and its one cache per
 * kernel work directory, shared by the era decision and the probe generator: a function is asked
 * once per vmlinux, and a rebuilt vmlinux at the same path is asked again. A stand-in `pfunct` on
 * PATH logs each question (the real one takes a DWARF vmlinux and a second per function).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineVerdicts } from '../../../src/kernel/btf/inlined.ts';

let dir: string;
let oldPath: string | undefined;
const asked = () => readFileSync(join(dir, 'asked.log'), 'utf8').split('\n').filter(Boolean);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peerprop-inlined-'));
  writeFileSync(join(dir, 'asked.log'), '');
  // Knows two functions, as the DWARF of a 2.6.39 build would (inlined: a prototype, no address).
  writeFileSync(
    join(dir, 'pfunct'),
    `#!/bin/sh\necho "$2" >> "${join(dir, 'asked.log')}"\ncase "$2" in\n  check_peer_redir) echo "void check_peer_redir(struct dst_entry * dst, struct inet_peer * peer);" ;;\n  rt_init_metrics) echo "void rt_init_metrics(struct rtable * rt, const struct flowi4 * fl4, struct fib_info * fi);" ;;\nesac\nexit 0\n`,
  );
  chmodSync(join(dir, 'pfunct'), 0o755);
  writeFileSync(join(dir, 'vmlinux'), 'not really an ELF');
  oldPath = process.env.PATH;
  process.env.PATH = `${dir}:${process.env.PATH}`;
});
afterAll(() => {
  process.env.PATH = oldPath;
  rmSync(dir, { recursive: true, force: true });
});

describe('inlineVerdicts', () => {
  it('tells inlined from absent, asks each function once per vmlinux across callers, and again after a rebuild', async () => {
    const vmlinux = join(dir, 'vmlinux');
    const cache = join(dir, 'work', 'inlined.json');
    // The era decision first, then the probe generator with an overlapping list.
    expect(await inlineVerdicts(vmlinux, ['check_peer_redir'], cache)).toEqual({ inlined: ['check_peer_redir'], absent: [] });
    expect(await inlineVerdicts(vmlinux, ['ipv4_validate_peer', 'check_peer_redir', 'rt_init_metrics'], cache)).toEqual({
      inlined: ['check_peer_redir', 'rt_init_metrics'],
      absent: ['ipv4_validate_peer'],
    });
    expect(asked()).toEqual(['check_peer_redir', 'ipv4_validate_peer', 'rt_init_metrics']);
    // All known: nothing asked.
    expect(await inlineVerdicts(vmlinux, ['rt_init_metrics', 'ipv4_validate_peer'], cache)).toEqual({ inlined: ['rt_init_metrics'], absent: ['ipv4_validate_peer'] });
    expect(asked()).toHaveLength(3);
    // Another build at the same path: its answers may differ, so everything is asked again.
    utimesSync(vmlinux, new Date(), new Date(Date.now() + 5000));
    await inlineVerdicts(vmlinux, ['check_peer_redir'], cache);
    expect(asked()).toEqual(['check_peer_redir', 'ipv4_validate_peer', 'rt_init_metrics', 'check_peer_redir']);
  });

  it('without a cache file asks every time; a garbled cache is asked around, not believed', async () => {
    const vmlinux = join(dir, 'vmlinux');
    const before = asked().length;
    await inlineVerdicts(vmlinux, ['check_peer_redir']);
    await inlineVerdicts(vmlinux, ['check_peer_redir']);
    expect(asked().length).toBe(before + 2);
    const cache = join(dir, 'garbled.json');
    writeFileSync(cache, '{"key": 1, "verdicts": "inlined"');
    expect(await inlineVerdicts(vmlinux, ['check_peer_redir'], cache)).toEqual({ inlined: ['check_peer_redir'], absent: [] });
    expect(asked().length).toBe(before + 3);
  });
});

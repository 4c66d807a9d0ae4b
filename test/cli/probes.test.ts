import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProbeMap } from '../../src/trace/probemap.ts';
import { parseProbeLine } from '../../src/probes/grammar.ts';
import { realKernel } from '../kernel/real-kernels.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const run = (...argv: string[]): Promise<CliRun> => runCli(argv);

const definitions = (text: string) => text.split('\n').filter((l) => /^[prf]:/.test(l));

describe('peerprop probes', () => {
  it('--kernel debian (the default): 6.1 register-syntax kprobe_events with a header', async () => {
    const k = await realKernel('debian');
    const r = await run('probes');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`# peerprop probes for ${k.release}`);
    expect(r.out).toContain('# types: BTF of the vmlinux in');
    expect(r.out).toContain('rt_bind_exception (stamp) -> find_exception');
    const defs = definitions(r.out);
    expect(defs.length).toBeGreaterThan(20);
    for (const d of defs) expect('error' in parseProbeLine(d), d).toBe(false);
    expect(r.out).not.toMatch(/^p:\S+ \S+ \w+=\w+->/m);
  });

  it('--kernel debian-6.12: BTF argument names, fprobe exit, fallbacks', async () => {
    await realKernel('debian-6.12');
    const r = await run('probes', '--kernel', 'debian-6.12');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^p:rtg\/dst_check ipv4_dst_check dst=dst:x64 /m);
    expect(r.out).toMatch(/^f:rtg\/__ip_rt_update_pmtu_ret __ip_rt_update_pmtu%return /m);
    expect(r.out).toMatch(/^# fallback: p:rtg\/dst_check ipv4_dst_check dst=%di:x64 /m);
  });

  it('--format json is the whole ProbeSet; --format map a valid probe map', async () => {
    const j = await run('probes', '--format', 'json', '--era', 'fnhe');
    expect(j.code).toBe(0);
    const set = JSON.parse(j.out);
    expect(set.era).toBe('fnhe');
    expect(set.probes.length).toBeGreaterThan(20);
    expect(set.coverage.find((c: { function: string }) => c.function === 'rt_bind_exception').status).toBe('via-caller');
    const m = await run('probes', '--format', 'map');
    expect(m.code).toBe(0);
    expect(parseProbeMap(JSON.parse(m.out), 'stdout').rules.length).toBeGreaterThan(5);
  });

  it('--format bpftrace prints a script', async () => {
    const r = await run('probes', '--format', 'bpftrace', '--group', 'pp');
    expect(r.code).toBe(0);
    expect(r.out.startsWith('#!/usr/bin/env bpftrace')).toBe(true);
    expect(r.out).toContain('kretprobe:ipv4_dst_check');
  });

  it('--era seed on a modern kernel: what does not exist is reported, not invented', async () => {
    const r = await run('probes', '--era', 'seed', '--format', 'json');
    expect(r.code).toBe(0);
    const set = JSON.parse(r.out);
    const bind = set.coverage.find((c: { function: string }) => c.function === 'rt_bind_peer');
    expect(bind.status).toBe('unresolved');
    const dst = set.probes.find((p: { event: string }) => p.event === 'dst_check');
    expect(dst.dropped.map((d: { field: string }) => d.field)).toContain('rt_pgenid');
  });

  it('a bogus kernel path: exit 2, one line on stderr, nothing on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-cli-probes-'));
    const f = join(dir, 'bzImage');
    writeFileSync(f, 'not a kernel\n');
    for (const k of [f, join(dir, 'missing')]) {
      const r = await run('probes', '--kernel', k);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^peerprop: .*(not a bzImage|no such kernel image)/);
    }
  });

  it('bad options: exit 2', async () => {
    expect((await run('probes', '--format', 'xml')).code).toBe(2);
    expect((await run('probes', '--era', 'bronze')).code).toBe(2);
    expect((await run('probes', '--group', 'a/b')).code).toBe(2);
  });

  it('offline with no cache: exit 3, one line', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'pp-cli-cache-'));
    const prev = process.env.PEERPROP_CACHE;
    process.env.PEERPROP_CACHE = empty;
    try {
      const r = await run('probes', '--offline');
      expect(r.code).toBe(3);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    } finally {
      if (prev === undefined) delete process.env.PEERPROP_CACHE;
      else process.env.PEERPROP_CACHE = prev;
    }
  });
});

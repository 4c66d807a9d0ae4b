import { describe, it, expect, beforeAll } from 'vitest';
import { generateProbes, renderBpftrace, type ProbeSet } from '../../src/probes/index.ts';
import { realKernel } from '../kernel/real-kernels.ts';

/** Splits a bpftrace script into probe blocks: header line(s) + { body }. */
function blocks(script: string): { head: string; body: string }[] {
  const out: { head: string; body: string }[] = [];
  const lines = script.split('\n').filter((l) => !l.trim().startsWith('//') && !l.startsWith('#!'));
  let head = '';
  let body: string[] | undefined;
  let depth = 0;
  for (const l of lines) {
    if (body === undefined) {
      if (l.trim() === '{') {
        body = [];
        depth = 1;
      } else if (l.trim()) head = l.replace(/\/\/.*$/, '').trim();
      continue;
    }
    for (const c of l) depth += c === '{' ? 1 : c === '}' ? -1 : 0;
    if (depth === 0) {
      out.push({ head, body: body.join('\n') });
      body = undefined;
      head = '';
    } else body.push(l);
  }
  expect(body).toBeUndefined();
  return out;
}

/** printf("fmt", args...): the number of % conversions equals the number of arguments. */
function checkPrintf(body: string): void {
  const m = /printf\("((?:[^"\\]|\\.)*)"((?:.|\n)*?)\);/.exec(body);
  if (!m) return;
  const convs = (m[1]!.match(/%(?:ll|l)?[duxs]|%0?\d*ll[ud]|%0\d+d|%03d/g) ?? []).length;
  let depth = 0;
  let args = 0;
  for (const c of m[2]!) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) args++;
  }
  expect(args, m[1]).toBe(convs);
}

describe('bpftrace script', () => {
  const sets: Record<string, ProbeSet> = {};
  beforeAll(async () => {
    sets['6.1'] = await generateProbes(await realKernel('debian'));
    sets['6.12'] = await generateProbes(await realKernel('debian-6.12'));
  });

  for (const v of ['6.1', '6.12']) {
    it(`${v}: balanced blocks, one per probe (two for return probes), printf arity, casts to kernel types`, () => {
      const set = sets[v]!;
      const script = renderBpftrace(set);
      expect(script.startsWith('#!/usr/bin/env bpftrace\n')).toBe(true);
      const bs = blocks(script);
      expect(bs[0]!.head).toBe('BEGIN');
      const rets = set.probes.filter((p) => p.type === 'r' || p.type === 'fret').length;
      expect(bs.length).toBe(1 + set.probes.length + rets);
      for (const b of bs.slice(1)) {
        expect(b.head).toMatch(/^(kprobe|kretprobe):[A-Za-z_][A-Za-z0-9_.]*$/);
        checkPrintf(b.body);
        expect(b.body).not.toMatch(/%(di|si|dx|cx|r8|r9)\b/);
        expect(b.body).not.toMatch(/\$arg\d/);
      }
      // Same event names as the kprobe_events lines, in ftrace shape, so one probe map reads both.
      for (const p of set.probes) expect(script).toContain(`: ${p.event}: (`);
      expect(script).toContain('((struct rtable *)arg0)->rt_genid');
      expect(script).toContain('((struct dst_entry *)arg0)->dev->nd_net.net->ipv4.rt_genid.counter');
      expect(script).toContain('ksym(@dst_check_ret_caller[tid])');
      // The header says which kernel and which functions are observed via callers.
      expect(script).toContain(`// peerprop probes for ${set.kernel.release}`);
      expect(script).toContain('rt_bind_exception (stamp) -> find_exception');
    });
  }

  it('return probes that read arguments save them at entry', () => {
    const script = renderBpftrace(sets['6.12']!);
    expect(script).toContain('@__ip_rt_update_pmtu_ret_arg0[tid] = arg0;');
    expect(script).toContain('((struct rtable *)@__ip_rt_update_pmtu_ret_arg0[tid])->rt_pmtu');
  });
});

describe('bpftrace compiles the scripts (dry run against this machine\'s kernel BTF)', async () => {
  const { $ } = await import('zx');
  const { existsSync } = await import('node:fs');
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const q = $({ quiet: true, nothrow: true });
  const have = (await q`command -v bpftrace`).exitCode === 0 && existsSync('/sys/kernel/btf/vmlinux');
  it.skipIf(!have)('both kernels\' scripts pass bpftrace\'s semantic analysis and code generation', async () => {
    const help = (await q`bpftrace --help`).stderr + (await q`bpftrace --help`).stdout;
    const dry = help.includes('--dry-run') ? ['--dry-run'] : ['-d'];
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pp-bt-'));
    for (const spec of ['debian', 'debian-6.12'] as const) {
      const f = path.join(dir, `${spec}.bt`);
      await writeFile(f, renderBpftrace(await generateProbes(await realKernel(spec))));
      const r = await $({ quiet: true, nothrow: true, timeout: 120_000 })`bpftrace ${dry} ${f}`;
      const errors = (r.stdout + r.stderr).split('\n').filter((l) => /\bERROR\b/.test(l) && !/RLIMIT_MEMLOCK/.test(l));
      expect(errors, spec).toEqual([]);
      expect(r.exitCode, spec).toBe(0);
    }
  });
});

describe('what the bpftrace script prints reads back through the generated probe map', () => {
  it('every probe\'s printf, filled in, becomes the expected canonical event', async () => {
    const { readTrace, parseProbeMap } = await import('../../src/trace/index.ts');
    const { Readable } = await import('node:stream');
    const set = await generateProbes(await realKernel('debian'));
    const script = renderBpftrace(set);
    const formats = new Map<string, string>();
    for (const m of script.matchAll(/printf\("((?:[^"\\]|\\.)*)"/g)) {
      const ev = /: ([A-Za-z_0-9]+): \(/.exec(m[1]!);
      if (ev) formats.set(ev[1]!, m[1]!);
    }
    // A bpftrace printf, emulated: %s comm/caller, %d pid, %03d cpu, %llu.%06llu time, values.
    let t = 0;
    const fill = (fmt: string) => {
      let i = 0;
      t++;
      return fmt.replace(/\\n$/, '').replace(/%(?:0?\d*)?(?:ll|l)?[dusx]/g, (conv) => {
        const k = i++;
        if (k === 0) return 'tunwl';
        if (k === 1) return '98';
        if (k === 2) return '000';
        if (k === 3) return '5';
        if (k === 4) return String(100000 + t).padStart(6, '0');
        if (conv.endsWith('s')) return 'ip_route_output_key_hash';
        if (conv.endsWith('x')) return 'ff2bed91813d06c0';
        return '7';
      });
    };
    const order = ['out_key_hash_rcu', 'find_exception_ret', 'rt_dst_alloc_ret', 'out_key_hash_rcu_ret', 'dst_check', 'dst_check_ret', '__ip_rt_update_pmtu', 'update_or_create_fnhe', 'rt_cache_flush', 'sysctl_flush'];
    const lines = order.map((e) => JSON.stringify({ type: 'printf', data: fill(formats.get(e)!) + '\n' }));
    const map = parseProbeMap(set.probeMap, 'generated');
    const r = await readTrace('bpftrace.ndjson', { probeMap: map, format: 'bpftrace', input: Readable.from([lines.join('\n') + '\n']) });
    expect(r.stats.skipped.malformed.count).toBe(0);
    expect(r.stats.unknownEvents).toEqual({});
    expect(r.events.map((e) => e.kind)).toEqual(['fnhe', 'route', 'check', 'check_ret', 'pmtu', 'fnhe', 'flush', 'flush']);
    const route = r.events.find((e) => e.kind === 'route')!;
    expect(route).toMatchObject({ rt: '0xff2bed91813d06c0', rtGenid: 7, task: 'tunwl', pid: 98 });
    expect(route.daddr).toBeDefined(); // from the open out_key_hash_rcu call (context)
  });
});

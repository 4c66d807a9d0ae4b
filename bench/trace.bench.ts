/**
 * Trace reading speed and memory (`npm run bench trace`).
 *
 * Generates a large conforming trace (the reference model's own event stream,
 * src/model/generate.ts generateEvents, rendered as Linux 3.0 kprobe ftrace text exactly as the
 * real traces print it: bare hex, inlined binds seen through inet_getpeer and its caller, markers),
 * then measures, each in a fresh child process (so peak RSS is the reader's own):
 *   - `wc -l` on the same file (the floor),
 *   - parse only (openTrace → batches, events counted),
 *   - parse + replay (src/replay, the era given),
 *   - parse only again with the V8 heap capped at 64 MB (it completes only if memory is flat),
 * and prints MB/s, lines/s, events/s, CPU seconds and peak RSS (the process's own, including
 * Node and the tsx loader: about 90 MB before reading anything).
 *
 * Size: PEERPROP_BENCH_TRACE_MB (default 200). The file is kept in the temp dir between runs.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CanonicalEvent } from '../src/trace/events.ts';

const SELF = fileURLToPath(import.meta.url);

// ------------------------------------------------------------------ rendering as 3.0 ftrace text

/** 3.0 prints unsigned values in hex without 0x, IPv4 addresses as network-order u32. */
const hex = (n: number) => (n >>> 0).toString(16);
const ptr = (p: string | undefined) => (p === undefined ? '0' : p.replace(/^0x/, ''));
const ip = (a: string | undefined) => {
  if (!a) return '0';
  const b = a.split('.').map(Number);
  return hex(((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!) >>> 0);
};

/**
 * Renders the model's canonical events (in order) as the probe lines the 3.0 probes would print.
 * Stateful: a PMTU/redirect path's return line comes after its lookup, with the genid after.
 */
class SeedRenderer {
  private ts = 1;
  private g = 0;
  private open: { kind: 'frag' | 'update' | 'redirect'; mtu: number } | undefined;
  private pendingBind: CanonicalEvent | undefined;
  /** Live routes by pointer (last peer and destination), to show a reused pointer's old route freed. */
  private readonly live = new Map<string, { peer?: string; daddr?: string }>();
  private readonly task = '          peerwl-25    [000] ';

  private line(body: string): string {
    this.ts += 0.000013;
    return `${this.task}${this.ts.toFixed(6).padStart(12)}: ${body}\n`;
  }

  private closePath(newG: number): string {
    const o = this.open!;
    this.open = undefined;
    this.g = newG;
    if (o.kind === 'frag') return this.line(`frag_needed_ret: (icmp_unreach+0x262/0x280 <- ip_rt_frag_needed) ret=${hex(o.mtu)} g=${hex(newG)}`);
    if (o.kind === 'update') return this.line(`update_pmtu_ret: (tcp_v4_err+0x491/0x590 <- ip_rt_update_pmtu) g=${hex(newG)}`);
    return this.line(`redirect_ret: (icmp_redirect+0xbe/0x140 <- ip_rt_redirect) g=${hex(newG)}`);
  }

  render(e: CanonicalEvent): string {
    let out = '';
    if (this.open && e.kind !== 'bind' && e.kind !== 'bind_ret' && e.kind !== 'genid_bump') out += this.closePath(this.g);
    if (e.genid !== undefined && e.kind !== 'genid_bump') this.g = e.genid;
    switch (e.kind) {
      case 'check':
        return out + this.line(`dst_check: (ipv4_dst_check+0x0/0x1c0) rt=${ptr(e.rt)} peer=${ptr(e.peer)} rt_pgenid=${hex(e.rtGenid ?? 0)} g=${hex(e.genid ?? this.g)} dst=${ip(e.daddr)} gw=${ip(e.rtGateway)} flags=0 obsolete=${e.obsolete ?? -1}`);
      case 'check_ret':
        return out + this.line(`dst_check_ret: (sk_dst_check+0x2c/0x80 <- ipv4_dst_check) ret=${ptr(e.ret)} peer=${ptr(e.ret === '0x0' ? '0x0' : e.peer)} rt_pgenid=${hex(e.ret === '0x0' ? 0 : e.rtGenid ?? 0)} g=${hex(e.genid ?? this.g)} gw=${ip(e.ret === '0x0' ? undefined : e.rtGateway)} flags=0`);
      case 'bind':
        if (e.probe === 'bind') {
          this.pendingBind = e;
          return out + this.line(`bind: (rt_bind_peer+0x0/0x60) rt=${ptr(e.rt)} daddr=${ip(e.daddr)} create=${e.create ?? 0} peer=${ptr(e.peer)} rt_pgenid=${hex(e.rtGenid ?? 0)} g=${hex(e.genid ?? this.g)}`);
        }
        return out + this.line(`getpeer: (inet_getpeer+0x0/0x300) daddr=${ip(e.daddr)} family=2 create=${e.create ?? 0}`);
      case 'bind_ret':
        if (e.probe === 'bind_ret') {
          const b = this.pendingBind;
          this.pendingBind = undefined;
          return out +
            this.line(`bind_set: (rt_bind_peer+0x54/0x60) rt=${ptr(e.rt ?? b?.rt)} peer=${ptr(e.peer)} rt_pgenid=${hex(e.rtGenid ?? 0)} g=${hex(this.g)}`) +
            this.line(`bind_ret: (icmp_send+0x5e3/0x620 <- rt_bind_peer) g=${hex(this.g)}`);
        }
        return out + this.line(`getpeer_ret: (${e.caller ?? 'rt_bind_peer+0x21'}/0x1c0 <- inet_getpeer) peer=${ptr(e.peer)}`);
      case 'pmtu':
        if (e.rt !== undefined) {
          this.open = { kind: 'update', mtu: e.mtu ?? 0 };
          return out + this.line(`update_pmtu: (ip_rt_update_pmtu+0x0/0x120) rt=${ptr(e.rt)} mtu=${hex(e.mtu ?? 0)} peer=${ptr(e.peer)} rt_pgenid=${hex(e.rtGenid ?? 0)} g=${hex(this.g)}`);
        }
        this.open = { kind: 'frag', mtu: e.mtu ?? 0 };
        return out + this.line(`frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=${ip(e.daddr)} tot_len=9405 new_mtu=${hex(e.mtu ?? 0)} g=${hex(this.g)}`);
      case 'redirect':
        this.open = { kind: 'redirect', mtu: 0 };
        return out + this.line(`redirect: (ip_rt_redirect+0x0/0x1d0) old_gw=${ip(e.oldGateway)} daddr=${ip(e.daddr)} new_gw=${ip(e.gateway)} saddr=200000a g=${hex(this.g)}`);
      case 'genid_bump':
        if (this.open) return out + this.closePath(e.new ?? this.g);
        // A bump with no path event of its own: the 3.0 probes see bumps only inside a PMTU path.
        this.open = { kind: 'frag', mtu: 576 };
        return out + this.line(`frag_needed: (ip_rt_frag_needed+0x0/0x160) daddr=909090a tot_len=9405 new_mtu=240 g=${hex(this.g)}`) + this.closePath(e.new ?? this.g);
      case 'flush':
        return out + this.line(`cache_flush: (rt_cache_flush+0x0/0x60) delay=-1 g=${hex(this.g)}`);
      case 'route_free':
        if (e.rt !== undefined) this.live.delete(e.rt);
        return out + this.line(`dst_destroy: (ipv4_dst_destroy+0x0/0x70) rt=${ptr(e.rt)} peer=${ptr(e.peer)} dst=${ip(e.daddr)}`);
      case 'marker':
        return out + this.line(`0: ${e.text ?? ''}`);
      case 'route': {
        // Route creation has no probe line of its own in 3.0 (the getpeer return of rt_set_nexthop
        // shows it, without the pointer). The generator may reuse a live route's pointer for a new
        // route: show the old one destroyed first, as the kernel would before reusing it.
        const old = e.rt !== undefined ? this.live.get(e.rt) : undefined;
        if (e.rt !== undefined) this.live.set(e.rt, { peer: e.peer, daddr: e.daddr });
        if (old) return out + this.line(`dst_destroy: (ipv4_dst_destroy+0x0/0x70) rt=${ptr(e.rt)} peer=${ptr(old.peer)} dst=${ip(old.daddr)}`);
        return out;
      }
      default:
        return out;
    }
  }
}

async function generate(file: string, bytes: number): Promise<void> {
  const { generateEvents } = await import('../src/model/generate.ts');
  const out = createWriteStream(file);
  out.write('# tracer: nop\n#\n#           TASK-PID    CPU#    TIMESTAMP  FUNCTION\n#              | |       |          |         |\n');
  const r = new SeedRenderer();
  let written = 0;
  let buf = '';
  let n = 0;
  for (const e of generateEvents('pmtu-redirect', { seed: 7, count: Number.MAX_SAFE_INTEGER })) {
    buf += r.render(e);
    if (++n % 50 === 0) buf += r.render({ kind: 'marker', file: '', line: 0, text: `=== WL step ${n / 50}: bench` });
    if (buf.length > 1 << 20) {
      written += buf.length;
      if (!out.write(buf)) await new Promise<void>((res) => out.once('drain', () => res()));
      buf = '';
      if (written >= bytes) break;
    }
  }
  out.write(buf);
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
}

// ------------------------------------------------------------------ measuring (child processes)

interface ChildResult {
  mode: string;
  wall: number;
  cpu: number;
  lines: number;
  events: number;
  bytes: number;
  maxRssMB: number;
  verdict?: string;
  divergences?: number;
}

async function child(mode: string, file: string): Promise<void> {
  const { openTrace } = await import('../src/trace/index.ts');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const reader = await openTrace(file);
  let events = 0;
  let verdict: string | undefined;
  let divergences: number | undefined;
  if (mode === 'replay') {
    const { replay } = await import('../src/replay/index.ts');
    const counting = (async function* () {
      for await (const b of reader.batches()) {
        events += b.length;
        yield b;
      }
    })();
    const rep = await replay(counting, { era: 'pmtu-redirect', maxDivergences: 10 });
    verdict = rep.verdict;
    divergences = (rep as unknown as { divergenceCount?: number; divergences: unknown[] }).divergenceCount ?? rep.divergences.length;
  } else {
    for await (const b of reader.batches()) events += b.length;
  }
  const wall = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const res: ChildResult = {
    mode, wall, cpu: (cu.user + cu.system) / 1e6, lines: reader.stats.lines, events, bytes: reader.stats.bytes,
    maxRssMB: process.resourceUsage().maxRSS / 1024, verdict, divergences,
  };
  process.stdout.write(JSON.stringify(res));
}

function runChild(mode: string, file: string, v8flags: string[] = []): ChildResult {
  const r = spawnSync(process.execPath, [...v8flags, '--import', 'tsx/esm', SELF, '--child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

function wcLines(file: string): { wall: number; lines: number } {
  const t0 = performance.now();
  const r = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
  return { wall: (performance.now() - t0) / 1000, lines: Number(r.stdout.trim().split(/\s+/)[0]) };
}

export async function run(): Promise<void> {
  const mb = Number(process.env.PEERPROP_BENCH_TRACE_MB ?? 200);
  const file = join(tmpdir(), `peerprop-bench-trace-3.0-${mb}MB.txt`);
  if (!existsSync(file) || statSync(file).size < mb * 1e6) {
    const t0 = performance.now();
    await generate(file, mb * 1e6);
    process.stdout.write(`generated ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const size = statSync(file).size / 1e6;
  wcLines(file); // warm the page cache
  const wc = wcLines(file);
  process.stdout.write(`trace: ${file}, ${size.toFixed(0)} MB, ${wc.lines} lines\n`);
  process.stdout.write(`wc -l            ${wc.wall.toFixed(2)} s  ${(size / wc.wall).toFixed(0)} MB/s  (the floor)\n`);
  // The last run caps the V8 heap far below the trace size: it completes only if memory is flat.
  const runs: [string, string, string[]][] = [
    ['parse', 'parse only', []],
    ['replay', 'parse+replay', []],
    ['parse', 'parse, 64MB heap', ['--max-old-space-size=64', '--max-semi-space-size=4']],
  ];
  for (const [mode, label, flags] of runs) {
    let r: ChildResult;
    try {
      r = runChild(mode, file, flags);
    } catch (e) {
      process.stdout.write(`${label}: ${(e as Error).message.split('\n')[0]}\n`);
      continue;
    }
    // Rates per wall second and per CPU second (the machine may be shared: CPU time is the fairer figure).
    process.stdout.write(
      `${label.padEnd(17)} ${r.wall.toFixed(2)} s wall: ${(size / r.wall).toFixed(1)} MB/s ${(r.events / r.wall / 1e6).toFixed(2)} M events/s | ` +
        `${r.cpu.toFixed(2)} s cpu: ${(size / r.cpu).toFixed(1)} MB/s ${(r.lines / r.cpu / 1e6).toFixed(2)} M lines/s ${(r.events / r.cpu / 1e6).toFixed(2)} M events/s | ` +
        `peak RSS ${r.maxRssMB.toFixed(0)} MB (${r.events} events` + (r.verdict ? `, ${r.verdict}, ${r.divergences} divergences` : '') + ')\n',
    );
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);

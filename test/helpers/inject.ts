/**
 * Fault injection for replay tests: take a REAL trace and return a copy (in a temp dir) with ONE
 * protocol fault written into it, and the line where the fault is. Edits are made on the text
 * with the trace's own conventions (3.0 prints hex without 0x; CRLF line ends kept), so the
 * faulty copy reads exactly like a trace of a broken kernel.
 *
 *   const f = await injectFault('traces/linux-3.0.1_run1-s1.ftrace.txt', 'genid-not-restamped');
 *   // f.path: the faulty copy; f.line: 1-based line of the fault; f.before / f.after: that line
 *
 * Seed era (Linux 3.0 probes: dst_check/dst_check_ret, getpeer/getpeer_ret, g=, rt_pgenid=):
 * - 'genid-not-restamped'    a check that took the slow path (rt_pgenid != g at entry) returns the
 *                            route with its OLD rt_pgenid (the stamp was skipped);
 * - 'lookup-created-peer'    the check's lookup-only bind (getpeer create=0 from ipv4_dst_check)
 *                            returns a new peer although the destination had none;
 * - 'stale-genid-after-check' a route checked and re-stamped shows an older rt_pgenid at its next
 *                            check although nothing reset it;
 * - 'bump-without-cause'     the global genid g moves at a line outside frag_needed / redirect /
 *                            update_pmtu (every later g is one higher);
 * - 'valid-after-flush'      a check of a flushed route (obsolete=2) returns the route instead of 0.
 * - 'redirect-not-applied'   a check whose check_peer_pmtu shows a learned redirect other than the
 *                            route's gateway returns the route with its old gateway and no
 *                            RTCF_REDIRECTED (check_peer_redir skipped);
 * - 'route-mtu-not-applied'  (traces with the generated probes' mtu= and jiffies= fields) a check
 *                            whose check_peer_pmtu shows an unexpired learned PMTU below the route's
 *                            MTU returns the route with its old MTU.
 * Modern era (Debian 6.1 rtg probes: dst_check with rt_genid/net_rt_genid/obsolete, dst_check_kret):
 * - 'valid-after-flush'      a check with rt_genid != net_rt_genid returns the dst;
 * - 'dst-after-exception-kill' a check of a route killed by an exception (obsolete=-2) returns it;
 * - 'net-genid-backwards'    net_rt_genid goes down by one on one line.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export type FaultKind =
  | 'genid-not-restamped'
  | 'lookup-created-peer'
  | 'stale-genid-after-check'
  | 'bump-without-cause'
  | 'valid-after-flush'
  | 'redirect-not-applied'
  | 'route-mtu-not-applied'
  | 'dst-after-exception-kill'
  | 'net-genid-backwards';

export const FAULT_KINDS: readonly FaultKind[] = [
  'genid-not-restamped', 'lookup-created-peer', 'stale-genid-after-check', 'bump-without-cause',
  'valid-after-flush', 'redirect-not-applied', 'route-mtu-not-applied', 'dst-after-exception-kill', 'net-genid-backwards',
];

export interface TextInjection {
  fault: FaultKind;
  text: string;
  /** 1-based line number of the (first) edited line: where replay must report the fault. */
  line: number;
  before: string;
  after: string;
  /** Other lines edited to keep the trace coherent (1-based), if any. */
  alsoEdited: number[];
  /** How many places in this trace the fault could have been injected. */
  candidates: number;
  note: string;
}

export interface Injection extends TextInjection {
  /** The faulty copy. */
  path: string;
}

interface Line {
  /** 1-based. */
  no: number;
  text: string;
  /** Line ending kept as it was ('\r\n', '\n' or ''). */
  eol: string;
  task: string;
  event: string;
  caller?: string;
  args: Map<string, string>;
}

const EVENT_RE = /^\s*(.+)-(\d+)\s+(?:\([^)]*\)\s+)?\[(\d+)\]\s+(?:\S{1,8}\s+)?(\d+\.\d+):\s+([^:\s]+):\s*(.*)$/;

function splitLines(text: string): Line[] {
  const out: Line[] = [];
  let pos = 0;
  let no = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    let body = text.slice(pos, end);
    let eol = nl === -1 ? '' : '\n';
    if (body.endsWith('\r')) {
      body = body.slice(0, -1);
      eol = '\r' + eol;
    }
    no++;
    const m = EVENT_RE.exec(body);
    const args = new Map<string, string>();
    let caller: string | undefined;
    let task = '';
    let event = '';
    if (m) {
      task = `${m[1]!.trim()}-${m[2]}`;
      event = m[5]!;
      const c = /^\((\S+)\s+<-\s+\S+\)/.exec(m[6]!);
      if (c) caller = c[1]!.replace(/\+.*$/, '');
      for (const a of m[6]!.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) args.set(a[1]!, a[2]!);
    }
    out.push({ no, text: body, eol, task, event, caller, args });
    pos = nl === -1 ? text.length : nl + 1;
  }
  return out;
}

function join_(lines: Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

/** Replace the value of `name=` in a line. */
function setArg(l: Line, name: string, value: string): void {
  const re = new RegExp(`(^|\\s)${name}=\\S+`);
  if (!re.test(l.text)) throw new Error(`inject: line ${l.no} has no ${name}=`);
  l.text = l.text.replace(re, `$1${name}=${value}`);
  l.args.set(name, value);
}

/** Numbers as the trace prints them: 0x hex, bare hex (3.0 style) or decimal. */
function num(v: string, bareHex: boolean): number {
  if (v.startsWith('-')) return parseInt(v, 10);
  if (/^0x/i.test(v)) return parseInt(v.slice(2), 16);
  return bareHex ? parseInt(v, 16) : parseInt(v, 10);
}
function fmt(n: number, like: string, bareHex: boolean): string {
  if (/^0x/i.test(like)) return '0x' + (n >>> 0).toString(16);
  return bareHex ? (n >>> 0).toString(16) : String(n);
}

/** A trace in the 3.0 seed style prints unsigned values in bare hex. */
function isSeedStyle(lines: Line[]): boolean {
  return lines.some((l) => l.event === 'dst_check' && l.args.has('rt_pgenid'));
}

function pick<T>(cands: T[], occurrence: number, fault: FaultKind): T {
  if (cands.length === 0) throw new Error(`inject: no place for '${fault}' in this trace`);
  return cands[Math.min(Math.max(0, occurrence), cands.length - 1)]!;
}

/** The return lines of the call opened at `entry` (same task, before the next entry of the same probe). */
function returnsOf(lines: Line[], i: number, entryProbe: string, returns: string[]): number[] {
  const out: number[] = [];
  for (let j = i + 1; j < lines.length && j < i + 200; j++) {
    const l = lines[j]!;
    if (l.task !== lines[i]!.task) continue;
    if (l.event === entryProbe) break;
    if (returns.includes(l.event)) out.push(j);
  }
  return out;
}

/**
 * Of the return probes of one call, the one that names its caller: with two kretprobes on one
 * function the other prints `[unknown/kretprobe'd]` and readers take the named one.
 */
function mainReturn(lines: Line[], rets: number[]): number {
  return rets.find((j) => lines[j]!.caller !== undefined && !lines[j]!.caller!.startsWith('[')) ?? rets[0]!;
}

function fresh(lines: Line[], like: string): string {
  // A pointer value that appears nowhere in the trace, in the same style.
  const text = lines.map((l) => l.text).join('\n');
  const base = like.replace(/^0x/, '');
  for (let k = 0xf00; k < 0xfff0; k += 0x40) {
    const cand = base.slice(0, Math.max(0, base.length - 4)) + k.toString(16).padStart(4, '0');
    const v = like.startsWith('0x') ? '0x' + cand : cand;
    if (!text.includes(v)) return v;
  }
  throw new Error('inject: no fresh pointer');
}

/** Inject `fault` into trace text. Pure; throws when the trace offers no place for it. */
export function injectFaultText(text: string, fault: FaultKind, occurrence = 0): TextInjection {
  const lines = splitLines(text);
  const seed = isSeedStyle(lines);
  const also: number[] = [];
  let target: Line;
  let note: string;
  let candidates: number;
  const checks = lines.map((l, i) => (l.event === 'dst_check' ? i : -1)).filter((i) => i >= 0);
  switch (fault) {
    case 'redirect-not-applied':
    case 'route-mtu-not-applied': {
      if (!seed) throw new Error(`inject: '${fault}' needs a seed-era trace (check_pmtu)`);
      const c: number[] = [];
      for (const i of checks) {
        const e = lines[i]!;
        const rets = returnsOf(lines, i, 'dst_check', ['dst_check_ret']);
        if (rets.length === 0) continue;
        const j = mainReturn(lines, rets);
        const r = lines[j]!;
        if (num(r.args.get('ret') ?? '0', true) === 0) continue;
        const pp = lines.slice(i + 1, j).find((l) => l.event === 'check_pmtu' && l.task === e.task);
        if (!pp) continue;
        if (fault === 'redirect-not-applied') {
          const learned = pp.args.get('redirect_learned') ?? '0';
          if (num(learned, true) === 0 || learned === e.args.get('gw') || r.args.get('gw') !== learned) continue;
        } else {
          const [mtu0, mtu1, learned, expires, now] = [e.args.get('mtu'), r.args.get('mtu'), pp.args.get('pmtu_learned'), pp.args.get('pmtu_expires'), pp.args.get('jiffies')];
          if (!mtu0 || !mtu1 || !learned || !expires || !now || num(expires, true) === 0) continue;
          if (!(num(now, true) + 2 < num(expires, true) && num(learned, true) < num(mtu0, true) && mtu1 === learned)) continue;
        }
        c.push(i);
      }
      candidates = c.length;
      const i = pick(c, occurrence, fault);
      const rets = returnsOf(lines, i, 'dst_check', ['dst_check_ret']);
      target = lines[mainReturn(lines, rets)]!;
      const before = target.text;
      for (const j of rets) {
        const r = lines[j]!;
        if (fault === 'redirect-not-applied') {
          setArg(r, 'gw', lines[i]!.args.get('gw')!);
          setArg(r, 'flags', '0');
        } else setArg(r, 'mtu', lines[i]!.args.get('mtu')!);
        if (r !== target) also.push(r.no);
      }
      note = fault === 'redirect-not-applied' ? `the check kept gateway ${lines[i]!.args.get('gw')} although its peer learned another` : `the check kept MTU ${lines[i]!.args.get('mtu')} although its peer learned a lower one`;
      return done(before);
    }
    case 'genid-not-restamped': {
      if (!seed) throw new Error(`inject: '${fault}' needs a seed-era trace (rt_pgenid/g)`);
      const c: { ret: number; old: string }[] = [];
      for (const i of checks) {
        const e = lines[i]!;
        const g = e.args.get('g')!;
        const old = e.args.get('rt_pgenid')!;
        if (num(old, true) === num(g, true)) continue;
        for (const j of returnsOf(lines, i, 'dst_check', ['dst_check_ret'])) {
          const r = lines[j]!;
          if (num(r.args.get('ret') ?? '0', true) !== 0 && r.args.get('rt_pgenid') === r.args.get('g')) c.push({ ret: j, old });
        }
      }
      candidates = c.length;
      const ch = pick(c, occurrence, fault);
      target = lines[ch.ret]!;
      const before = target.text;
      setArg(target, 'rt_pgenid', ch.old);
      note = `check returned the route without re-stamping it (rt_pgenid left at ${ch.old}, g=${target.args.get('g')})`;
      return done(before);
    }
    case 'lookup-created-peer': {
      const c: number[] = [];
      for (let j = 0; j < lines.length; j++) {
        const l = lines[j]!;
        if (l.event === 'getpeer_ret' && l.caller === 'ipv4_dst_check' && num(l.args.get('peer') ?? '1', seed) === 0) c.push(j);
      }
      candidates = c.length;
      target = lines[pick(c, occurrence, fault)]!;
      const before = target.text;
      const like = lines.find((l) => l.event === 'getpeer_ret' && num(l.args.get('peer') ?? '0', true) !== 0)?.args.get('peer') ?? 'ffff88001e400000';
      const p = fresh(lines, like);
      setArg(target, 'peer', p);
      note = `the check's lookup-only bind (create=0) returned a new peer ${p} for a destination that had none`;
      return done(before);
    }
    case 'stale-genid-after-check': {
      if (!seed) throw new Error(`inject: '${fault}' needs a seed-era trace (rt_pgenid/g)`);
      // A route whose check_ret stamped G, then a later check of the same route (still G): show G-1.
      const lastStamp = new Map<string, string>();
      const c: number[] = [];
      for (let j = 0; j < lines.length; j++) {
        const l = lines[j]!;
        if (l.event === 'dst_check') {
          const rt = l.args.get('rt')!;
          const st = lastStamp.get(rt);
          const cur = l.args.get('rt_pgenid')!;
          if (st !== undefined && st === cur && num(cur, true) > 0 && l.args.get('obsolete') !== '2') c.push(j);
          const rets = returnsOf(lines, j, 'dst_check', ['dst_check_ret']);
          for (const r of rets) {
            const rl = lines[r]!;
            if (num(rl.args.get('ret') ?? '0', true) !== 0) lastStamp.set(rt, rl.args.get('rt_pgenid')!);
          }
        }
      }
      candidates = c.length;
      target = lines[pick(c, occurrence, fault)]!;
      const before = target.text;
      const cur = target.args.get('rt_pgenid')!;
      setArg(target, 'rt_pgenid', fmt(num(cur, true) - 1, cur, true));
      note = `the route was re-stamped to ${cur} by its last check, yet this check sees rt_pgenid=${target.args.get('rt_pgenid')}`;
      return done(before);
    }
    case 'bump-without-cause': {
      if (!seed) throw new Error(`inject: '${fault}' needs a seed-era trace (g=)`);
      const bumpers = new Set(['frag_needed', 'frag_needed_ret', 'redirect', 'redirect_ret', 'update_pmtu', 'update_pmtu_ret']);
      // Candidates: dst_check lines (outside any bumper call) after at least one earlier g.
      const c = checks.filter((i) => i > 0 && !bumpers.has(lines[i]!.event));
      candidates = c.length;
      const at = pick(c, occurrence, fault);
      target = lines[at]!;
      const before = target.text;
      for (let j = at; j < lines.length; j++) {
        const l = lines[j]!;
        const g = l.args.get('g');
        if (g === undefined) continue;
        setArg(l, 'g', fmt(num(g, true) + 1, g, true));
        if (j !== at) also.push(l.no);
      }
      note = `the global genid moved from ${before.match(/\bg=(\S+)/)?.[1]} to ${target.args.get('g')} at a check, with no PMTU/redirect path running (every later g is one higher)`;
      return done(before);
    }
    case 'valid-after-flush': {
      const c: { entry: number; rets: number[] }[] = [];
      for (const i of checks) {
        const e = lines[i]!;
        const flushed = seed
          ? e.args.get('obsolete') === '2'
          : e.args.has('net_rt_genid') && e.args.get('rt_genid') !== e.args.get('net_rt_genid') && e.args.get('obsolete') === '-1';
        if (!flushed) continue;
        const rets = returnsOf(lines, i, 'dst_check', ['dst_check_ret', 'dst_check_kret']).filter((j) => num(lines[j]!.args.get('ret') ?? '1', seed) === 0);
        if (rets.length) c.push({ entry: i, rets });
      }
      candidates = c.length;
      const ch = pick(c, occurrence, fault);
      const e = lines[ch.entry]!;
      const main = mainReturn(lines, ch.rets);
      target = lines[main]!;
      const before = target.text;
      for (const j of ch.rets) {
        const r = lines[j]!;
        if (seed) {
          setArg(r, 'ret', e.args.get('rt')!);
          for (const [k, src] of [['peer', 'peer'], ['rt_pgenid', 'rt_pgenid'], ['gw', 'gw'], ['flags', 'flags']] as const) {
            if (r.args.has(k) && e.args.has(src)) setArg(r, k, e.args.get(src)!);
          }
        } else {
          setArg(r, 'ret', e.args.get('dst')!);
          if (r.args.has('obs')) setArg(r, 'obs', e.args.get('obsolete')!);
        }
        if (j !== main) also.push(r.no);
      }
      note = seed
        ? `a flushed route (obsolete=2) passed the check`
        : `a route of an older generation (rt_genid=${e.args.get('rt_genid')}, net_rt_genid=${e.args.get('net_rt_genid')}) passed the check`;
      return done(before);
    }
    case 'dst-after-exception-kill': {
      const c: { entry: number; rets: number[] }[] = [];
      for (const i of checks) {
        const e = lines[i]!;
        if (e.args.get('obsolete') !== '-2') continue;
        const rets = returnsOf(lines, i, 'dst_check', ['dst_check_ret', 'dst_check_kret']).filter((j) => num(lines[j]!.args.get('ret') ?? '1', false) === 0);
        if (rets.length) c.push({ entry: i, rets });
      }
      candidates = c.length;
      const ch = pick(c, occurrence, fault);
      const e = lines[ch.entry]!;
      const main = mainReturn(lines, ch.rets);
      target = lines[main]!;
      const before = target.text;
      for (const j of ch.rets) {
        const r = lines[j]!;
        setArg(r, 'ret', e.args.get('dst')!);
        if (r.args.has('obs')) setArg(r, 'obs', '-2');
        if (j !== main) also.push(r.no);
      }
      note = `a route killed by a new exception (obsolete=-2) was returned by the check`;
      return done(before);
    }
    case 'net-genid-backwards': {
      const c: number[] = [];
      const seen = new Map<string, number>();
      for (let j = 0; j < lines.length; j++) {
        const l = lines[j]!;
        const v = l.args.get('net_rt_genid');
        if (v === undefined) continue;
        const n = num(v, false);
        const key = l.args.get('net') ?? '';
        if ((seen.get(key) ?? -1) >= n && n >= 1 && l.event === 'dst_check') c.push(j);
        seen.set(key, Math.max(seen.get(key) ?? -1, n));
      }
      candidates = c.length;
      target = lines[pick(c, occurrence, fault)]!;
      const before = target.text;
      const v = target.args.get('net_rt_genid')!;
      setArg(target, 'net_rt_genid', String(num(v, false) - 1));
      note = `the namespace genid went back from ${v} to ${target.args.get('net_rt_genid')}`;
      return done(before);
    }
  }
  function done(before: string): TextInjection {
    return { fault, text: join_(lines), line: target.no, before, after: target.text, alsoEdited: also, candidates, note };
  }
}

/** Inject into a trace file; the copy goes to a fresh temp dir (or `dir`) under the same name. */
export async function injectFault(
  trace: string,
  fault: FaultKind,
  opts: { occurrence?: number; dir?: string } = {},
): Promise<Injection> {
  const text = await readFile(trace, 'latin1');
  const r = injectFaultText(text, fault, opts.occurrence ?? 0);
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'peerprop-fault-')));
  const path = join(dir, basename(trace).replace(/(\.[^.]+)$/, `.${fault}$1`));
  await writeFile(path, r.text, 'latin1');
  return { ...r, path };
}

/** Which faults can be injected into this trace text. */
export function applicableFaults(text: string): FaultKind[] {
  return FAULT_KINDS.filter((f) => {
    try {
      injectFaultText(text, f);
      return true;
    } catch {
      return false;
    }
  });
}

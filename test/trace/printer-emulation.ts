/**
 * A printer emulation for tests: kernel ftrace text re-laid out the way `trace-cmd report`
 * (default, -t, -l, --ts-diff, -R) and `perf script` (default, -F, --reltime, --deltatime)
 * print the same events. The layouts are copied from the real outputs in traces/printers/
 * (captured from a Debian 6.1 guest, see traces/printers/README.md): bare-hex `(func)` and
 * `(func <- caller)` bodies, s16 fields printed as their unsigned 16-bit value (libtraceevent
 * prints an s16 -1 as 65535), `print: tracing_mark_write: TEXT` markers, perf's `comm pid` and
 * `group:event:` columns. Code addresses come from a made-up symbol table (returned as
 * kallsyms text) so that callers can be resolved back.
 */
import { LineShape, newParsedLine, parseEventLine } from '../../src/trace/lineparse.ts';

export type Emulated =
  | 'trace_pipe' | 'tc' | 'tc-t' | 'tc-l' | 'tc-tsdiff' | 'tc-R' | 'perf' | 'perf-F' | 'perf-reltime' | 'perf-deltatime';
export const EMULATED: readonly Emulated[] = ['trace_pipe', 'tc', 'tc-t', 'tc-l', 'tc-tsdiff', 'tc-R', 'perf', 'perf-F', 'perf-reltime', 'perf-deltatime'];

/** Symbol → address, made up as symbols appear (4 KB apart, above a kernel-looking base). */
export class FakeKallsyms {
  private readonly addr = new Map<string, bigint>();
  private next = 0xffffffff81000000n;
  of(sym: string): bigint {
    let a = this.addr.get(sym);
    if (a === undefined) {
      a = this.next;
      this.next += 0x1000n;
      this.addr.set(sym, a);
    }
    return a;
  }
  /** `sym+0xoff/0xsize` or `sym` → address as bare hex. */
  hex(symOff: string): string {
    const m = /^([^+]+)(?:\+0x([0-9a-f]+))?/.exec(symOff)!;
    return (this.of(m[1]!) + BigInt('0x' + (m[2] ?? '0'))).toString(16);
  }
  text(): string {
    if (this.addr.size === 0) return '';
    // A symbol after the last one bounds its extent (a real kallsyms always has more text after).
    return [...this.addr, ['_etext', this.next] as const].map(([n, a]) => `${a.toString(16)} T ${n}`).join('\n') + '\n';
  }
}

/** Args whose declared type is s16 (printed unsigned by libtraceevent). */
const S16_ARGS = new Set(['obsolete']);

function unsignedS16(args: string): string {
  return args.replace(/(^|\s)([A-Za-z_]\w*)=(-\d+)/g, (all, sp: string, name: string, v: string) =>
    S16_ARGS.has(name) ? `${sp}${name}=${65536 + Number(v)}` : all);
}

/** Re-lay out kernel ftrace text as printer `p` would print the same events. */
export function emulate(ftrace: string, p: Emulated, syms: FakeKallsyms): string {
  const pl = newParsedLine();
  const out: string[] = [];
  if (p.startsWith('tc')) out.push('cpus=4');
  let first: number | undefined;
  let prev = 0;
  for (const line of ftrace.split('\n')) {
    if (!line || line.startsWith('#')) {
      if (p !== 'trace_pipe' && !p.startsWith('tc') && !p.startsWith('perf')) out.push(line);
      continue;
    }
    if (parseEventLine(line, pl) !== LineShape.Event) continue;
    if (p === 'trace_pipe') {
      out.push(line);
      continue;
    }
    const task = pl.task;
    const pid = pl.pid;
    const cpu = pl.cpu;
    const tsText = line.slice(pl.tsStart, pl.tsEnd);
    const ts = Number(tsText);
    let event = pl.event;
    let body: string;
    const isMarker = event === 'tracing_mark_write' || event === '0' || event === 'print';
    if (isMarker) {
      if (p.startsWith('perf')) continue; // perf records the kprobe events only
      const text = line.slice(pl.body).replace(/^tracing_mark_write: /, '');
      body = p === 'tc-R' ? `ip=tracing_mark_write buf=${text}` : `tracing_mark_write: ${text}`;
      event = 'print';
    } else {
      const args = unsignedS16(line.slice(pl.args));
      const sym = pl.symStart >= 0 ? line.slice(pl.symStart, pl.symEnd) : '';
      let func: string;
      let caller: string | undefined;
      if (pl.arrow >= 0) {
        caller = syms.hex(line.slice(pl.symStart, pl.arrow));
        func = syms.hex(line.slice(pl.arrow + 4, pl.symEnd));
      } else func = syms.hex(sym);
      if (p === 'tc-R') body = (caller ? `__probe_func=${func} __probe_ret_ip=${caller}` : `__probe_ip=${func}`) + (args ? ` ${args}` : '');
      else body = (caller ? `(${func} <- ${caller})` : `(${func})`) + (args ? ` ${args}` : '');
    }
    const cpu3 = String(cpu).padStart(3, '0');
    const usecs = ts.toFixed(6);
    if (p.startsWith('tc')) {
      const ev = `${event}:`.padEnd(21);
      const tsCol = p === 'tc-t' ? ts.toFixed(9) : usecs;
      if (p === 'tc-l') out.push(`${task.padStart(8)}-${String(pid).padEnd(5)} ${cpu}.....  ${tsCol}: ${ev}${body}`);
      else if (p === 'tc-tsdiff') {
        const d = first === undefined ? '' : `(+${Math.round((ts - prev) * 1e6)})`;
        out.push(`${task.padStart(16)}-${String(pid).padEnd(5)} [${cpu3}] ${usecs}: ${d.padEnd(8)} ${ev}${body}`);
      } else out.push(`${task.padStart(16)}-${String(pid).padEnd(5)} [${cpu3}] ${tsCol}: ${ev}${body}`);
    } else {
      const group = 'kprobes';
      let tsCol = usecs;
      if (p === 'perf-reltime') tsCol = (ts - (first ?? ts)).toFixed(6);
      if (p === 'perf-deltatime') tsCol = (first === undefined ? 0 : ts - prev).toFixed(6);
      if (p === 'perf-F') out.push(`${task.padStart(16)} ${String(pid).padStart(5)}/${pid} [${cpu3}] ${ts.toFixed(9)}: ${group}:${event}: ${body}`);
      else out.push(`${task.padStart(16)} ${String(pid).padStart(5)} [${cpu3}] ${tsCol.padStart(12)}: ${`${group}:${event}:`.padStart(22)} ${body}`);
    }
    if (first === undefined) first = ts;
    prev = ts;
  }
  return out.join('\n') + '\n';
}

/**
 * Call contexts: which probe hits belong to the same kernel call, so that an entry is paired
 * with its return and a nested call (a bind inside a check, a lookup inside a PMTU path) is
 * attributed to the call it runs in. The trace reader (open-call tables, `within`, `context`)
 * and replay (pending checks, path lookups) use this one rule.
 *
 * The rule, and why:
 * - Task context, pid > 0: the PID. A call in process context may sleep or be preempted, and the
 *   task may migrate: a kretprobe return fires on the CPU the task runs on when it returns, which
 *   can differ from the entry's CPU. The pid is the one thing entry and return share.
 * - pid 0 (the idle tasks: one per CPU, all printed as pid 0), or no pid in the layout: the CPU.
 *   The idle task never migrates.
 * - Interrupt context shown by the trace (ftrace's flags column: `s` softirq, `h`/`H` hardirq,
 *   `z`/`Z` NMI): the CPU and the level. An interrupt runs in whatever task was current and
 *   prints that task's pid, but it never sleeps or migrates, so its entry and return are on one
 *   CPU. Keying it by (CPU, level) keeps a softirq's frag_needed lookup, or a timer's dst_check,
 *   from being taken for a call of the task it interrupted (whose `context.dst_check` is open).
 * - Interrupt context NOT shown (layouts without flags, e.g. Linux 3.0's): the task's key. An
 *   interrupt nests strictly inside the interrupted task's current call on that CPU, so
 *   entry/return pairing stays last-in first-out and correct; only attribution to an enclosing
 *   call could be wrong, which the probe maps and replay guard with the caller of each return
 *   (a lookup returning to ip_rt_frag_needed is never a check's bind).
 *
 * Keys are numbers (no allocation per line): pids are >= 0, CPU keys negative.
 */
import type { ParsedLine } from './lineparse.ts';

/** Interrupt levels as the flags column shows them; 0 = task context (or not shown). */
export const IRQ_NONE = 0;
export const IRQ_SOFT = 1;
export const IRQ_HARD = 2;
export const IRQ_NMI = 3;

/** The interrupt level from ftrace's hardirq/softirq flag character (third of the flags). */
export function irqLevelOfChar(c: number): number {
  switch (c) {
    case 115 /* s */:
      return IRQ_SOFT;
    case 104 /* h */:
    case 72 /* H */:
      return IRQ_HARD;
    case 122 /* z */:
    case 90 /* Z */:
      return IRQ_NMI;
    default:
      // '.', 'b' (bottom halves disabled, still task context), anything else.
      return IRQ_NONE;
  }
}

/** The interrupt level of a parsed line (0 when the layout has no flags column). */
export function irqLevelOfLine(pl: ParsedLine): number {
  const a = pl.flagsStart;
  // The latency flags are 4 or 5 characters: irqs-off, need-resched, hard/softirq, preempt[, migrate].
  if (a < 0 || pl.flagsEnd - a < 4 || pl.flagsEnd - a > 5) return IRQ_NONE;
  const c = pl.buf !== undefined ? pl.buf[pl.base + a + 2]! : pl.s.charCodeAt(a + 2);
  return irqLevelOfChar(c);
}

/** The call-context key of (pid, cpu, interrupt level); see the module comment. */
export function callKey(pid: number | undefined, cpu: number | undefined, irq: number | undefined): number {
  if (irq !== undefined && irq > 0) return -1 - ((cpu !== undefined && cpu >= 0 ? cpu : 0) * 4 + irq);
  if (pid !== undefined && pid > 0) return pid;
  return -1 - (cpu !== undefined && cpu >= 0 ? cpu : 0) * 4;
}

/** The call-context key of a canonical event (replay). */
export function eventKey(e: { pid?: number; cpu?: number; irq?: number }): number {
  return callKey(e.pid, e.cpu, e.irq);
}

/** Human form of where an event ran, for reports: `cpu 1 pid 412`, `cpu 0 softirq`. */
export function describeWhere(e: { pid?: number; cpu?: number; irq?: number }): string {
  const parts: string[] = [];
  if (e.cpu !== undefined) parts.push(`cpu ${e.cpu}`);
  if (e.pid !== undefined) parts.push(`pid ${e.pid}`);
  if (e.irq !== undefined && e.irq > 0) parts.push(e.irq === IRQ_SOFT ? 'softirq' : e.irq === IRQ_HARD ? 'hardirq' : 'nmi');
  return parts.join(' ');
}

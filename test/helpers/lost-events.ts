/**
 * Lost events for tests: one CPU's run of consecutive events removed from an ftrace text trace,
 * as its ring buffer drops them, and the `CPU:N [LOST K EVENTS]` line printed where that CPU's
 * events resume (ftrace prints it there).
 */
import fc from 'fast-check';

/** Where to cut: which CPU (an index into the CPUs the trace shows), from which of its events, how many. */
export interface Loss {
  cpu: number;
  from: number;
  count: number;
}

export const lossArbitrary: fc.Arbitrary<Loss> = fc.record({ cpu: fc.nat(3), from: fc.nat(200), count: fc.integer({ min: 1, max: 12 }) });

/** The CPU column of an event line (`[001]`), or undefined for headers and other lines. */
export function cpuOf(line: string): number | undefined {
  const m = /^\s*\S.*?\s\[(\d{3})\]\s/.exec(line);
  return m ? Number(m[1]) : undefined;
}

/**
 * The trace with `loss` applied: that CPU's events [from, from+count) (its own order, taken
 * modulo what it has) removed, and the LOST line before its next event (at the end when none).
 * Undefined when the trace has no event line of a CPU.
 */
export function dropEvents(text: string, loss: Loss): { text: string; dropped: number } | undefined {
  const lines = text.split('\n');
  const cpus = [...new Set(lines.map(cpuOf).filter((c): c is number => c !== undefined))].sort((a, b) => a - b);
  if (cpus.length === 0) return undefined;
  const cpu = cpus[loss.cpu % cpus.length]!;
  const mine = lines.flatMap((l, i) => (cpuOf(l) === cpu ? [i] : []));
  const from = loss.from % mine.length;
  const gone = new Set(mine.slice(from, from + loss.count));
  const next = mine[from + gone.size];
  const out: string[] = [];
  const lost = `CPU:${cpu} [LOST ${gone.size} EVENTS]`;
  lines.forEach((l, i) => {
    if (i === next) out.push(lost);
    if (!gone.has(i)) out.push(l);
  });
  if (next === undefined) {
    // The CPU printed nothing after the loss: the line comes last (before the final newline).
    if (out[out.length - 1] === '') out.splice(out.length - 1, 0, lost);
    else out.push(lost);
  }
  return { text: out.join('\n'), dropped: gone.size };
}


/**
 * The trace as a capture started `cut` event lines late (taken modulo its event lines, at least
 * one left): the header kept, the first event lines gone, no LOST line (nothing says so).
 */
export function cutPrefix(text: string, cut: number): string {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => cpuOf(l) !== undefined);
  if (first < 0) return text;
  const events = lines.length - first;
  const k = cut % Math.max(1, events - 1);
  return [...lines.slice(0, first), ...lines.slice(first + k)].join('\n');
}

/** Lines that end a call in the Linux 3.0 probe layout (a check's, a path's, an out-of-line bind's return). */
const CALL_END = /: (?:dst_check_ret|frag_needed_ret|update_pmtu_ret|redirect_ret|bind_ret): \(/;
/** An entry line: the probe sits at the function's first byte. */
const ENTRY = /: \w+: \(\S+\+0x0\//;

/**
 * Whether a capture started `cut` event lines late (cutPrefix) began inside a call whose rest
 * prints nothing: a task's last line cut off does not end its call, and its next line left is a
 * new call's entry (or it has none). Such a call (a flush probed at its entry only, the unprobed
 * install of an inlined bind after its lookup) acts unseen, and nothing left in the trace says
 * so: the one case a capture started mid-flight may still show as a divergence (README, Known
 * limits). A call whose rest prints a line is seen: replay judges it as in progress until then.
 */
export function cutsUnseenCall(text: string, cut: number): boolean {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => cpuOf(l) !== undefined);
  if (first < 0) return false;
  const k = cut % Math.max(1, lines.length - first - 1);
  const gone = lines.slice(first, first + k);
  const left = lines.slice(first + k);
  const task = (l: string) => /^\s*(\S+)/.exec(l)?.[1];
  const lastGone = new Map<string, string>();
  for (const l of gone) if (cpuOf(l) !== undefined) lastGone.set(task(l)!, l);
  for (const [t, last] of lastGone) {
    if (CALL_END.test(last)) continue;
    const next = left.find((l) => task(l) === t);
    if (next === undefined || ENTRY.test(next)) return true;
  }
  return false;
}

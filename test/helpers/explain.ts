/**
 * A replay's first divergence, for a failing property's message: its line, invariant and event,
 * the history it cites (with CPU and pid) and the whole trace, numbered.
 */
import { describeEvent } from '../../src/replay/index.ts';
import type { ReplayReport } from '../../src/replay/types.ts';

export function explainDivergence(r: ReplayReport, text: string): string {
  const d = r.divergences[0];
  if (!d) return 'no divergence';
  const lines = text.split('\n');
  return `${d.line}: ${d.invariant}: ${d.message}\n> ${describeEvent(d.event)}\n${d.history.map((h) => `  ${h.line} [cpu ${h.cpu} pid ${h.pid}] ${h.text}`).join('\n')}\n--- trace:\n${lines.map((l, i) => `${i + 1}: ${l}`).join('\n')}`;
}

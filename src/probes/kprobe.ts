import { headerLines } from './header.ts';
import type { ProbeSet } from './types.ts';

/** The header comment alone (# lines), for callers that print the lines themselves. */
export function renderProbeHeader(set: ProbeSet): string {
  return headerLines(set).map((h) => `# ${h}`.trimEnd()).join('\n') + '\n';
}

/**
 * kprobe_events text: the header, then per probe a `# why` comment, the definition, and its
 * register-syntax fallback as a `# fallback:` comment. kprobe_events ignores `#` comments, so the
 * whole text can be written to it in one go (use `fallback` lines only where `line` is refused).
 */
export function renderKprobeEvents(set: ProbeSet): string {
  const out: string[] = [renderProbeHeader(set).trimEnd()];
  for (const p of set.probes) {
    out.push(`# ${p.event}: ${p.why}`);
    out.push(p.line);
    if (p.fallback) out.push(`# fallback: ${p.fallback}`);
  }
  return out.join('\n') + '\n';
}

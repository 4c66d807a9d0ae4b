import type { ProbeDef } from './types.ts';

/**
 * One kprobe_events definition (Documentation/trace/kprobetrace.rst, fprobetrace.rst):
 *   p[:GRP/EVENT] SYM FETCHARGS     r[:GRP/EVENT] SYM FETCHARGS     f[:GRP/EVENT] SYM%return FETCHARGS
 * 'rich' is the probe's own syntax; 'fallback' the register-syntax p:/r: form with the fields
 * that form can fetch (same event and field names, so one probe map reads either).
 */
export function formatLine(def: ProbeDef, variant: 'rich' | 'fallback'): string {
  const rich = variant === 'rich';
  let head: string;
  if (rich) {
    const t = def.type === 'fret' ? 'f' : def.type;
    head = `${t}:${def.group}/${def.event} ${def.symbol}${def.type === 'fret' ? '%return' : ''}`;
  } else {
    const t = def.type === 'fret' || def.type === 'r' ? 'r' : 'p';
    head = `${t}:${def.group}/${def.event} ${def.symbol}`;
  }
  const args = def.fields
    .map((f) => {
      const fetch = rich ? f.fetch : f.fallbackFetch;
      return fetch === undefined ? undefined : `${f.name}=${fetch}${f.type ? `:${f.type}` : ''}`;
    })
    .filter((x): x is string => x !== undefined);
  return [head, ...args].join(' ');
}

/** Replaces the symbol (a clone name from the guest) and rebuilds both lines. */
export function withSymbol(def: ProbeDef, symbol: string): ProbeDef {
  const d: ProbeDef = { ...def, symbol };
  d.line = formatLine(d, 'rich');
  if (def.fallback !== undefined) d.fallback = formatLine(d, 'fallback');
  return d;
}

/**
 * The tracefs file a definition goes to: kprobe_events takes only p:/r: lines (it refuses f:
 * with EINVAL and no error_log entry, measured on 6.12); dynamic_events (4.17+) takes all kinds.
 */
export function eventsFile(def: Pick<ProbeDef, 'type'>): 'kprobe_events' | 'dynamic_events' {
  return def.type === 'f' || def.type === 'fret' ? 'dynamic_events' : 'kprobe_events';
}

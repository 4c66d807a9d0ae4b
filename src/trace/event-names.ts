/**
 * An event line whose name is not a probe's plain name may still be one the map reads: a marker
 * (`tracing_mark_write`, `print`, a bare address), a probe spelt `group/event` or printed as
 * `group:event: body` (some trace-cmd versions), or a rule matched by the probed function.
 */
import type { CompiledMap, ProbePlan } from './plan.ts';
import { newParsedLine, parseBareEvent, type ParsedLine } from './lineparse.ts';

/** The line is a marker (a workload's note in the trace). */
export const MARKER = 'marker';

/**
 * The plan that reads event line `s` (parsed in `pl`, its event name `name`), MARKER, or undefined
 * for an unknown probe. When the probe was found under another spelling, `pl` is set to read it
 * (its event name, and its body for `group:event: body`).
 */
export function planOfUnplanned(s: string, name: string, pl: ParsedLine, cm: CompiledMap): ProbePlan | typeof MARKER | undefined {
  if (cm.markers.has(name) || isHexName(name)) return MARKER;
  const slash = name.indexOf('/');
  if (slash > 0) {
    const plan = cm.plans.get(name.slice(slash + 1));
    if (plan) {
      pl.evOverride = name.slice(slash + 1);
      return plan;
    }
  }
  const colon = s.indexOf(':', pl.body);
  if (colon > pl.body && s.indexOf(' ', pl.body) > colon) {
    const inner = s.slice(pl.body, colon);
    const plan = cm.plans.get(inner);
    if (plan) {
      pl.evOverride = inner;
      reparseBody(s, colon + 1, pl);
      return plan;
    }
  }
  if (cm.funcPlans.size && pl.symStart !== -1) {
    const sym = s.slice(pl.arrow !== -1 ? pl.arrow + 4 : pl.symStart, pl.symEnd);
    const plus = sym.indexOf('+');
    const func = plus === -1 ? sym : sym.slice(0, plus);
    return cm.funcPlans.get(`${func}|${pl.arrow !== -1 ? 'return' : 'entry'}`);
  }
  return undefined;
}

/** A bare kernel address as an event name (a marker whose symbol was not resolved). */
function isHexName(name: string): boolean {
  if (name.length === 0 || name.length > 16) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function reparseBody(s: string, from: number, pl: ParsedLine): void {
  // Reuse the bare-event parser on the remainder: it fills body/sym/args positions.
  const tmp = newParsedLine();
  parseBareEvent('x:' + s.slice(from), tmp);
  const shift = from - 2;
  pl.body = tmp.body + shift;
  pl.symStart = tmp.symStart === -1 ? -1 : tmp.symStart + shift;
  pl.symEnd = tmp.symEnd === -1 ? -1 : tmp.symEnd + shift;
  pl.arrow = tmp.arrow === -1 ? -1 : tmp.arrow + shift;
  pl.args = tmp.args + shift;
}

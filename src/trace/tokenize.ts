/**
 * Taking a probe line's `name=value` args apart as text: the generic walk, and the walk of a
 * layout learned from an earlier line of the same probe (layout.ts). Bytes go through the
 * decoder generated from the same layout (codegen.ts) instead.
 */
import type { ProbePlan } from './plan.ts';

/**
 * Walk `name=value` tokens from `from`, storing the raw values of the wanted names
 * (`keys[i]` = "name=") into vals[i]. Quoted values (`name="a b"`) keep their quotes.
 */
export function extractArgs(s: string, from: number, keys: string[], vals: (string | undefined)[]): void {
  const len = s.length;
  const nk = keys.length;
  let pos = from;
  let found = 0;
  while (pos < len && found < nk) {
    while (pos < len && s.charCodeAt(pos) === 32) pos++;
    const eq = s.indexOf('=', pos);
    if (eq === -1) return;
    let vend: number;
    if (s.charCodeAt(eq + 1) === 34 /* " */) {
      const q = s.indexOf('"', eq + 2);
      vend = q === -1 ? len : q + 1;
    } else {
      vend = s.indexOf(' ', eq + 1);
      if (vend === -1) vend = len;
    }
    // A token without '=' before the next space is not an arg: skip it.
    const sp = s.indexOf(' ', pos);
    if (sp !== -1 && sp < eq) {
      pos = sp + 1;
      continue;
    }
    const nameLen = eq - pos + 1;
    for (let k = 0; k < nk; k++) {
      const key = keys[k]!;
      if (key.length === nameLen && vals[k] === undefined && s.startsWith(key, pos)) {
        vals[k] = s.slice(eq + 1, vend);
        found++;
        break;
      }
    }
    pos = vend + 1;
  }
}

/** Extract by the learned layout; false when the line does not fit it. */
export function extractByLayout(s: string, from: number, p: ProbePlan, vals: (string | undefined)[]): boolean {
  const keyIdx = p.layoutKey!;
  const lens = p.layoutLen!;
  const names = p.layoutNames!;
  const len = s.length;
  let pos = from;
  const nt = keyIdx.length;
  for (let t = 0; t < nt; t++) {
    if (pos >= len) return false;
    const nl = lens[t]!;
    const vs = pos + nl;
    if (vs > len || !s.startsWith(names[t]!, pos)) return false;
    let ve: number;
    if (s.charCodeAt(vs) === 34 /* " */) {
      const q = s.indexOf('"', vs + 1);
      ve = q === -1 ? len : q + 1;
    } else {
      ve = s.indexOf(' ', vs);
      if (ve === -1) ve = len;
    }
    const k = keyIdx[t]!;
    if (k >= 0) vals[k] = s.slice(vs, ve);
    pos = ve + 1;
  }
  return pos >= len;
}

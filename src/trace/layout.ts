/**
 * Learning a probe's args layout from one of its lines: a probe prints its args in the same order
 * every time, so later lines are read by that layout (tokenize.ts for text, the generated decoder
 * for bytes) and only a line that does not fit is walked the generic way.
 */
import type { ProbePlan } from './plan.ts';
import { compileDecoder } from './codegen.ts';

/** Learn the token layout of a probe's args from one line. */
export function learnLayout(s: string, from: number, p: ProbePlan): void {
  const keyIdx: number[] = [];
  const lens: number[] = [];
  const names: string[] = [];
  const len = s.length;
  let pos = from;
  while (pos < len) {
    const eq = s.indexOf('=', pos);
    const sp0 = s.indexOf(' ', pos);
    if (eq === -1 || (sp0 !== -1 && sp0 < eq)) {
      p.layoutKey = undefined;
      p.decode = undefined;
      return;
    }
    let vend: number;
    if (s.charCodeAt(eq + 1) === 34) {
      const q = s.indexOf('"', eq + 2);
      vend = q === -1 ? len : q + 1;
    } else {
      vend = s.indexOf(' ', eq + 1);
      if (vend === -1) vend = len;
    }
    const nameLen = eq - pos + 1;
    let k = -1;
    for (let i = 0; i < p.keys.length; i++) {
      if (p.keys[i]!.length === nameLen && s.startsWith(p.keys[i]!, pos)) k = i;
    }
    // A name printed twice: its first value is read, as the general walk (extractArgs) reads it;
    // else the same line would read another value once a line before it had taught this layout.
    if (k >= 0 && keyIdx.includes(k)) k = -1;
    keyIdx.push(k);
    lens.push(nameLen);
    names.push(s.slice(pos, eq + 1));
    pos = vend + 1;
  }
  // A probe may alternate between a few layouts (an argument printed only sometimes): each is
  // compiled once and taken again from here, instead of generating a new decoder at every switch
  // (which never gets optimised and made a trace with such a probe several times slower).
  const sig = `${keyIdx.join(',')}|${names.join('\u0000')}`;
  let known = LEARNED.get(p);
  if (!known) LEARNED.set(p, (known = new Map()));
  const hit = known.get(sig);
  if (hit) {
    p.layoutKey = hit.key;
    p.layoutLen = hit.len;
    p.layoutNames = hit.names;
    p.decode = hit.decode;
    return;
  }
  p.layoutKey = Int16Array.from(keyIdx);
  p.layoutLen = Int16Array.from(lens);
  p.layoutNames = names;
  p.decode = compileDecoder(p);
  if (known.size < MAX_LAYOUTS) known.set(sig, { key: p.layoutKey, len: p.layoutLen, names, decode: p.decode });
}

/**
 * A line that does not fit the probe's current layout, decoded from its bytes by another layout
 * learned before (a probe whose last argument is printed only sometimes alternates between two):
 * the first that fits becomes current, as learnLayout would make it from this very line (a
 * decoder accepts a line exactly when the line has its layout's names in its order). False when
 * none fits: the line is then read as text and its layout learned.
 */
export function decodeByKnownLayout(p: ProbePlan, buf: Buffer, from: number, to: number): boolean {
  const known = LEARNED.get(p);
  if (known === undefined || known.size < 2) return false;
  for (const l of known.values()) {
    if (l.decode === undefined || l.decode === p.decode || !l.decode(buf, from, to, p.vv)) continue;
    p.layoutKey = l.key;
    p.layoutLen = l.len;
    p.layoutNames = l.names;
    p.decode = l.decode;
    return true;
  }
  return false;
}

/** Layouts remembered per probe (garbage input cannot grow it). */
const MAX_LAYOUTS = 8;
const LEARNED = new WeakMap<ProbePlan, Map<string, { key: Int16Array; len: Int16Array; names: string[]; decode: ProbePlan['decode'] }>>();

/**
 * The caller of a return line (`(sym+off/size <- func)`), resolved to its interned `sym+off` text
 * and its symbol once per distinct caller: a probe's returns come from a few call sites, so both
 * the byte path and the text path find the caller among the last ones seen.
 */
import { internString } from './decode.ts';
import { isUnknownCaller, symbolName } from './lineparse.ts';

/** Distinct callers remembered per return probe. */
const MAX_CALLERS = 16;

export class CallerCache {
  /** Raw `sym+off/size` texts, their hashes (as parseEventBytes computes them), texts and symbols. */
  private readonly raws: string[] = [];
  private readonly hashes: number[] = [];
  private readonly texts: (string | undefined)[] = [];
  private readonly syms: (string | undefined)[] = [];
  /** Where the next search starts: the caller found last. */
  private last = 0;
  /** The caller found or added last: `sym+off` (undefined for an unknown caller) and its symbol. */
  text: string | undefined = undefined;
  sym: string | undefined = undefined;

  constructor(private readonly stripSuffixes: boolean) {}

  /** Find the caller held as bytes buf[from..from+len) whose parseEventBytes hash is `hash`. */
  findBytes(buf: Buffer, from: number, len: number, hash: number): boolean {
    const raws = this.raws;
    const hashes = this.hashes;
    for (let i = this.last, n = 0; n < raws.length; n++, i = i + 1 === raws.length ? 0 : i + 1) {
      if (hashes[i] !== hash) continue;
      const r = raws[i]!;
      if (r.length !== len) continue;
      let k = len - 1;
      while (k >= 0 && r.charCodeAt(k) === buf[from + k]) k--;
      if (k < 0) return this.found(i);
    }
    return false;
  }

  /** Find the caller held as text s[from..from+len). */
  findText(s: string, from: number, len: number): boolean {
    const raws = this.raws;
    for (let i = this.last, n = 0; n < raws.length; n++, i = i + 1 === raws.length ? 0 : i + 1) {
      const r = raws[i]!;
      if (r.length === len && s.startsWith(r, from)) return this.found(i);
    }
    return false;
  }

  /** Resolve a caller not found, and remember it; `hash` as findBytes takes it. */
  add(raw: string, hash: number): void {
    let text: string | undefined;
    let sym: string | undefined;
    if (!isUnknownCaller(raw)) {
      const slash = raw.lastIndexOf('/');
      text = internString(slash > 0 ? raw.slice(0, slash) : raw);
      sym = symbolName(text, this.stripSuffixes);
    }
    if (this.raws.length >= MAX_CALLERS) {
      this.raws.length = 0;
      this.hashes.length = 0;
      this.texts.length = 0;
      this.syms.length = 0;
    }
    this.last = this.raws.length;
    this.raws.push(internString(raw));
    this.hashes.push(hash);
    this.texts.push(text);
    this.syms.push(sym);
    this.text = text;
    this.sym = sym;
  }

  private found(i: number): true {
    this.last = i;
    this.text = this.texts[i];
    this.sym = this.syms[i];
    return true;
  }
}

/** The hash parseEventBytes computes for a caller: every character before the arrow, with the space before it. */
export function callerHash(raw: string): number {
  let h = 0;
  for (let i = 0; i < raw.length; i++) h = (Math.imul(h, 31) + raw.charCodeAt(i)) | 0;
  return (Math.imul(h, 31) + 32) | 0;
}

/** Finding a line's probe plan by its name, in the text or in the bytes, without cutting the name out. */
import type { ProbePlan } from './plan.ts';

/** Hash of a name as parseEventBytes computes it from the name's bytes. */
export function nameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) | 0;
  return h;
}

/** Probe plans by name, looked up by a range of the line without cutting the name out. */
export class PlanIndex {
  private readonly byLen: (ProbePlan[] | undefined)[] = [];
  /** Open addressing on the name hash: plan slots (+1; 0 = empty) and their hashes. */
  private readonly slots: Int32Array;
  private readonly hashes: Int32Array;
  private readonly list: ProbePlan[];
  constructor(plans: Iterable<ProbePlan>) {
    this.list = [...plans];
    for (const p of this.list) (this.byLen[p.name.length] ??= []).push(p);
    let size = 16;
    while (size < this.list.length * 4) size *= 2;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(size);
    this.list.forEach((p, i) => {
      const h = nameHash(p.name);
      let s = h & (size - 1);
      while (this.slots[s] !== 0) s = (s + 1) & (size - 1);
      this.slots[s] = i + 1;
      this.hashes[s] = h;
    });
  }
  find(s: string, start: number, end: number): ProbePlan | undefined {
    const cands = this.byLen[end - start];
    if (cands === undefined) return undefined;
    const len = end - start;
    outer: for (let i = 0; i < cands.length; i++) {
      const name = cands[i]!.name;
      for (let k = 0; k < len; k++) if (name.charCodeAt(k) !== s.charCodeAt(start + k)) continue outer;
      return cands[i];
    }
    return undefined;
  }
  /** The same, for a name held as bytes buf[start..end) whose nameHash is `hash`. */
  findBytes(buf: Buffer, start: number, end: number, hash: number): ProbePlan | undefined {
    const slots = this.slots;
    const mask = slots.length - 1;
    const len = end - start;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const i = slots[s]!;
      if (i === 0) return undefined;
      if (this.hashes[s] !== hash) continue;
      const p = this.list[i - 1]!;
      const name = p.name;
      if (name.length !== len) continue;
      let k = len - 1;
      while (k >= 0 && name.charCodeAt(k) === buf[start + k]) k--;
      if (k < 0) return p;
    }
  }
}

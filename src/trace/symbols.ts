/**
 * Kernel symbols for printers that print code addresses as bare hex (`trace-cmd report` and
 * `perf script` print a kretprobe's function and caller with the print fmt's `%lx`): a
 * System.map or /proc/kallsyms text (`ADDR TYPE NAME [module]`) loaded into sorted arrays, and
 * address → `sym+0xoff` by binary search over the text symbols.
 *
 * A map from another boot (KASLR) or another build resolves every address to a wrong symbol
 * without any error, so a table is only trusted after it has been checked against the trace
 * (Symbols.verifyProbe: a probed function's address must be exactly that function's start).
 */
import { readFile } from 'node:fs/promises';
import { badInput } from '../core/errors.ts';

export class Symbols {
  private constructor(
    /** Text symbol start addresses, ascending (BigInt: kernel addresses exceed 2^53). */
    private readonly addrs: bigint[],
    private readonly names: string[],
    /** Name → address of the first text symbol of that name. */
    private readonly byName: Map<string, bigint>,
    readonly source: string,
  ) {}

  /** Parse System.map / kallsyms text. Lines that are not `HEX TYPE NAME` are bad input (with their line). */
  static parse(text: string, source: string): Symbols {
    const rows: { a: bigint; n: string }[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!.trim();
      if (!l) continue;
      const m = /^([0-9a-fA-F]{1,16})\s+([A-Za-z?])\s+(\S+)/.exec(l);
      if (!m) throw badInput('not a System.map / kallsyms line (`ADDRESS TYPE NAME`)', { file: source, line: i + 1, column: 1 });
      // Only code can be a caller or a probed function: t/T (text), w/W (weak code).
      const t = m[2]!;
      if (t !== 't' && t !== 'T' && t !== 'w' && t !== 'W') continue;
      const a = BigInt('0x' + m[1]);
      if (a === 0n) continue; // kallsyms read without privilege: every address is 0
      rows.push({ a, n: m[3]! });
    }
    if (rows.length === 0) throw badInput('no code symbols with addresses (kallsyms read without root shows only zeros)', { file: source });
    rows.sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : 0));
    const byName = new Map<string, bigint>();
    for (const r of rows) if (!byName.has(r.n)) byName.set(r.n, r.a);
    return new Symbols(rows.map((r) => r.a), rows.map((r) => r.n), byName, source);
  }

  static async load(path: string): Promise<Symbols> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw badInput(`cannot read symbols file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path });
    }
    return Symbols.parse(text, path);
  }

  get size(): number {
    return this.addrs.length;
  }

  /**
   * `name+0xoff` of a hex address (with or without 0x), or undefined when it lies before the
   * first or after the last code symbol (past the last one its extent is unknown).
   */
  resolve(hex: string): string | undefined {
    const digits = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
    if (!/^[0-9a-fA-F]{1,16}$/.test(digits)) return undefined;
    const a = BigInt('0x' + digits);
    const addrs = this.addrs;
    let lo = 0;
    let hi = addrs.length - 1;
    if (a < addrs[0]! || a >= addrs[hi]!) return a === addrs[hi] ? `${this.names[hi]}+0x0` : undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (addrs[mid]! <= a) lo = mid;
      else hi = mid - 1;
    }
    return `${this.names[lo]}+0x${(a - addrs[lo]!).toString(16)}`;
  }

  /** Address of a code symbol (clone suffixes are distinct names), or undefined. */
  addressOf(name: string): bigint | undefined {
    return this.byName.get(name);
  }
}

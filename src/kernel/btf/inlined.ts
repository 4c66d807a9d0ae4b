/**
 * Functions with no code of their own: inlined everywhere, or not in this kernel at all? BTF (and
 * the BTF pahole makes from DWARF) lists only functions with an address, so both look alike there.
 * The DWARF tells them apart: `pfunct -f NAME` (Debian's dwarves) prints the prototype of any
 * function the DWARF knows, inlined or not, and nothing for one the kernel does not have
 * (ipv4_validate_peer is 3.2+; 2.6.39.3 has rt_init_metrics only inlined into rt_set_nexthop).
 * Asked only for the few wanted functions without a BTF FUNC; cached next to the types.
 */
import { stat } from 'node:fs/promises';
import { readMemo } from '../../core/files.ts';
import path from 'node:path';
import { $ } from 'zx';

export interface InlineVerdicts {
  /** In the DWARF as a subprogram, but with no out-of-line code. */
  inlined: string[];
  /** Not in the DWARF at all: this kernel does not have them. */
  absent: string[];
}

/**
 * The cache: one file per kernel work directory, shared by every caller (the era decision asks for
 * check_peer_redir, the probe generator for the wanted functions without code), holding each
 * function asked so far, so no function is asked of pfunct twice for the same vmlinux.
 */
interface InlineCache {
  key: string;
  verdicts: Record<string, 'inlined' | 'absent'>;
}

/** Undefined when pfunct is missing or the vmlinux has no DWARF to ask. */
export async function inlineVerdicts(vmlinux: string, names: readonly string[], cacheFile?: string): Promise<InlineVerdicts | undefined> {
  // The same path may hold another build later (a rebuild into the same --out): its size and
  // mtime are part of the key.
  const st = await stat(vmlinux).catch(() => undefined);
  const key = `${vmlinux}\0${st?.size ?? ''}\0${st?.mtimeMs ?? ''}`;
  const known: Record<string, 'inlined' | 'absent'> = {};
  if (cacheFile) {
    const prev = await readMemo<InlineCache>(cacheFile);
    if (prev?.key === key && prev.verdicts && typeof prev.verdicts === 'object') {
      for (const [n, v] of Object.entries(prev.verdicts)) if (v === 'inlined' || v === 'absent') known[n] = v;
    }
  }
  const ask = names.filter((n) => known[n] !== 'inlined' && known[n] !== 'absent');
  if (ask.length > 0) {
    const q = $({ quiet: true, nothrow: true });
    if ((await q`command -v pfunct`).exitCode !== 0) return undefined;
    for (const n of ask) {
      const r = await q`pfunct -f ${n} ${vmlinux}`;
      if (r.exitCode !== 0) return undefined;
      // The prototype line names the function: `void rt_init_metrics(struct rtable * rt, ...);`
      known[n] = new RegExp(`\\b${n}\\(`).test(r.stdout) ? 'inlined' : 'absent';
    }
    if (cacheFile) {
      const { mkdir, writeFile, rename } = await import('node:fs/promises');
      await mkdir(path.dirname(cacheFile), { recursive: true }).catch(() => {});
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      const cache: InlineCache = { key, verdicts: known };
      await writeFile(tmp, JSON.stringify(cache) + '\n').then(() => rename(tmp, cacheFile), () => {});
    }
  }
  const out: InlineVerdicts = { inlined: [], absent: [] };
  for (const n of names) (known[n] === 'inlined' ? out.inlined : out.absent).push(n);
  return out;
}


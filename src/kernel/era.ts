/**
 * Which era of the mechanism a kernel implements, read from its code (symbols, types), never
 * from its version string: the patch commit alone calls itself 2.6.38-rc2, and a backport or a
 * vendor tree may carry any mechanism under any number.
 *
 *   S1 seed           __rt_peer_genid and rtable.rt_peer_genid exist, nothing bumps the genid
 *                     (no check_peer_pmtu / check_peer_redir / ipv4_validate_peer; the counter sits
 *                     in read-only data when the build has a System.map)
 *   S2..S5 pmtu-redirect  the same plus the PMTU/redirect helpers; the stage from rt_bind_peer's
 *                     prototype (daddr: S3+), ipv4_validate_peer (S4+) and redirect_genid (S4 only)
 *   fnhe              next-hop exceptions (fib_nh_exception, update_or_create_fnhe), no peer genid
 *   pre-genid         a route cache with rt->peer but no genid
 */
import { readFile } from 'node:fs/promises';
import type { Era, Stage } from '../model/types.ts';
import type { KernelTypes } from './btf/types.ts';
import type { KernelInfo } from './types.ts';

export interface EraDecision {
  era: Era;
  /** pmtu-redirect only: the stage of the 2.6.39 .. 3.5 history. */
  stage?: Stage;
  /** The facts that decided it, one phrase each (printed with the verdict). */
  evidence: string[];
  /**
   * pmtu-redirect only, false when the code learns PMTU in the inetpeer but has no
   * check_peer_redir (not even inlined): a commit inside the 2.6.39 merge window (2c8cec5c came
   * before f39925db), whose redirects still go through the route cache the old way.
   */
  redirectsInPeer?: boolean;
}

/** Member paths and functions the decision reads (asked of the type loader). */
export const ERA_MEMBERS = ['rtable.rt_peer_genid', 'rtable.peer', 'inet_peer.redirect_genid', 'inet_peer.pmtu_expires', 'fib_nh_exception.fnhe_daddr'] as const;
export const ERA_FUNCTIONS = [
  'rt_bind_peer', 'check_peer_pmtu', 'check_peer_redir', 'ipv4_validate_peer', 'update_or_create_fnhe', 'find_exception', 'ipv4_dst_check',
] as const;

/** name -> System.map type letter (t, T, r, b, d ...). */
export type SymbolTable = Map<string, string>;

/** A System.map (`ffffffff811b19f0 t ipv4_dst_check`); Debian's one-line stub gives an empty table. */
export function parseSystemMap(text: string): SymbolTable {
  const m: SymbolTable = new Map();
  for (const line of text.split('\n')) {
    const r = /^[0-9a-fA-F]+ ([A-Za-z?]) (\S+)/.exec(line);
    if (r && !m.has(r[2]!)) m.set(r[2]!, r[1]!);
  }
  return m;
}

export async function readSystemMap(file: string | undefined): Promise<SymbolTable | undefined> {
  if (!file) return undefined;
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const m = text === undefined ? undefined : parseSystemMap(text);
  return m && m.size > 0 ? m : undefined;
}

/**
 * The era from the kernel's own code. `symbols` (System.map) makes the decision firmer: it
 * tells a function gcc inlined everywhere (no symbol, but the code is there) from one that is
 * absent, and in which section the genid counter sits. Undefined when the kernel shows none
 * of the structures (then only a version or --era can say).
 */
export function detectEra(types: KernelTypes, symbols?: SymbolTable): EraDecision | undefined {
  const member = (p: string) => p in types.members;
  const fn = (n: string) => n in types.functions || Boolean(symbols?.has(n));
  const evidence: string[] = [];
  const genidSym = symbols?.get('__rt_peer_genid');
  const hasGenid = member('rtable.rt_peer_genid') || genidSym !== undefined;
  if (!hasGenid) {
    if (member('fib_nh_exception.fnhe_daddr') || fn('update_or_create_fnhe') || fn('find_exception')) {
      return { era: 'fnhe', evidence: [member('fib_nh_exception.fnhe_daddr') ? 'struct fib_nh_exception' : 'next-hop exception functions', 'no rtable.rt_peer_genid'] };
    }
    if (member('rtable.peer') || fn('rt_bind_peer')) {
      return { era: 'pre-genid', evidence: ['rtable.peer and rt_bind_peer, but no __rt_peer_genid / rtable.rt_peer_genid'] };
    }
    return undefined;
  }
  evidence.push(member('rtable.rt_peer_genid') ? 'rtable.rt_peer_genid' : '__rt_peer_genid');
  const helpers = ['check_peer_pmtu', 'check_peer_redir', 'ipv4_validate_peer'].filter(fn);
  // gcc places a counter nothing writes in read-only data: no bumper was compiled in.
  const readOnly = genidSym !== undefined && /^[rR]$/.test(genidSym);
  const writable = genidSym !== undefined && /^[bBdD]$/.test(genidSym);
  if (helpers.length === 0 && !writable) {
    evidence.push('no check_peer_pmtu / check_peer_redir / ipv4_validate_peer');
    if (readOnly) evidence.push('__rt_peer_genid in read-only data (nothing bumps it)');
    return { era: 'seed', evidence };
  }
  if (helpers.length) evidence.push(helpers.join(', '));
  if (writable) evidence.push(`__rt_peer_genid writable (${genidSym})`);
  let stage: Stage;
  if (fn('ipv4_validate_peer')) {
    const redirectGenid = member('inet_peer.redirect_genid') || Boolean(symbols?.has('redirect_genid'));
    stage = redirectGenid ? 'S4' : 'S5';
    evidence.push(redirectGenid ? 'redirect_genid (S4)' : 'no redirect_genid (S5)');
  } else {
    const bind = types.functions.rt_bind_peer;
    const daddr = bind?.params.some((p) => p.name === 'daddr');
    if (bind) {
      stage = daddr ? 'S3' : 'S2';
      evidence.push(daddr ? 'rt_bind_peer(rt, daddr, create) (S3)' : 'rt_bind_peer(rt, create) (S2)');
    } else {
      // Inlined everywhere (3.0.1 did): its prototype is gone, the daddr argument came with 3.0.
      stage = 'S3';
      evidence.push('rt_bind_peer inlined: no prototype, taken as S3');
    }
  }
  return { era: 'pmtu-redirect', stage, evidence };
}

/**
 * A resolved kernel's era: from its types (BTF, or BTF pahole made from its DWARF) and its
 * System.map; from the version only when the code shows none of the structures.
 */
export async function kernelEra(kernel: KernelInfo, fallback: (v: [number, number, number]) => Era): Promise<EraDecision> {
  const { loadKernelTypes } = await import('./btf/facts.ts');
  const types = await loadKernelTypes(kernel, { wanted: { members: ERA_MEMBERS, functions: ERA_FUNCTIONS } });
  const symbols = await readSystemMap(kernel.systemMap);
  const d = detectEra(types, symbols);
  if (!d) return { era: fallback(kernel.version), evidence: [`none of the mechanism's structures found: from the version ${kernel.version.join('.')}`] };
  if (d.era === 'pmtu-redirect' && d.stage === 'S2' && !('check_peer_redir' in types.functions) && !symbols?.has('check_peer_redir')) {
    // gcc inlines check_peer_redir everywhere in these builds: only the DWARF tells inlined from absent.
    const vmlinux = kernel.btf.kind === 'dwarf' || kernel.btf.kind === 'vmlinux' ? kernel.btf.path : undefined;
    const { inlineVerdicts } = await import('./btf/inlined.ts');
    const { join } = await import('node:path');
    const v = vmlinux ? await inlineVerdicts(vmlinux, ['check_peer_redir'], join(kernel.workDir, 'inlined.json')) : undefined;
    if (v?.absent.includes('check_peer_redir')) {
      return { ...d, redirectsInPeer: false, evidence: [...d.evidence, 'no check_peer_redir, not even inlined (redirects not yet in the inetpeer)'] };
    }
  }
  return d;
}

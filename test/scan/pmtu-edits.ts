/** Edits of the pmtu-redirect fixture's route.c that the scan memo tests make (helper-only breakages, neutral edits). */
import { treeFiles } from './fixture-trees.ts';

export const ROUTE = 'net/ipv4/route.c';
export const pmtuTree = treeFiles('pmtu-redirect');
export const pmtu = pmtuTree[ROUTE]!;

export function edited(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture changed: ${JSON.stringify(from)} not found`);
  return text.replace(from, to);
}

/** Helper-only breakages of the PMTU path (each diverges when checked on its own). */
export const PMTU_BREAKS: Record<string, [string, string]> = {
  'ip_rt_update_pmtu forgets the genid bump': ['\t\t\tatomic_inc(&__rt_peer_genid);\n\t\t\trt->rt_peer_genid = rt_peer_genid();', '\t\t\trt->rt_peer_genid = rt_peer_genid();'],
  'check_peer_pmtu never applies the learned MTU': ['\t\t\tdst_metric_set(dst, RTAX_MTU, peer->pmtu_learned);\n', ''],
  'ip_rt_frag_needed forgets the genid bump': ['\t\tinet_putpeer(peer);\n\n\t\tatomic_inc(&__rt_peer_genid);\n', '\t\tinet_putpeer(peer);\n'],
};

/** Edits outside what the check reads (a comment that moves every line, a function it never runs). */
export const NEUTRAL: [string, string][] = [
  ['#include <net/route.h>', '#include <net/route.h>\n/* Routing cache notes. */\n'],
  ['\tip_rt_max_size = RT_HASH_SIZE * 16;', '\tip_rt_max_size = RT_HASH_SIZE * 32;'],
];

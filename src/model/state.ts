import type { Era, ModelConfig, ModelState, PeerState, RouteState, Stage } from './types.ts';
import { ModelUsageError } from './types.ts';

/** u32 arithmetic: the genids are u32 in every era (atomic_t read through a u32 accessor). */
export const u32 = (x: number): number => x >>> 0;
export const U32_SPAN = 2 ** 32;

export const DEFAULT_CONFIG: ModelConfig = {
  mtuExpires: 600,
  minPmtu: 552,
  deviceMtu: 1500,
  gateway: '10.0.0.1',
  unresolved: [],
};

export interface InitOptions {
  /** Starting global peer genid (u32), e.g. near the wrap. */
  genid?: number;
  /** Starting namespace rt_genid / fnhe_genid (modern traces do not start at 0). */
  netGenid?: number;
  fnheGenid?: number;
  /** Starting model time. */
  now?: number;
  /** pmtu-redirect stage (default S3, the 3.0.1 kernel of the real traces). */
  stage?: Stage;
  config?: Partial<ModelConfig>;
}

export function initialState(era: Era, opts: InitOptions = {}): ModelState {
  return {
    era,
    genid: u32(opts.genid ?? 0),
    netGenid: u32(opts.netGenid ?? 0),
    fnheGenid: u32(opts.fnheGenid ?? 0),
    now: opts.now ?? 0,
    routes: [],
    peers: {},
    exceptions: {},
    stage: era === 'pmtu-redirect' ? (opts.stage ?? 'S3') : undefined,
    config: { ...DEFAULT_CONFIG, ...opts.config },
    seq: 0,
    lastBumpSeq: -1,
  };
}

export function configOf(s: ModelState): ModelConfig {
  return s.config ?? DEFAULT_CONFIG;
}

/** A copy whose routes, peers and exceptions can be mutated without touching the original. */
export function cloneState(s: ModelState): ModelState {
  const peers: Record<string, PeerState> = {};
  for (const k in s.peers) peers[k] = { ...s.peers[k]! };
  const exceptions: ModelState['exceptions'] = {};
  for (const k in s.exceptions) exceptions[k] = { ...s.exceptions[k]! };
  return { ...s, routes: s.routes.map((r) => ({ ...r })), peers, exceptions };
}

/** The live (not freed) route with this id, or undefined. */
export function liveRoute(s: ModelState, id: number): RouteState | undefined {
  for (let i = s.routes.length - 1; i >= 0; i--) {
    const r = s.routes[i]!;
    if (r.id === id) return r.freed ? undefined : r;
  }
  return undefined;
}

/** The route an operation names; using an unknown or freed route is a harness error. */
export function requireRoute(s: ModelState, id: number, op: string): RouteState {
  const r = liveRoute(s, id);
  if (!r) throw new ModelUsageError(`${op}: route ${id} does not exist or was freed`);
  return r;
}

/** rt_is_expired(): the route belongs to an older namespace generation. */
export function isExpired(s: ModelState, r: RouteState): boolean {
  return r.rtGenid !== undefined ? r.rtGenid !== s.netGenid : r.expired;
}

/** Identity of a peer across renames (S5 tree invalidation keeps the object, changes the key). */
export function peerIdentity(s: ModelState, key: string | null): string | null {
  if (key === null) return null;
  const p = s.peers[key];
  return p ? `${p.daddr}#${p.bornSeq ?? 0}` : key;
}

/** Live routes, in creation order. */
export function liveRoutes(s: ModelState): RouteState[] {
  const seen = new Set<number>();
  const out: RouteState[] = [];
  for (let i = s.routes.length - 1; i >= 0; i--) {
    const r = s.routes[i]!;
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    if (!r.freed) out.push(r);
  }
  return out.reverse();
}

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { badInput, envMissing, PeerpropError } from '../../core/errors.ts';
import type { KernelInfo } from '../types.ts';
import { Btf, Kind } from './btf.ts';
import { elfSection, readElfFileSections } from './elf.ts';
import { extractVmlinux } from './extract.ts';
import { readDwarfTypes } from './dwarf.ts';
import type { FunctionFact, KernelTypes, MemberFact, ParamFact } from './types.ts';

import { TYPES_SCHEMA } from './schema.ts';
import { btfFromDwarf } from './pahole.ts';
import { harnessCacheDir } from '../../core/cache-dir.ts';
import { readMemo } from '../../core/files.ts';
export { TYPES_SCHEMA };

/**
 * Member paths the probe generator may ask for, across eras (absent ones are recorded as
 * missing: 3.x has rt_peer_genid, 6.x has rt_gw4 ...). A path walks nested structs and
 * anonymous unions, never through a pointer.
 */
export const WANTED_MEMBERS: readonly string[] = [
  // route
  'rtable.dst', 'rtable.rt_genid', 'rtable.rt_flags', 'rtable.rt_type', 'rtable.rt_gw4', 'rtable.rt_gw_family',
  'rtable.rt_uses_gateway', 'rtable.rt_pmtu', 'rtable.rt_mtu_locked',
  'rtable.rt_gateway', 'rtable.rt_dst', 'rtable.rt_peer_genid', 'rtable.peer', 'rtable.rt_key_dst',
  'dst_entry.dev', 'dst_entry.obsolete', 'dst_entry.__rcuref', 'dst_entry.__refcnt', 'dst_entry.expires',
  // namespace genids
  'net_device.nd_net', 'net_device.nd_net.net',
  'net.ipv4', 'net.ipv4.rt_genid', 'net.ipv4.rt_genid.counter', 'net.fnhe_genid', 'net.fnhe_genid.counter',
  'net.rt_genid', 'net.rt_genid.counter',
  // sockets
  'sock.sk_dst_cache',
  // next-hop exceptions
  'fib_nh_exception.fnhe_genid', 'fib_nh_exception.fnhe_daddr', 'fib_nh_exception.fnhe_pmtu',
  'fib_nh_exception.fnhe_gw', 'fib_nh_exception.fnhe_expires', 'fib_nh_exception.fnhe_mtu_locked',
  'fib_nh_exception.fnhe_rth_input', 'fib_nh_exception.fnhe_rth_output', 'fib_nh_exception.fnhe_stamp',
  'fib_nh_common.nhc_dev', 'fib_nh.nh_dev',
  // flows and headers
  'flowi4.daddr', 'flowi4.saddr', 'iphdr.daddr', 'iphdr.saddr', 'iphdr.tot_len',
  'inetpeer_addr.a4', 'inetpeer_addr.family', 'inetpeer_addr_base.a4',
  // sysctl: the namespace of ipv4_sysctl_rtcache_flush is __ctl->extra1
  'ctl_table.extra1', 'ctl_table.data',
  // inet_peer (seed era)
  'inet_peer.daddr', 'inet_peer.pmtu_expires', 'inet_peer.pmtu_orig', 'inet_peer.pmtu_learned',
  'inet_peer.redirect_learned', 'inet_peer.redirect_genid',
];

/** Functions whose prototypes the generator may need (both eras). */
export const WANTED_FUNCTIONS: readonly string[] = [
  'ipv4_dst_check', 'ip_rt_update_pmtu', '__ip_rt_update_pmtu', 'update_or_create_fnhe', '__ip_do_redirect',
  'ip_do_redirect', 'ipv4_update_pmtu', 'ipv4_redirect', 'ipv4_sk_update_pmtu', 'ipv4_sk_redirect',
  'rt_cache_flush', 'ipv4_sysctl_rtcache_flush', '__sk_dst_check', 'sk_dst_check', 'inet_getpeer',
  'dst_release', 'find_exception', 'rt_dst_alloc', 'rt_cache_route', 'ip_route_output_key_hash_rcu',
  'icmp_unreach', 'icmp_redirect', 'rt_set_nexthop', 'rt_bind_exception', 'rt_genid_bump_ipv4',
  'fnhe_genid_bump', 'rt_cache_valid', 'rt_is_expired', 'fnhe_flush_routes', 'fill_route_from_fnhe',
  '__mkroute_output', 'ip_route_output_slow', 'rt_flush_dev', 'fib_sync_mtu', 'fib_nhc_update_mtu',
  // seed era
  'rt_bind_peer', 'ip_rt_frag_needed', 'ip_rt_redirect', 'check_peer_pmtu', 'check_peer_redir',
  'ipv4_dst_destroy', 'ipv4_validate_peer', 'rt_init_metrics', 'inet_getpeer_v4', 'rt_cache_invalidate',
  'rt_peer_genid', '__ip_select_ident',
];

/** Enumerators the probe generator may need (read from every enum: few, and cheap). */
export const WANTED_ENUMERATORS: readonly string[] = ['RTAX_MTU'];

/** Lists of what to read out of a kernel's types. */
export interface TypesWanted {
  members: readonly string[];
  functions: readonly string[];
}

const DEFAULT_WANTED: TypesWanted = { members: WANTED_MEMBERS, functions: WANTED_FUNCTIONS };

// ---------------------------------------------------------------------------------------------
// Facts out of a parsed BTF

function intInfo(btf: Btf, id: number): { signed?: boolean; pointer?: boolean; pointee?: string } {
  const r = btf.resolve(id);
  const k = btf.kindOf(r);
  if (k === Kind.Int) return { signed: btf.intEncoding(r)!.signed };
  if (k === Kind.Enum || k === Kind.Enum64) return { signed: btf.enumSigned(r) };
  if (k === Kind.Ptr) {
    const t = btf.resolve(btf.sizeOrType(r));
    const tk = btf.kindOf(t);
    const pointee = tk === Kind.Struct || tk === Kind.Union || tk === Kind.Fwd ? btf.nameOf(t) || undefined : undefined;
    return { pointer: true, pointee };
  }
  return {};
}

/** Finds `name` among a struct's members, descending into anonymous structs/unions. Bit offset is relative to `id`. */
function findMember(btf: Btf, id: number, name: string): { type: number; bitOffset: number; bitSize: number } | undefined {
  for (const m of btf.members(id)) {
    if (m.name === name) return { type: m.type, bitOffset: m.bitOffset, bitSize: m.bitSize };
  }
  for (const m of btf.members(id)) {
    if (m.name !== '') continue;
    const inner = btf.resolve(m.type);
    const k = btf.kindOf(inner);
    if (k !== Kind.Struct && k !== Kind.Union) continue;
    const r = findMember(btf, inner, name);
    if (r) return { ...r, bitOffset: r.bitOffset + m.bitOffset };
  }
  return undefined;
}

/** Resolves `struct.member[.member...]` to an offset (see MemberFact). */
export function resolveMemberPath(btf: Btf, p: string): MemberFact | undefined {
  const [structName, ...steps] = p.split('.');
  if (!structName || steps.length === 0) return undefined;
  let cur = btf.findStruct(structName);
  if (cur === undefined || btf.vlen(cur) === 0) return undefined;
  let bit = 0;
  let found: { type: number; bitOffset: number; bitSize: number } | undefined;
  for (let i = 0; i < steps.length; i++) {
    found = findMember(btf, cur!, steps[i]!);
    if (!found) return undefined;
    bit += found.bitOffset;
    if (i < steps.length - 1) {
      const next = btf.resolve(found.type);
      const k = btf.kindOf(next);
      if (k !== Kind.Struct && k !== Kind.Union) return undefined; // a path never crosses a pointer
      cur = next;
    }
  }
  const t = found!.type;
  const size = btf.sizeOf(t);
  let bitSize = found!.bitSize;
  // Old-style BTF bitfields live in the int encoding instead of the member offset.
  const enc = btf.intEncoding(btf.resolve(t));
  if (!bitSize && enc && enc.bits < size * 8) {
    bitSize = enc.bits;
    bit += enc.offset;
  }
  const fact: MemberFact = { path: p, offset: Math.floor(bit / 8), size, type: btf.typeName(t), ...intInfo(btf, t) };
  if (bitSize) {
    // Storage unit: the member type's size, aligned; widen if the field straddles it.
    let unit = Math.max(1, size);
    let start = Math.floor(bit / (unit * 8)) * unit;
    if (bit - start * 8 + bitSize > unit * 8) {
      unit = 8;
      start = Math.floor(bit / 64) * 8;
    }
    fact.offset = start;
    fact.size = unit;
    fact.bitOffset = bit - start * 8;
    fact.bitSize = bitSize;
  }
  return fact;
}

function paramFact(btf: Btf, name: string, type: number): ParamFact {
  return { name, type: btf.typeName(type), size: btf.sizeOf(type), ...intInfo(btf, type) };
}

/** The prototype of a BTF FUNC (the first one if several static functions share the name). */
export function functionFact(btf: Btf, name: string): FunctionFact | undefined {
  const ids = btf.lookup(name, Kind.Func);
  if (ids.length === 0) return undefined;
  const id = ids[0]!;
  const proto = btf.sizeOrType(id);
  const ret = btf.sizeOrType(proto);
  const linkage = (['static', 'global', 'extern'] as const)[btf.vlen(id)];
  const ri = intInfo(btf, ret);
  return {
    name,
    params: btf.params(proto).map((p) => paramFact(btf, p.name, p.type)),
    returns: ret === 0 ? 'void' : btf.typeName(ret),
    returnSize: ret === 0 ? 0 : btf.sizeOf(ret),
    ...(ri.pointer ? { returnPointer: true, returnPointee: ri.pointee } : {}),
    linkage,
  };
}

/** Facts from a raw BTF blob (pure; what the tests call on the real kernels' BTF). */
export function readKernelTypes(btfBlob: Buffer, source: string, wanted: TypesWanted = DEFAULT_WANTED, release?: string): KernelTypes {
  let btf: Btf;
  try {
    btf = new Btf(btfBlob);
  } catch (e) {
    // A damaged kernel image is the user's input: one line naming it, exit 2.
    if (e instanceof PeerpropError) throw badInput(`${source}: ${e.message}`);
    throw e;
  }
  const out: KernelTypes = {
    schema: TYPES_SCHEMA, source, format: 'btf', release, members: {}, missingMembers: [], functions: {},
    missingFunctions: [], structSizes: {},
  };
  for (const p of new Set(wanted.members)) {
    const f = resolveMemberPath(btf, p);
    if (f) out.members[p] = f;
    else out.missingMembers.push(p);
    const s = p.split('.')[0]!;
    if (!(s in out.structSizes)) {
      const id = btf.findStruct(s);
      out.structSizes[s] = id !== undefined && btf.vlen(id) > 0 ? btf.sizeOrType(id) : 0;
    }
  }
  for (const fn of new Set(wanted.functions)) {
    const f = functionFact(btf, fn);
    if (f) out.functions[fn] = f;
    else out.missingFunctions.push(fn);
  }
  out.enumerators = {};
  for (const e of WANTED_ENUMERATORS) {
    const v = btf.enumerator(e);
    if (v !== undefined) out.enumerators[e] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per-kernel, cached

export interface LoadTypesOptions {
  wanted?: TypesWanted;
  /** Ignore the JSON cache (and rewrite it). */
  refresh?: boolean;
  /** Timing and cache hits, for the bench. */
  stats?: LoadTypesStats;
}

export interface LoadTypesStats {
  cached?: boolean;
  extractMs?: number;
  parseMs?: number;
  btfBytes?: number;
  compression?: string;
}

function covers(t: KernelTypes, w: TypesWanted): boolean {
  const m = new Set([...Object.keys(t.members), ...t.missingMembers]);
  const f = new Set([...Object.keys(t.functions), ...t.missingFunctions]);
  return w.members.every((x) => m.has(x)) && w.functions.every((x) => f.has(x));
}

async function writeAtomic(p: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(p), { recursive: true });
  const tmp = `${p}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, p);
}

/** The raw BTF of a kernel (cached as <workDir>/vmlinux.btf), or a DWARF vmlinux to read with gdb. */
async function btfBlobFor(k: KernelInfo, stats: LoadTypesStats): Promise<{ blob: Buffer; source: string } | { dwarf: string }> {
  const cachePath = path.join(k.workDir, 'vmlinux.btf');
  const src = k.btf;
  if (src.kind === 'none') throw envMissing(`no type information for ${k.release}: ${src.reason}`);
  if (src.kind === 'dwarf') return { dwarf: src.path };
  if (src.kind === 'bzimage') {
    const cached = await readFile(cachePath).catch(() => undefined);
    const what = await readFile(`${cachePath}.source`, 'utf8').catch(() => undefined);
    if (cached && what) return { blob: cached, source: what };
  }
  const t0 = performance.now();
  if (src.kind === 'raw') {
    const blob = await readFile(src.path);
    stats.extractMs = performance.now() - t0;
    return { blob, source: `raw BTF ${src.path}` };
  }
  let elf: Buffer;
  let what: string;
  if (src.kind === 'bzimage') {
    const x = await extractVmlinux(src.image);
    elf = x.vmlinux;
    stats.compression = x.compression;
    what = `the vmlinux in ${src.image} (${x.compression})`;
  } else {
    // A vmlinux from a build tree: read the section table and .BTF only, not the whole file.
    const r = await readElfFileSections(src.path, '.BTF');
    if (!r) throw badInput('not an ELF vmlinux', { file: src.path });
    stats.extractMs = performance.now() - t0;
    if (r.data) return { blob: r.data, source: `BTF of ${src.path}` };
    if (r.sections.some((s) => s.name === '.debug_info')) {
      // No BTF (kernels before 5.2 never have it): pahole encodes the DWARF as BTF, so one
      // reader serves every era; gdb reads the DWARF directly when pahole is not installed.
      const made = await btfFromDwarf(src.path, k.cacheRoot ?? harnessCacheDir());
      stats.extractMs = performance.now() - t0;
      return made ?? { dwarf: src.path };
    }
    throw envMissing(`${src.path} has no .BTF section and no DWARF (build with CONFIG_DEBUG_INFO_BTF or CONFIG_DEBUG_INFO)`);
  }
  const blob = elfSection(elf, '.BTF');
  stats.extractMs = performance.now() - t0;
  if (!blob) {
    throw envMissing(`${what} has no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF); pass the build tree's vmlinux with DWARF (--vmlinux) for offsets`);
  }
  const copy = Buffer.from(blob); // detach from the 50 MB vmlinux
  const source = `BTF of ${what}`;
  await writeAtomic(cachePath, copy);
  await writeAtomic(`${cachePath}.source`, source);
  return { blob: copy, source };
}

/**
 * The kernel's type facts, from <workDir>/types.json when it already covers what is wanted
 * (instant), else from BTF (extracting the vmlinux out of the bzImage once) or DWARF.
 */
export async function loadKernelTypes(k: KernelInfo, opts: LoadTypesOptions = {}): Promise<KernelTypes> {
  const wanted = opts.wanted ?? DEFAULT_WANTED;
  const stats = opts.stats ?? {};
  const jsonPath = path.join(k.workDir, 'types.json');
  const prev = opts.refresh ? undefined : ((await readMemo<KernelTypes>(jsonPath)) as KernelTypes | undefined);
  if (prev && prev.schema === TYPES_SCHEMA && prev.release === k.release && covers(prev, wanted)) {
    stats.cached = true;
    return prev;
  }
  stats.cached = false;
  // Keep whatever an earlier caller asked for, so alternating callers do not thrash the cache.
  const all: TypesWanted =
    prev && prev.schema === TYPES_SCHEMA && prev.release === k.release
      ? {
          members: [...new Set([...wanted.members, ...Object.keys(prev.members), ...prev.missingMembers])],
          functions: [...new Set([...wanted.functions, ...Object.keys(prev.functions), ...prev.missingFunctions])],
        }
      : { members: [...new Set([...wanted.members, ...DEFAULT_WANTED.members])], functions: [...new Set([...wanted.functions, ...DEFAULT_WANTED.functions])] };
  const b = await btfBlobFor(k, stats);
  const t0 = performance.now();
  let types: KernelTypes;
  if ('dwarf' in b) {
    types = await readDwarfTypes(b.dwarf, all);
  } else {
    stats.btfBytes = b.blob.length;
    types = readKernelTypes(b.blob, b.source, all, k.release);
  }
  types.release = k.release;
  stats.parseMs = performance.now() - t0;
  await writeAtomic(jsonPath, JSON.stringify(types, null, 1) + '\n').catch(() => {
    /* a read-only work dir only costs speed */
  });
  return types;
}

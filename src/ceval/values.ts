/**
 * Run-time values of the C evaluator.
 *
 * Integers are JS numbers kept normalised to their C type (s32 via `| 0`, u32 via `>>> 0`);
 * the static type of each expression is known at compile time, so values carry no tag.
 * Pointers are object references: `null` is NULL, a CStruct is a pointer to that struct
 * (casts between `struct dst_entry *` and `struct rtable *` keep the same object: the dst is
 * the rtable's first member, so both pointers have the same address), and a FieldRef is
 * `&obj->field` for a scalar or pointer field (what cmpxchg() and atomic ops receive).
 */

/** Where a statement or access is in the C source (1-based). */
export interface Site {
  file: string;
  line: number;
  column: number;
  /** Enclosing function. */
  func: string;
}

/** A struct instance: a route, a peer, an atomic_t, the file's globals, a local struct. */
export class CStruct {
  /** Last statement that wrote each field (for divergence reports). */
  w: Record<string, Site> = Object.create(null);
  /** Fields holding an embedded struct (so `&o->k` is that struct, not a FieldRef). */
  emb: Set<string> | undefined;
  /**
   * Allocated zeroed (dst_alloc zeroes a route): a field nobody set reads as 0 / NULL and may be
   * written, instead of being an error.
   */
  zeroed = false;
  constructor(
    /** C struct tag ('rtable', 'inet_peer', 'atomic_t', 'globals', ...). */
    readonly type: string,
    /** Field values. Embedded structs are CStruct values listed in `embedded`. */
    public f: Record<string, Value>,
    /** Visible to other CPUs: accesses to its fields are scheduling points. */
    readonly shared: boolean,
    /** Human label for reports ('route 0', 'peer 10.0.0.1', '__rt_peer_genid'). */
    public label: string,
  ) {}
}

/** `&obj->field` for a non-struct field. */
export class FieldRef {
  constructor(
    readonly o: CStruct,
    readonly k: string,
  ) {}
}

/** A function designator used as a value (only for identity, never called through). */
export class FuncRef {
  constructor(readonly name: string) {}
}

export type Value = number | null | CStruct | FieldRef | FuncRef;

/** Static C types the evaluator distinguishes. */
export type CType =
  | 'int' // signed 32-bit (int, s32, long on the 32-bit reading we model, bool, char)
  | 'uint' // unsigned 32-bit (u32, __be32, unsigned, u16, u8)
  | 'u64' // unsigned long / u64: JS number, no wrap modelled
  | 'ptr'
  | 'struct'
  | 'void';

/** Pointer / integer equality as C compares them. */
export function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a instanceof FieldRef && b instanceof FieldRef) return a.o === b.o && a.k === b.k;
  // NULL compares equal to 0.
  if ((a === null && b === 0) || (a === 0 && b === null)) return true;
  return false;
}

/** C truthiness: non-zero integer, non-NULL pointer. */
export function truthy(v: Value): boolean {
  return v !== null && v !== 0;
}

/** Normalises a number to a C integer type. */
export function normalise(v: number, t: CType): number {
  if (t === 'uint') return v >>> 0;
  if (t === 'int') return v | 0;
  return v;
}

/** Typedef and keyword names to the static types above. */
const TYPE_NAMES: Record<string, CType> = {
  int: 'int',
  'signed int': 'int',
  signed: 'int',
  long: 'int',
  'long int': 'int',
  short: 'int',
  char: 'int',
  bool: 'int',
  _Bool: 'int',
  s8: 'int',
  s16: 'int',
  s32: 'int',
  __s32: 'int',
  int32_t: 'int',
  unsigned: 'uint',
  'unsigned int': 'uint',
  'unsigned short': 'uint',
  'unsigned char': 'uint',
  u8: 'uint',
  u16: 'uint',
  u32: 'uint',
  __u8: 'uint',
  __u16: 'uint',
  __u32: 'uint',
  __be16: 'uint',
  __be32: 'uint',
  __le32: 'uint',
  uint32_t: 'uint',
  uint16_t: 'uint',
  uint8_t: 'uint',
  'unsigned long': 'u64',
  'unsigned long int': 'u64',
  'long long': 'u64',
  'unsigned long long': 'u64',
  u64: 'u64',
  __u64: 'u64',
  __be64: 'u64',
  size_t: 'u64',
  void: 'void',
};

/** The static type of a C type name (after stripping qualifiers); undefined when unknown. */
export function scalarType(name: string): CType | undefined {
  const n = name
    .replace(/\b(const|volatile|static|inline|register|extern|__read_mostly|__rcu)\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return TYPE_NAMES[n];
}

/**
 * Static types of the struct fields the protocol touches. Field names are unique enough in
 * this corner of the kernel that a flat table suffices; an unknown field reads as `int`.
 */
export const FIELD_TYPES: Record<string, CType> = {
  rt_peer_genid: 'uint',
  rt_genid: 'int',
  rt_dst: 'uint',
  rt_key_dst: 'uint',
  rt_gateway: 'uint',
  rt_flags: 'uint',
  peer: 'ptr',
  dev: 'ptr',
  nd_net: 'ptr',
  counter: 'int',
  refcnt: 'int',
  obsolete: 'int',
  a4: 'uint',
  family: 'int',
  daddr: 'uint',
  pmtu_expires: 'u64',
  pmtu_learned: 'uint',
  pmtu_orig: 'uint',
  redirect_genid: 'int',
  expires: 'u64',
  neighbour: 'ptr',
  _neighbour: 'ptr',
  nud_state: 'uint',
  rx_redirects: 'int',
  shared_media: 'int',
};

/** Fields of a struct that are the struct itself (its first member): `rt->dst`, old kernels' `rt->u.dst`. */
export const SELF_FIELDS: Record<string, readonly string[]> = {
  rtable: ['dst', 'u'],
};

/**
 * Fields set once when the object is created and never written afterwards (a route's
 * destination, its device): reading them is not a scheduling point.
 */
export const IMMUTABLE_FIELDS: ReadonlySet<string> = new Set(['rt_dst', 'rt_key_dst', 'rt_key_src', 'dev', 'nd_net', 'daddr', 'ifindex']);

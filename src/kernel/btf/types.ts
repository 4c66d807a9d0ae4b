/**
 * Kernel type facts the probe generator needs, read from BTF (or DWARF):
 * struct member offsets (nested paths, bitfields) and function prototypes.
 * Serialisable: cached as JSON next to the unpacked kernel.
 */

/** A resolved member path such as `rtable.dst.obsolete` or `net.ipv4.rt_genid.counter`. */
export interface MemberFact {
  /** The path as asked: `<struct>.<member>[.<member>...]`. */
  path: string;
  /** Byte offset from the start of the outer struct (for a bitfield: the byte of its storage unit, see bit*). */
  offset: number;
  /** Size in bytes of the member's type (for a bitfield: the storage unit's size, 4 for `u32 x:31`). */
  size: number;
  /** C type name as BTF spells it after typedef resolution is NOT applied ("u32", "atomic_t", "struct dst_entry"). */
  type: string;
  /** Integer signedness after resolving typedefs (undefined for non-integers). */
  signed?: boolean;
  /** Pointer member? (fetch as x64). */
  pointer?: boolean;
  /** For a pointer to a struct/union: its name ("net_device"). */
  pointee?: string;
  /** Bitfield: bit offset inside the storage unit at `offset`, and width. */
  bitOffset?: number;
  bitSize?: number;
}

export interface ParamFact {
  name: string;
  /** C type as text ("struct dst_entry *", "u32", "__be32"). */
  type: string;
  /** Size in bytes (pointers 8). */
  size: number;
  signed?: boolean;
  pointer?: boolean;
  /** For a pointer to a struct: the struct's name ("rtable"). */
  pointee?: string;
}

export interface FunctionFact {
  name: string;
  params: ParamFact[];
  /** Return type text; "void" for none. */
  returns: string;
  returnSize: number;
  returnPointer?: boolean;
  returnPointee?: string;
  /** BTF linkage: static / global / extern. */
  linkage?: 'static' | 'global' | 'extern';
}

export interface KernelTypes {
  /** Schema of this JSON; bump when the shape or the asked paths change. */
  schema: number;
  /** Where the facts were read: "BTF in vmlinux extracted from /path/vmlinuz (LZ4, 5.1 MB BTF)". */
  source: string;
  /** 'btf' or 'dwarf'. */
  format: 'btf' | 'dwarf';
  /** Release as found in the image (for cache consistency). */
  release?: string;
  /** Resolved member paths by path. Paths that do not exist in this kernel are absent (see `missingMembers`). */
  members: Record<string, MemberFact>;
  missingMembers: string[];
  /** Function prototypes by name, for the functions asked for that have a BTF FUNC. */
  functions: Record<string, FunctionFact>;
  /** Asked-for functions with no BTF FUNC (inlined everywhere, a compiler clone, or absent). */
  missingFunctions: string[];
  /** Structs asked for and their size (0 if absent). */
  structSizes: Record<string, number>;
  /** Enumerator values the probes need (RTAX_MTU: the MTU slot of a route's metrics), when the types have them. */
  enumerators?: Record<string, number>;
}

/**
 * A small reader of the kernel's BTF (Documentation/bpf/btf.rst): header, type section,
 * string section. Types are indexed once (flat typed arrays, ids from 1); names, members
 * and prototypes are decoded on demand. Enough for struct layouts and function prototypes.
 */
import { badInput } from '../../core/errors.ts';
export const BTF_MAGIC = 0xeb9f;

export enum Kind {
  Unkn = 0, Int = 1, Ptr = 2, Array = 3, Struct = 4, Union = 5, Enum = 6, Fwd = 7, Typedef = 8,
  Volatile = 9, Const = 10, Restrict = 11, Func = 12, FuncProto = 13, Var = 14, Datasec = 15,
  Float = 16, DeclTag = 17, TypeTag = 18, Enum64 = 19,
}

export interface BtfMember {
  name: string;
  type: number;
  /** Offset in bits from the start of the struct. */
  bitOffset: number;
  /** Bitfield width, 0 for a normal member. */
  bitSize: number;
}

export interface BtfParam {
  name: string;
  type: number;
}

export class Btf {
  readonly count: number;
  private readonly kind: Uint8Array;
  private readonly nameOff: Uint32Array;
  private readonly info: Uint32Array;
  private readonly sizeType: Uint32Array;
  private readonly dataOff: Uint32Array;
  private readonly view: DataView;
  private readonly strStart: number;
  private readonly strEnd: number;
  private byName?: Map<string, number[]>;

  constructor(private readonly buf: Buffer) {
    if (buf.length < 24) throw badInput('BTF too short');
    const magicLE = buf.readUInt16LE(0);
    const le = magicLE === BTF_MAGIC;
    if (!le && buf.readUInt16BE(0) !== BTF_MAGIC) throw badInput('not BTF (bad magic)');
    if (!le) throw badInput('big-endian BTF is not supported');
    const hdrLen = buf.readUInt32LE(4);
    const typeOff = buf.readUInt32LE(8);
    const typeLen = buf.readUInt32LE(12);
    const strOff = buf.readUInt32LE(16);
    const strLen = buf.readUInt32LE(20);
    const tStart = hdrLen + typeOff;
    const tEnd = tStart + typeLen;
    this.strStart = hdrLen + strOff;
    this.strEnd = this.strStart + strLen;
    if (tEnd > buf.length || this.strEnd > buf.length) throw badInput('truncated BTF');
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

    // Count first, then fill: each type record is 12 bytes plus kind-specific data.
    const offs: number[] = [];
    let o = tStart;
    while (o < tEnd) {
      offs.push(o);
      o += 12 + this.extraLen(o);
    }
    if (o !== tEnd) throw badInput('malformed BTF type section');
    const n = offs.length + 1; // id 0 is void
    this.count = n;
    this.kind = new Uint8Array(n);
    this.nameOff = new Uint32Array(n);
    this.info = new Uint32Array(n);
    this.sizeType = new Uint32Array(n);
    this.dataOff = new Uint32Array(n);
    for (let i = 0; i < offs.length; i++) {
      const p = offs[i]!;
      const info = this.u32(p + 4);
      this.nameOff[i + 1] = this.u32(p);
      this.info[i + 1] = info;
      this.kind[i + 1] = (info >>> 24) & 0x1f;
      this.sizeType[i + 1] = this.u32(p + 8);
      this.dataOff[i + 1] = p + 12;
    }
  }

  private u32(o: number): number {
    return this.view.getUint32(o, true);
  }

  private extraLen(p: number): number {
    const info = this.u32(p + 4);
    const vlen = info & 0xffff;
    switch ((info >>> 24) & 0x1f) {
      case Kind.Int: return 4;
      case Kind.Array: return 12;
      case Kind.Struct: case Kind.Union: return 12 * vlen;
      case Kind.Enum: return 8 * vlen;
      case Kind.FuncProto: return 8 * vlen;
      case Kind.Var: return 4;
      case Kind.Datasec: return 12 * vlen;
      case Kind.DeclTag: return 4;
      case Kind.Enum64: return 12 * vlen;
      case Kind.Ptr: case Kind.Fwd: case Kind.Typedef: case Kind.Volatile: case Kind.Const:
      case Kind.Restrict: case Kind.Func: case Kind.Float: case Kind.TypeTag: case Kind.Unkn:
        return 0;
      default:
        throw badInput(`unknown BTF kind ${(info >>> 24) & 0x1f}`);
    }
  }

  str(off: number): string {
    const s = this.strStart + off;
    if (off === 0 || s >= this.strEnd) return '';
    const e = this.buf.indexOf(0, s);
    return this.buf.toString('latin1', s, e < 0 || e > this.strEnd ? this.strEnd : e);
  }

  kindOf(id: number): Kind {
    return this.kind[id] as Kind;
  }
  nameOf(id: number): string {
    return id === 0 ? 'void' : this.str(this.nameOff[id]!);
  }
  vlen(id: number): number {
    return this.info[id]! & 0xffff;
  }
  kflag(id: number): boolean {
    return (this.info[id]! >>> 31) === 1;
  }
  /** size (int, struct, union, enum, datasec, float) or referenced type (ptr, typedef, func ...). */
  sizeOrType(id: number): number {
    return this.sizeType[id]!;
  }

  /** Ids by name (any kind); built once on first use. */
  lookup(name: string, kind?: Kind): number[] {
    if (!this.byName) {
      const m = new Map<string, number[]>();
      for (let id = 1; id < this.count; id++) {
        if (this.nameOff[id] === 0) continue;
        const nm = this.str(this.nameOff[id]!);
        const l = m.get(nm);
        if (l) l.push(id);
        else m.set(nm, [id]);
      }
      this.byName = m;
    }
    const ids = this.byName.get(name) ?? [];
    return kind === undefined ? ids : ids.filter((id) => this.kind[id] === kind);
  }

  /**
   * The value of an enumerator (`RTAX_MTU`), searched in every enum (the kernel's are often
   * anonymous); undefined when no enum has it or two enums disagree.
   */
  enumerator(name: string): number | undefined {
    let found: number | undefined;
    for (let id = 1; id < this.count; id++) {
      if (this.kind[id] !== Kind.Enum) continue;
      const base = this.dataOff[id]!;
      for (let i = 0; i < this.vlen(id); i++) {
        if (this.str(this.u32(base + 8 * i)) !== name) continue;
        const v = this.view.getInt32(base + 8 * i + 4, true);
        if (found !== undefined && found !== v) return undefined;
        found = v;
      }
    }
    return found;
  }

  /** A complete struct (or union) by name: the one with members, not a forward declaration. */
  findStruct(name: string): number | undefined {
    const ids = [...this.lookup(name, Kind.Struct), ...this.lookup(name, Kind.Union)];
    return ids.find((id) => this.vlen(id) > 0) ?? ids[0];
  }

  /** Skips typedef / const / volatile / restrict / type_tag. */
  resolve(id: number): number {
    let guard = 0;
    while (guard++ < 64) {
      const k = this.kind[id];
      if (k === Kind.Typedef || k === Kind.Const || k === Kind.Volatile || k === Kind.Restrict || k === Kind.TypeTag) {
        id = this.sizeType[id]!;
      } else return id;
    }
    throw badInput('BTF type chain too long');
  }

  /** Skips modifiers but keeps typedefs (for display). */
  stripModifiers(id: number): number {
    while (true) {
      const k = this.kind[id];
      if (k === Kind.Const || k === Kind.Volatile || k === Kind.Restrict || k === Kind.TypeTag) id = this.sizeType[id]!;
      else return id;
    }
  }

  members(id: number): BtfMember[] {
    const k = this.kind[id];
    if (k !== Kind.Struct && k !== Kind.Union) return [];
    const out: BtfMember[] = [];
    const kf = this.kflag(id);
    const base = this.dataOff[id]!;
    for (let i = 0; i < this.vlen(id); i++) {
      const p = base + 12 * i;
      const off = this.u32(p + 8);
      out.push({
        name: this.str(this.u32(p)),
        type: this.u32(p + 4),
        bitOffset: kf ? off & 0xffffff : off,
        bitSize: kf ? off >>> 24 : 0,
      });
    }
    return out;
  }

  params(protoId: number): BtfParam[] {
    if (this.kind[protoId] !== Kind.FuncProto) return [];
    const base = this.dataOff[protoId]!;
    const out: BtfParam[] = [];
    for (let i = 0; i < this.vlen(protoId); i++) {
      const p = base + 8 * i;
      out.push({ name: this.str(this.u32(p)), type: this.u32(p + 4) });
    }
    return out;
  }

  /** Int encoding: { signed, bits, offset } (old-style bitfields live in the int's offset/bits). */
  intEncoding(id: number): { signed: boolean; bits: number; offset: number } | undefined {
    if (this.kind[id] !== Kind.Int) return undefined;
    const e = this.u32(this.dataOff[id]!);
    return { signed: ((e >>> 24) & 1) === 1, offset: (e >>> 16) & 0xff, bits: e & 0xff };
  }

  /** Enum signedness (kflag on enums since 6.0: 1 = signed). */
  enumSigned(id: number): boolean {
    return this.kflag(id);
  }

  /** Byte size of a type (pointers are 8 on the 64-bit kernels BTF describes). */
  sizeOf(id: number): number {
    const r = this.resolve(id);
    switch (this.kind[r]) {
      case Kind.Int: case Kind.Struct: case Kind.Union: case Kind.Enum: case Kind.Enum64: case Kind.Float: case Kind.Datasec:
        return this.sizeType[r]!;
      case Kind.Ptr: case Kind.FuncProto:
        return 8;
      case Kind.Array: {
        const p = this.dataOff[r]!;
        return this.sizeOf(this.u32(p)) * this.u32(p + 8);
      }
      default:
        return 0;
    }
  }

  /** C spelling of a type, typedef names kept: "struct dst_entry *", "u32", "const char *". */
  typeName(id: number, depth = 0): string {
    if (depth > 16) return '...';
    const k = this.kind[id];
    const nm = this.nameOf(id);
    switch (k) {
      case undefined: return 'void';
      case Kind.Unkn: return 'void';
      case Kind.Int: case Kind.Typedef: case Kind.Float: return nm;
      case Kind.Struct: case Kind.Fwd: return `${k === Kind.Fwd && this.kflag(id) ? 'union' : 'struct'} ${nm || '(anon)'}`;
      case Kind.Union: return `union ${nm || '(anon)'}`;
      case Kind.Enum: case Kind.Enum64: return `enum ${nm || '(anon)'}`;
      case Kind.Ptr: {
        const t = this.sizeType[id]!;
        if (this.kind[t] === Kind.FuncProto) return 'void (*)(...)';
        return `${this.typeName(t, depth + 1)} *`;
      }
      case Kind.Const: return `const ${this.typeName(this.sizeType[id]!, depth + 1)}`;
      case Kind.Volatile: return `volatile ${this.typeName(this.sizeType[id]!, depth + 1)}`;
      case Kind.Restrict: case Kind.TypeTag: return this.typeName(this.sizeType[id]!, depth + 1);
      case Kind.Array: {
        const p = this.dataOff[id]!;
        return `${this.typeName(this.u32(p), depth + 1)}[${this.u32(p + 8)}]`;
      }
      case Kind.FuncProto: return 'function';
      default: return nm;
    }
  }
}

export function parseBtf(buf: Buffer): Btf {
  return new Btf(buf);
}

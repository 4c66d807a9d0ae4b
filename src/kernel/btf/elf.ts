/**
 * Just enough ELF to find a section by name (.BTF, .debug_info) in a vmlinux:
 * 32/64-bit, little or big endian. No symbols, no program headers.
 */
import { badInput } from '../../core/errors.ts';
export interface ElfSection {
  name: string;
  type: number;
  offset: number;
  size: number;
  addr: bigint;
}

export function isElf(buf: Uint8Array): boolean {
  return buf.length >= 16 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

/** Section headers of an ELF image held in memory. Throws on a truncated or non-ELF buffer. */
export function readElfSections(buf: Buffer): ElfSection[] {
  if (!isElf(buf)) throw badInput('not an ELF file');
  const is64 = buf[4] === 2;
  const le = buf[5] !== 2;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u64 = (o: number) => (le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  const word = (o: number) => (is64 ? Number(u64(o)) : u32(o));
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  if (shoff === 0 || shnum === 0) return [];
  if (shoff + shnum * shentsize > buf.length) throw badInput('truncated ELF: section headers beyond the end of the file');
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: u32(o),
      type: u32(o + 4),
      addr: is64 ? u64(o + 16) : BigInt(u32(o + 12)),
      offset: word(is64 ? o + 24 : o + 16),
      size: word(is64 ? o + 32 : o + 20),
    });
  }
  const strtab = raw[shstrndx];
  const names = strtab ? buf.subarray(strtab.offset, strtab.offset + strtab.size) : Buffer.alloc(0);
  return raw.map((s) => {
    const end = names.indexOf(0, s.nameOff);
    return {
      name: names.subarray(s.nameOff, end < 0 ? names.length : end).toString('latin1'),
      type: s.type,
      offset: s.offset,
      size: s.size,
      addr: s.addr,
    };
  });
}

/** The bytes of a named section, or undefined. SHT_NOBITS sections have no bytes. */
export function elfSection(buf: Buffer, name: string): Buffer | undefined {
  const s = readElfSections(buf).find((x) => x.name === name);
  if (!s || s.type === 8 /* SHT_NOBITS */) return undefined;
  if (s.offset + s.size > buf.length) throw badInput(`truncated ELF: section ${name} beyond the end of the file`);
  return buf.subarray(s.offset, s.offset + s.size);
}

/**
 * Section names and one section's bytes from an ELF file on disk, reading only the headers
 * and that section (a vmlinux with DWARF is hundreds of MB).
 */
export async function readElfFileSections(file: string, want?: string): Promise<{ sections: ElfSection[]; data?: Buffer } | undefined> {
  const { open } = await import('node:fs/promises');
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(64);
    await fh.read(head, 0, 64, 0);
    if (!isElf(head)) return undefined;
    const is64 = head[4] === 2;
    const le = head[5] !== 2;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const shoff = is64 ? Number(le ? head.readBigUInt64LE(0x28) : head.readBigUInt64BE(0x28)) : le ? head.readUInt32LE(0x20) : head.readUInt32BE(0x20);
    const shentsize = u16(head, is64 ? 0x3a : 0x2e);
    const shnum = u16(head, is64 ? 0x3c : 0x30);
    if (shoff === 0 || shnum === 0 || shoff + shnum * shentsize > size) return { sections: [] };
    // Rebuild a small buffer laid out like the file's header + section table + name table.
    const table = Buffer.alloc(shnum * shentsize);
    await fh.read(table, 0, table.length, shoff);
    const shstrndx = u16(head, is64 ? 0x3e : 0x32);
    const strEntry = table.subarray(shstrndx * shentsize, (shstrndx + 1) * shentsize);
    const strOff = is64 ? Number(le ? strEntry.readBigUInt64LE(24) : strEntry.readBigUInt64BE(24)) : le ? strEntry.readUInt32LE(16) : strEntry.readUInt32BE(16);
    const strSize = is64 ? Number(le ? strEntry.readBigUInt64LE(32) : strEntry.readBigUInt64BE(32)) : le ? strEntry.readUInt32LE(20) : strEntry.readUInt32BE(20);
    if (strOff + strSize > size) return { sections: [] };
    const names = Buffer.alloc(strSize);
    await fh.read(names, 0, strSize, strOff);
    // Synthetic image: header, then the table at 64, then the names; offsets patched for names only.
    const synth = Buffer.alloc(64 + table.length + names.length);
    head.copy(synth, 0);
    table.copy(synth, 64);
    names.copy(synth, 64 + table.length);
    if (is64) {
      if (le) synth.writeBigUInt64LE(64n, 0x28);
      else synth.writeBigUInt64BE(64n, 0x28);
    } else if (le) synth.writeUInt32LE(64, 0x20);
    else synth.writeUInt32BE(64, 0x20);
    const e = synth.subarray(64 + shstrndx * shentsize);
    const newStr = 64 + table.length;
    if (is64) {
      if (le) e.writeBigUInt64LE(BigInt(newStr), 24);
      else e.writeBigUInt64BE(BigInt(newStr), 24);
    } else if (le) e.writeUInt32LE(newStr, 16);
    else e.writeUInt32BE(newStr, 16);
    const sections = readElfSections(synth).map((s, i) => (i === shstrndx ? { ...s, offset: strOff } : s));
    if (!want) return { sections };
    const s = sections.find((x) => x.name === want);
    if (!s || s.type === 8 || s.offset + s.size > size) return { sections };
    const data = Buffer.alloc(s.size);
    await fh.read(data, 0, s.size, s.offset);
    return { sections, data };
  } finally {
    await fh.close();
  }
}

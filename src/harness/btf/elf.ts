/**
 * Just enough ELF to find a section by name (.BTF, .debug_info) in a vmlinux:
 * 32/64-bit, little or big endian. No symbols, no program headers.
 */
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
  if (!isElf(buf)) throw new Error('not an ELF file');
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
  if (shoff + shnum * shentsize > buf.length) throw new Error('truncated ELF: section headers beyond the end of the file');
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
  if (s.offset + s.size > buf.length) throw new Error(`truncated ELF: section ${name} beyond the end of the file`);
  return buf.subarray(s.offset, s.offset + s.size);
}

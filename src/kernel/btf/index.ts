/**
 * Kernel types from BTF (or DWARF): vmlinux extraction from a bzImage, a small BTF parser,
 * and the per-kernel facts (member offsets, prototypes) cached as JSON.
 *
 *   const types = await loadKernelTypes(kernel);           // KernelTypes (cached)
 *   types.members['rtable.rt_genid'].offset                // 0x70 on 6.1.0-56
 */
export type { KernelTypes, MemberFact, FunctionFact, ParamFact } from './types.ts';
export { loadKernelTypes, readKernelTypes, WANTED_MEMBERS, WANTED_FUNCTIONS, TYPES_SCHEMA } from './facts.ts';
export { extractVmlinux, findCompressedPayload, type Compression } from './extract.ts';
export { parseBtf, Btf } from './btf.ts';
export { readElfSections, readElfFileSections, type ElfSection } from './elf.ts';
export { readDwarfTypes } from './dwarf.ts';
export type { LoadTypesOptions, LoadTypesStats, TypesWanted } from './facts.ts';

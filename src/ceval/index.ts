/**
 * The C evaluator: runs the real functions of a patch's post-image (or of a tree) on a
 * memory bound to the reference model's notions (routes, peers, the global genid).
 */
export { CProgram, ProgramReads, loadProgram, peekProgram, drive } from './program.ts';
export { Machine, addrToNumber, numberToAddr, type Access, type Gen, type Frame, type TraceEntry } from './machine.ts';
export { CStruct, FieldRef, FuncRef, sameValue, truthy, type Site, type Value, type CType } from './values.ts';
export { STUBS, CONSTANTS, cFault, CRuntimeFault, effectiveMtu, type Stub } from './stubs.ts';
export { unsupported, type CompiledFunction } from './compile.ts';

export { buildKernel, BuildFailure, KERNEL_FILES, type BuildRequest, type BuiltKernel } from './build.ts';
export { detectFixes, applyFixes, addDecompressorFlags, wrapperScript, type FixPlan, type FixId } from './fixes.ts';
export { identifyKernelSource, type KernelSourceFacts } from './identify.ts';
export { buildKey, type KeyParts } from './key.ts';
export { dirSource, gitSource, hashTree, type SourceReader } from './source.ts';
export { requireTools, which, compilerIdentity } from './tools.ts';
export { renderBuilt } from './render.ts';
export { conformFromSource, type SourceConformOptions } from './conform-built.ts';

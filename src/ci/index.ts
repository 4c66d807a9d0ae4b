export { runCi } from './run.ts';
export { CI_FILES } from './outputs.ts';
export type { CiOptions, CiPart, CiResult } from './types.ts';

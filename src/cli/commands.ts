import type { RegisterCommand } from './io.ts';
import { registerDefault } from './default.ts';
import { registerReview } from './review.ts';
import { registerVerify } from './verify.ts';
import { registerReplay } from './replay.ts';
import { registerProbes } from './probes.ts';
import { registerConform } from './conform.ts';
import { registerScan } from './scan.ts';
import { registerKernel } from './kernel.ts';
import { registerCi } from './ci.ts';
import { registerMatrix } from './matrix.ts';
import { registerMerge } from './merge.ts';

/**
 * Every subcommand, in the order `--help` lists them.
 * Each lives in its own module under src/cli/ and only turns argv into options.
 */
export const commands: RegisterCommand[] = [
  registerDefault,
  registerReview,
  registerVerify,
  registerReplay,
  registerScan,
  registerProbes,
  registerConform,
  registerKernel,
  registerCi,
  registerMatrix,
  registerMerge,
];

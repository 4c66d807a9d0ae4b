/**
 * `peerprop ci`: what it is asked to run and what each part yields. A part that could not run
 * (a patch that does not apply, no QEMU) keeps its exit code and its one-line error: the other
 * parts still run, and every report shows it.
 */
import type { ExitCode } from '../core/errors.ts';
import type { AccelChoice } from '../harness/accel.ts';
import type { ConformReport } from '../harness/conform.ts';
import type { ReviewReport } from '../review/types.ts';
import type { ScanEntry } from '../scan/types.ts';
import type { VerifyReport } from '../verify/index.ts';

export interface CiOptions {
  /** A kernel tree: scanned, and the tree every patch is reviewed and verified against. */
  tree?: string;
  /** A git repository whose revisions `revs` are scanned (the patches then go without a tree). */
  git?: string;
  revs?: string;
  patches: string[];
  /** Kernels to boot (conform's --kernel: debian, debian-6.12, debian-rt, a bzImage, a kernel directory). */
  kernels: string[];
  /** Conform: scenarios (default: the era's), accelerator, vCPUs, boot limit in seconds. */
  scenarios?: string[];
  accel?: AccelChoice;
  cpus?: number;
  timeoutS?: number;
  /** Scan worker threads. */
  jobs?: number;
  /** Where every report goes (created when missing). */
  out: string;
}

interface PartBase {
  /** One line: what ran (`review route-genid.patch`). */
  title: string;
  exitCode: ExitCode;
  /** Why the part could not run (a PeerpropError's line), when it could not. */
  error?: string;
  startedAt: string;
  durationMs: number;
}

export interface ReviewPart extends PartBase {
  kind: 'review';
  patch: string;
  report?: ReviewReport;
}

export interface VerifyPart extends PartBase {
  kind: 'verify';
  patch: string;
  report?: VerifyReport;
}

export interface ScanPart extends PartBase {
  kind: 'scan';
  /** The tree, or the repository and range. */
  target: string;
  repository?: string;
  entries?: ScanEntry[];
}

export interface ConformPart extends PartBase {
  kind: 'conform';
  kernel: string;
  report?: ConformReport;
}

export type CiPart = ReviewPart | VerifyPart | ScanPart | ConformPart;

export interface CiResult {
  parts: CiPart[];
  /** The worst part's exit code (0 clean < 1 findings < 2 bad input < 3 environment missing). */
  exitCode: ExitCode;
  startedAt: string;
  durationMs: number;
  /** The files written, by format. */
  files: Record<string, string>;
  /** The one line printed on stdout. */
  summary: string;
}

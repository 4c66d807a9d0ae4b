/**
 * The contract of `peerprop scan`: what one analysed tree or revision yields, and the
 * injectable analyser that produces it. The git / bisect / worker / output machinery only
 * ever sees these types, so it is tested independently of the C evaluator.
 */

/** The era as detected from the code (src/csrc/era.ts): one of the eras, or 'unknown'. */
export type ScanEra = DetectedEra;
import type { DetectedEra } from '../core/eras.ts';

/**
 * - pass: what could be checked in this era was checked and agrees with the model profile;
 * - divergence: the tree's code disagrees with the model (or a required fact is violated);
 * - skipped: nothing could be checked (missing file, parse error, unsupported construct).
 */
export type VerdictStatus = 'pass' | 'divergence' | 'skipped';

/**
 * What actually ran: 'differential' = the C evaluator ran the tree's own functions against the
 * model profile; 'facts' = only static protocol facts were checked (no differential check exists
 * for the era or it could not run); 'none' = nothing was checked (always with status 'skipped').
 */
export type CheckKind = 'differential' | 'facts' | 'none';

/** A place in the scanned tree, relative to the tree root (net/ipv4/route.c). */
export interface TreeLocation {
  file: string;
  line: number;
  column?: number;
}

/** Milliseconds spent per pipeline stage for one analysis. */
export interface StageTimings {
  read?: number;
  parse?: number;
  extract?: number;
  era?: number;
  check?: number;
}

export interface Verdict {
  status: VerdictStatus;
  era: ScanEra;
  checked: CheckKind;
  /** One line: why this verdict (the divergence, the skip reason, the era note). */
  reason: string;
  /** Why the era was detected as such (one line). */
  eraReason?: string;
  /** The C line or fact that makes the verdict, in the tree's files. */
  location?: TreeLocation;
  /** The functions that were checked or found (names). */
  functions?: string[];
  /** Extra lines: counterexample steps, facts checked. */
  details?: string[];
  timings?: StageTimings;
}

/** The files of one tree (or one revision) that the analysis reads: path (tree-relative) -> text. */
export interface TreeSources {
  /** net/ipv4/route.c text, or undefined when the file is absent. */
  routeC?: string;
  /** Headers found (tree-relative path -> text). Absent headers are simply not there. */
  headers: Record<string, string>;
}

/**
 * The analysis: pure function of the sources (no I/O), so that verdicts can be cached by the
 * blob ids of the files it read and computed in worker threads.
 */
export type Analyse = (sources: TreeSources) => Verdict | Promise<Verdict>;

/** One line of a scan report: a tree or a revision with its verdict. */
export interface ScanEntry {
  /** The tree directory as given, or the revision (full commit id). */
  target: string;
  kind: 'tree' | 'revision';
  /** Revisions: short id and subject. */
  short?: string;
  subject?: string;
  /** Revisions: the content key (blob ids) the verdict was computed for, and the first revision that had it. */
  contentKey?: string;
  reusedFrom?: string;
  verdict: Verdict;
}

export interface BisectResult {
  good: string;
  bad: string;
  goodVerdict: Verdict;
  badVerdict: Verdict;
  /** The first revision (first-parent order) whose verdict differs from GOOD's, when found. */
  first?: ScanEntry;
  /** Revisions actually analysed during the search (in evaluation order). */
  evaluated: ScanEntry[];
  /** Number of first-parent revisions in GOOD..BAD. */
  candidates: number;
  /** One line when the bisection could not conclude (BAD has GOOD's verdict, empty range). */
  note?: string;
}

/** The tree-relative paths scan reads. route.c is the subject; the headers hold the struct fields. */
export const ROUTE_C = 'net/ipv4/route.c';
export const HEADER_PATHS = [
  'include/net/route.h',
  'include/net/inetpeer.h',
  'include/net/ip_fib.h',
  'include/net/dst.h',
  'include/net/net_namespace.h',
] as const;

/** The functions the differential check runs: a syntax error in one of them makes a tree unscannable. */
export const PROTOCOL_FUNCTIONS: readonly string[] = ['rt_bind_peer', 'rt_peer_genid', 'ipv4_dst_check'];

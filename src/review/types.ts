/**
 * The review report: what `peerprop review` prints (text), emits (JSON) and annotates (SARIF).
 * Line numbers: `line` = post-image line of the reviewed file (or pre-image line for
 * a removed function), `patchLine` = line of the patch file.
 */
import type { PatchDiagnostic } from '../patch/types.ts';
import type { FunctionFacts, GenidDecl, UnparsedFunction } from '../csrc/facts.ts';
import type { EraVerdict } from '../csrc/era.ts';

export type FindingLevel = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable rule id (see RULES in rules.ts), e.g. 'genid-ordered-compare', 'patch/missing-trailing-context'. */
  ruleId: string;
  level: FindingLevel;
  message: string;
  /** Repository path of the reviewed file (net/ipv4/route.c), or the patch file for damage. */
  file: string;
  /** Post-image line (pre-image line when only the pre-image has it); patch line for damage. */
  line: number;
  column?: number;
  /** The patch file and the patch line the finding is at, when the line is in a hunk. */
  patch?: { file: string; line: number };
  function?: string;
}

export interface ReviewCommit {
  subject: string;
  author?: string;
  date?: string;
  signedOffBy: string[];
  trailers: { key: string; value: string }[];
  seriesIndex?: number;
  seriesTotal?: number;
  /** Patch line where the commit starts. */
  line: number;
}

export interface ReviewHunk {
  index: number;
  /** Patch line of the @@ header. */
  headerLine: number;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  section: string;
  /** The header's counts as written, when the patch reader repaired them. */
  declared?: { oldLines: number; newLines: number };
  /** Set when the hunk was applied to a tree or file. */
  applied?: { appliedLine: number; offset: number; fuzz: number; appliedNewLine?: number };
}

export interface ReviewFile {
  /** Repository path (new path; old path for a deletion). */
  path: string;
  oldPath: string;
  /** Patch line of the file header. */
  headerLine: number;
  hunks: ReviewHunk[];
  /** Stage of the mechanism in the pre-image and the post-image (C files only). */
  era?: { pre: EraVerdict; post: EraVerdict };
  /** Global genid declarations before and after. */
  globals: { pre: GenidDecl[]; post: GenidDecl[] };
  /** Functions whose definitions tree-sitter could not see, in the changed area. */
  unparsed: UnparsedFunction[];
}

/** A sentence a kernel reviewer would write about one change of the protocol. */
export interface Statement {
  /** Function it is about, or undefined for file-level changes (a new global). */
  function?: string;
  file: string;
  text: string;
  /** Post-image line (pre-image line when the fact is gone). */
  line: number;
  patchLine?: number;
}

export interface FunctionReview {
  file: string;
  name: string;
  status: 'added' | 'removed' | 'modified';
  /** Facts of the function before and after (absent on the side where it does not exist). */
  pre?: FunctionFacts;
  post?: FunctionFacts;
  /** The function is only partly visible (review from hunks): which image lines are missing. */
  incomplete?: string;
  statements: Statement[];
}

export interface ReviewReport {
  /** The patch file as given. */
  patch: string;
  form: 'diff' | 'format-patch' | 'mbox' | 'message-only';
  commits: ReviewCommit[];
  /** Damage the patch reader found, and what it did (also present as findings). */
  damage: PatchDiagnostic[];
  /** 'tree' / 'file': applied in memory; 'hunks': facts from the hunks alone. */
  mode: 'tree' | 'file' | 'hunks';
  /** The tree or file the patch was applied to. */
  target?: string;
  /** True when facts come from hunks only; `missing` says what could not be established. */
  partial: boolean;
  missing: string[];
  /** True when --write put the post-images into the tree. */
  written: boolean;
  files: ReviewFile[];
  functions: FunctionReview[];
  /** File-level statements and every function's statements, in file order. */
  statements: Statement[];
  findings: Finding[];
  /** 0 clean, 1 when a finding has level error. */
  exitCode: 0 | 1;
}

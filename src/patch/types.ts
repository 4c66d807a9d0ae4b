/**
 * What the patch reader yields (files and hunks).
 * Line numbers are 1-based lines of the patch file itself unless named otherwise.
 */

/** A problem found while reading a patch, and what was done about it. */
export interface PatchDiagnostic {
  /** 'repaired': damage found and fixed unambiguously; 'warning': suspicious, kept; 'error': refused. */
  severity: 'repaired' | 'warning' | 'error';
  /** Stable code, e.g. 'missing-trailing-context', 'hunk-count-mismatch', 'crlf', 'no-final-newline'. */
  code: string;
  /** Patch file line (1-based) the problem is at. */
  line: number;
  column?: number;
  /** What is wrong, in a reviewer's words. */
  message: string;
  /** What the reader did about it (for 'repaired'). */
  action?: string;
}

export type HunkLineKind = ' ' | '-' | '+';

export interface HunkLine {
  kind: HunkLineKind;
  /** The line's text without the leading marker and without line terminator. */
  text: string;
  /** Line in the patch file. */
  patchLine: number;
  /** Line in the pre-image (for ' ' and '-') and post-image (for ' ' and '+') per the hunk header. */
  oldLine?: number;
  newLine?: number;
  /** True when "\ No newline at end of file" followed this line. */
  noNewlineAtEnd?: boolean;
  /** An empty patch line taken as a blank context line (its leading space was trimmed away). */
  trimmedBlank?: boolean;
  /** Indented with spaces where the rest of the file uses tabs: probably tab-expanded; matched ignoring whitespace. */
  whitespaceSuspect?: boolean;
}

export interface Hunk {
  /** 1-based index of the hunk within its file. */
  index: number;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Text after the second @@ (the function context git prints), may be empty. */
  section: string;
  /** Patch line of the @@ header. */
  headerLine: number;
  lines: HunkLine[];
  /** The header's counts as written, when the reader repaired them (oldLines/newLines hold the repaired ones). */
  declared?: { oldLines: number; newLines: number };
}

export interface FilePatch {
  /** Paths with the a/ and b/ prefixes removed; '/dev/null' for creation / deletion. */
  oldPath: string;
  newPath: string;
  /** Patch line of the `diff --git` (or `---`) line that starts this file. */
  headerLine: number;
  /** index line blob ids, when present. */
  oldBlob?: string;
  newBlob?: string;
  hunks: Hunk[];
  /** A binary diff ("Binary files ... differ" / "GIT binary patch"): listed, never applied. */
  binary?: boolean;
  /** git extended header modes, when present. */
  oldMode?: string;
  newMode?: string;
  /** Rename or copy (git "rename from/to", "copy from/to"). */
  renamed?: boolean;
  copied?: boolean;
}

/** One commit of a series (git format-patch / mbox), or a bare diff with empty metadata. */
export interface PatchCommit {
  subject: string;
  author?: string;
  date?: string;
  /** The message body (without the subject), as written. */
  message: string;
  signedOffBy: string[];
  /** Other trailers: Reviewed-by, Acked-by, Fixes, ... */
  trailers: { key: string; value: string }[];
  /** [PATCH n/m] numbering when present. */
  seriesIndex?: number;
  seriesTotal?: number;
  /** Where `author` came from: a mail header, an in-body From:, a git log header, or the first Signed-off-by. */
  authorSource?: 'header' | 'in-body' | 'git-log' | 'sign-off';
  /** Patch line of the subject (header or first message line), when there is one. */
  subjectLine?: number;
  /** Patch line of the first line of the diff of this commit, when it has one. */
  diffLine?: number;
  /** Patch line where this commit starts. */
  startLine: number;
  files: FilePatch[];
}

export interface PatchSet {
  /** The path the user gave (for file:line messages). */
  source: string;
  /**
   * 'diff': a diff, possibly after a plain commit message (the seed) or `git show` output;
   * 'format-patch': one mail; 'mbox': several; 'message-only': a commit message with no diff
   * (readable for metadata, refused by requireDiff with an 'error' diagnostic 'no-diff').
   */
  form: 'diff' | 'format-patch' | 'mbox' | 'message-only';
  commits: PatchCommit[];
  diagnostics: PatchDiagnostic[];
  /** Number of lines of the patch file (for checking locations). */
  lineCount?: number;
}

/** The result of applying one file's hunks to a pre-image. */
export interface AppliedFile {
  path: string;
  /** Pre-image path when it differs (rename, copy) or '/dev/null' for a new file. */
  oldPath?: string;
  preImage: string;
  postImage: string;
  hunks: {
    index: number;
    /** Where the hunk was expected (old start) and where it applied, both 1-based pre-image lines. */
    expectedLine: number;
    appliedLine: number;
    /** appliedLine - expectedLine, as GNU patch reports "offset N lines". */
    offset: number;
    /** Context lines ignored (fuzz), 0 when exact. */
    fuzz: number;
    /** Patch line of the hunk's @@ header. */
    headerLine?: number;
    /** 1-based post-image line where the hunk's new side starts. */
    appliedNewLine?: number;
    /** Matched only when whitespace was ignored (tab-expanded context). */
    whitespaceInsensitive?: boolean;
  }[];
  /** Warnings met while applying (offsets are in `hunks`): fuzz, whitespace-insensitive matches. */
  diagnostics?: PatchDiagnostic[];
}

/**
 * `peerprop review`: read a patch as it arrives, apply it in memory to a tree or a file
 * (or take the hunks alone), extract the protocol facts of every changed function
 * before and after, and say what changed in a kernel reviewer's words.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../core/errors.ts';
import { readPatchFile, allFilePatches, requireDiff, applyToTree, applyToFile, resolveInTree } from '../patch/index.ts';
import type { AppliedFile, FilePatch, PatchSet } from '../patch/types.ts';
import { extractFacts, functionFacts, type FunctionFacts, type ProtocolFacts } from '../csrc/facts.ts';
import { detectEra } from '../csrc/era.ts';
import { sparseSide, wholeSide, HIDDEN_PREFIX, type SideImage } from './images.ts';
import { functionStatements, globalStatements, type SideLookup } from './compare.ts';
import { damageFindings, fileFindings, functionFindings, ruleLevel } from './rules.ts';
import type { Finding, FunctionReview, ReviewFile, ReviewHunk, ReviewReport, Statement } from './types.ts';

export interface ReviewOptions {
  /** Patch file path, or '-' for standard input. */
  patch: string;
  /** Kernel tree to apply to (in memory unless `write`). */
  tree?: string;
  /** Single file to apply to (the patch must touch one file, or one with the same basename). */
  file?: string;
  /** Write the post-images (only with tree or file). */
  write?: boolean;
  /** Standard input for patch '-'. */
  stdin?: NodeJS.ReadableStream;
  /** An already read patch (the CLI and tests may pass it; `patch` still names it). */
  patchSet?: PatchSet;
}

const C_FILE = /\.[ch]$/;
/** Hunk text that concerns this mechanism (used to refuse a tree that lacks it). */
const MECHANISM = /peer_genid|_bind_peer\b|->peer\b/;

/** A displayable name for a placeholder function (header outside the hunks). */
export function displayName(name: string): string {
  if (!name.startsWith(HIDDEN_PREFIX)) return name;
  return `(function around line ${name.slice(HIDDEN_PREFIX.length)}, header not in the patch)`;
}

function touchesMechanism(fp: FilePatch): boolean {
  return fp.hunks.some((h) => MECHANISM.test(h.section) || h.lines.some((l) => MECHANISM.test(l.text)));
}

/** A tree of the fnhe era has none of the functions: say so in one line (exit 2). */
async function refuseModernFile(fp: FilePatch, absPath: string, shownPath: string, noun: 'tree' | 'file'): Promise<void> {
  if (!C_FILE.test(fp.oldPath) || !touchesMechanism(fp)) return;
  let text: string;
  try {
    text = await readFile(absPath, 'utf8');
  } catch {
    return; // Missing files are the applier's error to report.
  }
  const facts = extractFacts(text, fp.oldPath);
  const era = detectEra(facts);
  if (era.era !== 'fnhe') return;
  const post = extractFacts(sparseSide(fp, 'post').text, fp.newPath);
  const present = new Set(facts.functions.map((f) => f.name));
  const wanted = [...new Set(post.functions.filter((f) => !f.name.startsWith(HIDDEN_PREFIX) && (f.stamps.length || f.binds.length || f.isAccessor || f.cmpxchgs.length || f.genidBlock)).map((f) => f.name))];
  const gone = wanted.filter((n) => !present.has(n));
  const kept = wanted.filter((n) => present.has(n));
  const list = (xs: string[]): string => xs.map((x) => `${x}()`).join(', ');
  const what = [gone.length ? `none of ${list(gone)}` : 'none of rt_bind_peer(), rt_peer_genid()', kept.length ? `no peer-genid check in ${list(kept)}` : ''].filter(Boolean).join(' and ');
  throw badInput(`this ${noun} has ${what}: the routing cache and this mechanism were removed in 3.6 (fnhe-era tree, nothing to review against)`, { file: shownPath });
}

interface FileWork {
  fp: FilePatch;
  path: string;
  pre: SideImage;
  post: SideImage;
  applied?: AppliedFile;
}

function hunksOf(fp: FilePatch, applied?: AppliedFile): ReviewHunk[] {
  return fp.hunks.map((h, i) => {
    const a = applied?.hunks.find((x) => x.headerLine !== undefined && x.headerLine === h.headerLine) ?? applied?.hunks.find((x) => x.index === h.index) ?? applied?.hunks[i];
    return {
      index: h.index,
      headerLine: h.headerLine,
      oldStart: h.oldStart,
      oldLines: h.oldLines,
      newStart: h.newStart,
      newLines: h.newLines,
      section: h.section,
      ...(h.declared ? { declared: h.declared } : {}),
      ...(a ? { applied: { appliedLine: a.appliedLine, offset: a.offset, fuzz: a.fuzz, ...(a.appliedNewLine !== undefined ? { appliedNewLine: a.appliedNewLine } : {}) } } : {}),
    };
  });
}

/** Changed functions of one side: those whose lines the patch touches. */
function touched(facts: ProtocolFacts, side: SideImage, post: boolean): FunctionFacts[] {
  return facts.functions.filter((f) => {
    for (const l of side.changed) if (l >= f.startLine && l <= f.endLine) return true;
    if (post) for (const d of side.deletionPoints) if (d > f.startLine && d <= f.endLine) return true;
    return false;
  });
}

function gapWords(f: FunctionFacts, side: SideImage, which: string): string | undefined {
  const inside = side.gaps.filter((g) => g.from <= f.endLine && g.to >= f.startLine);
  if (inside.length === 0) return undefined;
  const one = inside.length === 1 && inside[0]!.from === inside[0]!.to;
  return `${which} ${one ? 'line' : 'lines'} ${inside.map((g) => (g.from === g.to ? `${g.from}` : `${g.from}-${g.to}`)).join(', ')} of ${f.name}() ${one ? 'is' : 'are'} not in the patch`;
}

export async function reviewPatch(opts: ReviewOptions): Promise<ReviewReport> {
  if (opts.tree && opts.file) throw badInput('review: give --tree or --file, not both');
  if (opts.write && !opts.tree && !opts.file) throw badInput('review: --write needs --tree or --file');
  const set = opts.patchSet ?? (await readPatchFile(opts.patch, opts.stdin ? { stdin: opts.stdin } : {}));
  requireDiff(set);
  const patchFile = opts.patch;
  const filePatches = allFilePatches(set).filter((fp) => !fp.binary);

  let mode: ReviewReport['mode'] = 'hunks';
  let applied: AppliedFile[] = [];
  if (opts.tree) {
    const st = await stat(opts.tree).catch(() => undefined);
    if (!st?.isDirectory()) throw badInput('not a directory (--tree wants a kernel tree)', { file: opts.tree });
    for (const fp of filePatches) {
      if (fp.oldPath === '/dev/null') continue;
      const abs = await resolveInTree(opts.tree, fp.oldPath);
      await refuseModernFile(fp, abs, path.join(opts.tree, fp.oldPath), 'tree');
    }
    applied = await applyToTree(set, opts.tree, { write: !!opts.write });
    mode = 'tree';
  } else if (opts.file) {
    const st = await stat(opts.file).catch(() => undefined);
    if (!st?.isFile()) throw badInput('not a file (--file wants the C file the patch applies to)', { file: opts.file });
    const fp = pickForFile(filePatches, opts.file);
    if (fp) await refuseModernFile(fp, opts.file, opts.file, 'file');
    applied = [await applyToFile(set, opts.file, { write: !!opts.write })];
    mode = 'file';
  }

  const work: FileWork[] = [];
  if (mode === 'hunks') {
    for (const fp of filePatches) work.push({ fp, path: repoPath(fp), pre: sparseSide(fp, 'pre'), post: sparseSide(fp, 'post') });
  } else {
    for (const a of applied) {
      const fp = mode === 'file' ? pickForFile(filePatches, opts.file!) : filePatches.find((x) => x.newPath === a.path || x.oldPath === a.path || repoPath(x) === a.path);
      if (!fp) continue;
      work.push({ fp, path: repoPath(fp), pre: wholeSide(a, fp.hunks, 'pre'), post: wholeSide(a, fp.hunks, 'post'), applied: a });
    }
  }

  const files: ReviewFile[] = [];
  const functions: FunctionReview[] = [];
  const statements: Statement[] = [];
  const findings: Finding[] = damageFindings(patchFile, set.diagnostics);
  const missing: string[] = [];
  if (mode === 'hunks') {
    missing.push('no --tree or --file: facts come from the hunks alone; code outside the hunks (other callers of rt_bind_peer, other bumpers of the genid, the stage of the tree) could not be established');
  }
  for (const a of applied) {
    for (const d of a.diagnostics ?? []) {
      findings.push({ ruleId: `patch/${d.code}`, level: d.severity === 'error' ? 'error' : 'warning', message: d.action ? `${d.message}; ${d.action}` : d.message, file: patchFile, line: d.line, patch: { file: patchFile, line: d.line } });
    }
  }

  for (const w of work) {
    const file: ReviewFile = {
      path: w.path,
      oldPath: w.fp.oldPath,
      headerLine: w.fp.headerLine,
      hunks: hunksOf(w.fp, w.applied),
      globals: { pre: [], post: [] },
      unparsed: [],
    };
    files.push(file);
    if (!C_FILE.test(w.path)) continue;
    const preFacts = extractFacts(w.pre.text, w.fp.oldPath === '/dev/null' ? w.path : w.fp.oldPath, { mapLine: w.pre.mapLine });
    const postFacts = extractFacts(w.post.text, w.path, { mapLine: w.post.mapLine, accessors: preFacts.accessors });
    file.globals = { pre: preFacts.globals, post: postFacts.globals };
    // The stage is a property of route.c (IPv4 or the IPv6 twin), not of headers.
    if (/(^|\/)route\.c$/.test(w.path)) file.era = { pre: detectEra(preFacts), post: detectEra(postFacts) };
    const lookup: SideLookup = { pre: (l) => w.pre.patchLineOf.get(l), post: (l) => w.post.patchLineOf.get(l) };
    const ruleCtx = { file: w.path, patchFile, patchLine: (l: number) => w.post.patchLineOf.get(l) };

    // File scope: the global genid.
    const changedGlobals = new Set(postFacts.globals.filter((g) => w.post.changed.has(g.line) || !preFacts.globals.some((p) => p.name === g.name && p.type === g.type)).map((g) => g.name));
    const gStatements = globalStatements(preFacts, postFacts, lookup, { wholeFile: w.post.complete, file: w.path });
    statements.push(...gStatements);
    findings.push(...fileFindings(postFacts, { ...ruleCtx, wholeFile: w.post.complete, changedGlobals }));

    // Changed functions, in post-image order, then those only in the pre-image.
    const names: string[] = [];
    for (const f of touched(postFacts, w.post, true)) if (!names.includes(f.name)) names.push(f.name);
    for (const f of touched(preFacts, w.pre, false)) if (!names.includes(f.name)) names.push(f.name);
    for (const name of names) {
      const pre = functionFacts(preFacts, name);
      const post = functionFacts(postFacts, name);
      const status: FunctionReview['status'] = pre && post ? 'modified' : post ? 'added' : 'removed';
      const incomplete = [post ? gapWords(post, w.post, 'post-image') : undefined, pre ? gapWords(pre, w.pre, 'pre-image') : undefined].filter(Boolean).join('; ');
      const st = functionStatements(w.path, displayName(name), pre, post, lookup);
      const review: FunctionReview = { file: w.path, name: displayName(name), status, ...(pre ? { pre } : {}), ...(post ? { post } : {}), ...(incomplete ? { incomplete } : {}), statements: st };
      functions.push(review);
      statements.push(...st);
      if (incomplete) missing.push(incomplete);
      if (post) findings.push(...functionFindings(post, ruleCtx));
    }

    // Changed lines that no parsed function covers, inside a function tree-sitter could not see.
    const covered = (l: number): boolean => postFacts.functions.some((f) => l >= f.startLine && l <= f.endLine);
    for (const u of postFacts.unparsed) {
      const next = postFacts.functions.filter((f) => f.startLine > u.line).map((f) => f.startLine).sort((a, b) => a - b)[0] ?? Infinity;
      const hits = [...w.post.changed].filter((l) => l >= u.line && l < next && !covered(l));
      if (hits.length === 0) continue;
      file.unparsed.push(u);
      const patchLine = w.post.patchLineOf.get(hits[0]!);
      findings.push({
        ruleId: 'function-unparsed',
        level: ruleLevel('function-unparsed'),
        message: `${u.name}() is changed but could not be parsed (${u.reason})`,
        file: w.path,
        line: u.line,
        ...(patchLine !== undefined ? { patch: { file: patchFile, line: patchLine } } : {}),
        function: u.name,
      });
      missing.push(`${u.name}(): not parsed, its facts are unknown`);
    }
  }

  for (const s of statements) {
    findings.push({
      ruleId: 'protocol-change',
      level: 'info',
      message: s.function && !s.text.startsWith(s.function) ? `${s.function}: ${s.text}` : s.text,
      file: s.file,
      line: s.line,
      ...(s.patchLine !== undefined ? { patch: { file: patchFile, line: s.patchLine } } : {}),
      ...(s.function ? { function: s.function } : {}),
    });
  }

  const commits = set.commits.map((c) => ({
    subject: c.subject,
    ...(c.author ? { author: c.author } : {}),
    ...(c.date ? { date: c.date } : {}),
    signedOffBy: c.signedOffBy,
    trailers: c.trailers,
    ...(c.seriesIndex !== undefined ? { seriesIndex: c.seriesIndex } : {}),
    ...(c.seriesTotal !== undefined ? { seriesTotal: c.seriesTotal } : {}),
    line: c.startLine,
  }));

  return {
    patch: patchFile,
    form: set.form,
    commits,
    damage: set.diagnostics,
    mode,
    ...(opts.tree ? { target: opts.tree } : opts.file ? { target: opts.file } : {}),
    partial: mode === 'hunks' || files.some((f) => f.unparsed.length > 0),
    missing,
    written: !!opts.write && mode !== 'hunks',
    files,
    functions,
    statements,
    findings,
    exitCode: findings.some((f) => f.level === 'error') ? 1 : 0,
  };
}

function repoPath(fp: FilePatch): string {
  return fp.newPath === '/dev/null' ? fp.oldPath : fp.newPath;
}

/** The FilePatch that --file applies to: the only one, or the one with the same basename. */
function pickForFile(fps: FilePatch[], file: string): FilePatch | undefined {
  if (fps.length === 1) return fps[0];
  const base = path.basename(file);
  return fps.find((fp) => path.basename(repoPath(fp)) === base);
}

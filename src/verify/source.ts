/**
 * Where the C that verify runs comes from: a patch applied in memory to a tree, a patch's
 * hunks alone (when they hold the whole functions), or a source text given directly. Keeps
 * the map from post-image lines back to patch lines, so that a divergence names both.
 */
import { badInput } from '../core/errors.ts';
import { readPatchFile, allFilePatches, requireDiff, applyToTree, hunkImages, type FilePatch, type PatchSet } from '../patch/index.ts';
import { parseC, listFunctions } from '../csrc/parse.ts';

/** The functions the differential check runs (others they call are compiled on demand). */
export const REQUIRED_FUNCTIONS = ['rt_bind_peer', 'ipv4_dst_check'] as const;
const ROUTE_C = 'net/ipv4/route.c';

export interface VerifySource {
  /** Path shown in reports (the post-image's path in the tree, or what the caller named). */
  file: string;
  source: string;
  origin: 'tree' | 'patch-hunks' | 'source';
  /** The patch file, when the source is a patch's post-image. */
  patch?: string;
  /** Patch file line of a post-image line, when that line came from a hunk. */
  patchLines: Map<number, number>;
  /** Post-image lines added by the patch ('+'). */
  addedLines: Set<number>;
}

/** The source's text of a 1-based line. */
export function lineText(src: VerifySource, line: number): string {
  return src.source.split('\n')[line - 1]?.trim() ?? '';
}

function routeFilePatch(set: PatchSet): FilePatch {
  const files = allFilePatches(set).filter((f) => f.newPath !== '/dev/null');
  const route = [...files].reverse().find((f) => f.newPath === ROUTE_C || f.newPath.endsWith('/' + ROUTE_C));
  if (!route) {
    throw badInput(`the patch does not change ${ROUTE_C} (it touches ${files.map((f) => f.newPath).join(', ') || 'nothing'}): nothing to verify`, {
      file: set.source,
      line: files[0]?.headerLine ?? 1,
    });
  }
  return route;
}

/** The post-image of the patch's route.c applied to `tree` (in memory). */
export async function sourceFromPatch(patchPath: string, tree?: string): Promise<VerifySource> {
  const set = await readPatchFile(patchPath);
  requireDiff(set);
  const fp = routeFilePatch(set);
  const images = hunkImages(fp);
  if (!tree) return sourceFromHunks(set, fp, images);
  const applied = await applyToTree(set, tree);
  const af = applied.find((a) => a.path === fp.newPath || a.path.endsWith('/' + fp.newPath) || fp.newPath.endsWith(a.path));
  if (!af) throw badInput(`applying the patch to ${tree} produced no ${fp.newPath}`, { file: set.source });
  const patchLines = new Map<number, number>();
  const addedLines = new Set<number>();
  const post = af.postImage.split('\n');
  images.forEach((img, i) => {
    const offset = af.hunks[i]?.offset ?? 0;
    img.post.lineNumbers.forEach((n, j) => {
      const line = n + offset;
      // Only lines that really are where the hunk says (fuzz may have dropped context).
      if (post[line - 1] === img.post.lines[j]) {
        patchLines.set(line, img.post.patchLines[j]!);
        if (img.post.changed[j]) addedLines.add(line);
      }
    });
  });
  return { file: fp.newPath, source: af.postImage, origin: 'tree', patch: set.source, patchLines, addedLines };
}

/**
 * Without a tree: the post-image fragments of the hunks, each at its own line numbers. A
 * function is usable only if every line of it is inside some hunk.
 */
function sourceFromHunks(set: PatchSet, fp: FilePatch, images: ReturnType<typeof hunkImages>): VerifySource {
  const lines: string[] = [];
  const covered = new Set<number>();
  const patchLines = new Map<number, number>();
  const addedLines = new Set<number>();
  for (const img of images) {
    img.post.lineNumbers.forEach((n, j) => {
      while (lines.length < n) lines.push('');
      lines[n - 1] = img.post.lines[j]!;
      covered.add(n);
      patchLines.set(n, img.post.patchLines[j]!);
      if (img.post.changed[j]) addedLines.add(n);
    });
  }
  const source = lines.join('\n') + '\n';
  const fns = listFunctions(parseC(source));
  const problems: string[] = [];
  for (const name of REQUIRED_FUNCTIONS) {
    const f = fns.find((x) => x.name === name);
    if (!f) {
      problems.push(`${name}() is not in any hunk`);
      continue;
    }
    const missing: number[] = [];
    for (let l = f.startLine; l <= f.endLine; l++) if (!covered.has(l)) missing.push(l);
    if (missing.length || f.node.hasError) {
      problems.push(`${name}() is not whole in the hunks (post-image line${missing.length > 1 ? 's' : ''} ${ranges(missing)} not shown)`);
    }
  }
  if (problems.length) {
    throw badInput(`${problems.join('; ')}: give the tree the patch applies to with --tree DIR`, { file: set.source, line: fp.headerLine });
  }
  return { file: fp.newPath, source, origin: 'patch-hunks', patch: set.source, patchLines, addedLines };
}

function ranges(xs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    out.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

/** A C source given directly (a tree's own route.c). */
export function sourceFromText(source: string, file: string): VerifySource {
  return { file, source, origin: 'source', patchLines: new Map(), addedLines: new Set() };
}

import type { AppliedFile, PatchSet } from './types.ts';
import type { ApplyOptions } from './apply.ts';

export interface TreeApplyOptions extends Omit<ApplyOptions, 'path' | 'source'> {
  /** Write the post-images into the tree (atomically). Default false: in memory only. */
  write?: boolean;
}

/** STUB: final signature. Resolves a patch path inside treeDir, refusing escapes. */
export async function resolveInTree(treeDir: string, patchPath: string): Promise<string> {
  return `${treeDir}/${patchPath}`;
}

/** STUB: final signature. */
export async function applyToTree(set: PatchSet, treeDir: string, opts: TreeApplyOptions = {}): Promise<AppliedFile[]> {
  void set; void treeDir; void opts;
  return [];
}

/** STUB: final signature. Applies the set's single FilePatch (or the one whose basename matches) to filePath. */
export async function applyToFile(set: PatchSet, filePath: string, opts: TreeApplyOptions = {}): Promise<AppliedFile> {
  void set; void opts;
  return { path: filePath, preImage: '', postImage: '', hunks: [] };
}

/**
 * The patch reader's public API: read a patch as it really arrives,
 * diagnose and repair its damage, and apply it safely in memory or to a tree.
 */
export type {
  PatchSet,
  PatchCommit,
  FilePatch,
  Hunk,
  HunkLine,
  HunkLineKind,
  PatchDiagnostic,
  AppliedFile,
} from './types.ts';
export {
  readPatch,
  readPatchFile,
  decodePatchBytes,
  allFilePatches,
  requireDiff,
  type ReadPatchFileOptions,
} from './read.ts';
export { applyFilePatch, splitImage, PatchApplyError, type ApplyOptions } from './apply.ts';
export { applyToTree, applyToFile, resolveInTree, realTree, type TreeApplyOptions } from './tree.ts';
export { hunkImages, appliedLineOf, type HunkImage, type ImageFragment } from './images.ts';
export { decodeEncodedWords, cleanSubject, parseTrailers } from './headers.ts';

/** Patch review: facts before/after, reviewer statements, findings, renderers. */
export { reviewPatch, displayName, type ReviewOptions } from './review.ts';
export { renderReview, renderText, renderJson, renderSarif, findingLine, REVIEW_FORMATS, type ReviewFormat } from './render.ts';
export { RULES, sarifRules, type RuleInfo } from './rules.ts';
export type { ReviewReport, Finding, FindingLevel, FunctionReview, ReviewFile, ReviewHunk, ReviewCommit, Statement } from './types.ts';

/**
 * The stages scan borrows from the rest of peerprop, behind one small interface so that the
 * analysis can be tested with a stand-in: fact extraction and era detection (src/csrc), and the
 * differential check of the C evaluator against the model (src/verify).
 */
import type { Tree } from '../csrc/parse.ts';
import type { ScanEra, TreeLocation } from './types.ts';

export interface EraDetection {
  era: ScanEra;
  /** One line: the code that decided it. */
  reason: string;
  location?: TreeLocation;
}

/** The outcome of the differential check; 'unsupported' = it could not run (a precise reason says why). */
export interface CheckOutcome {
  status: 'pass' | 'divergence' | 'unsupported';
  reason: string;
  location?: TreeLocation;
  functions?: string[];
  details?: string[];
}

export type CheckedEra = 'pre-genid' | 'seed' | 'pmtu-redirect';

export interface ScanPipeline<F = unknown> {
  /** Facts from the parsed file (parsed once by the analyser, timed separately). */
  extract(tree: Tree, source: string, file: string): F;
  detectEra(facts: F, source: string, file: string): EraDetection;
  differential(source: string, file: string, era: CheckedEra, facts: F): CheckOutcome;
}

/** Placeholder until src/csrc/era.ts and src/verify land: detects nothing, checks nothing. */
export const defaultPipeline: ScanPipeline = {
  extract: () => null,
  detectEra: () => ({ era: 'unknown', reason: 'era detection not available' }),
  differential: () => ({ status: 'unsupported', reason: 'differential check not available' }),
};

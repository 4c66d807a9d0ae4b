/**
 * The stages scan borrows from the rest of peerprop, behind one small interface so that the
 * analysis can be tested with a stand-in: fact extraction and era detection (src/csrc), and the
 * differential check of the C evaluator against the model (src/verify).
 */
import type { Tree } from '../csrc/parse.ts';
import { extractFactsFromTree, functionFacts, allOf, type ProtocolFacts } from '../csrc/facts.ts';
import { detectEra } from '../csrc/era.ts';
import { differentialCheck } from './differential.ts';
import { PROTOCOL_FUNCTIONS, type ScanEra, type TreeLocation } from './types.ts';
import type { CacheEra } from '../core/eras.ts';

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

/** The eras a differential check runs on (those with a routing cache). */
export type CheckedEra = CacheEra;

export interface ScanPipeline<F = unknown> {
  /** Facts from the parsed file (parsed once by the analyser, timed separately). */
  extract(tree: Tree, source: string, file: string): F;
  /** A reason the facts cannot be trusted for era detection (e.g. a protocol function hidden in a parse error). */
  problem?(facts: F, file: string): { reason: string; location: TreeLocation } | undefined;
  detectEra(facts: F, source: string, file: string): EraDetection;
  differential(tree: Tree, source: string, file: string, era: CheckedEra, facts: F): CheckOutcome;
}


/** Where the code that decided the era is. */
function eraLocation(facts: ProtocolFacts, era: ScanEra, file: string): TreeLocation | undefined {
  const at = (l: { line: number; column?: number } | undefined) => (l ? { file, line: l.line, ...(l.column ? { column: l.column } : {}) } : undefined);
  switch (era) {
    case 'pmtu-redirect':
      return at(allOf(facts, 'bumps')[0]);
    case 'seed':
      return at(facts.globals[0] ?? allOf(facts, 'stamps')[0]);
    case 'pre-genid': {
      const f = functionFacts(facts, 'rt_bind_peer');
      return f ? { file, line: f.startLine } : undefined;
    }
    case 'fnhe':
      return at(allOf(facts, 'fnheUpdates')[0] ?? allOf(facts, 'counters')[0]);
    default:
      return undefined;
  }
}

export const factsPipeline: Omit<ScanPipeline<ProtocolFacts>, 'differential'> = {
  extract: (tree, source, file) => extractFactsFromTree(tree, source, file),
  problem: (facts, file) => {
    const hidden = facts.unparsed.find((u) => PROTOCOL_FUNCTIONS.includes(u.name));
    // Era detection would not see it: a hidden rt_bind_peer could make an old tree look modern.
    if (hidden) return { reason: `${hidden.name} in ${file} could not be parsed: ${hidden.reason}`, location: { file, line: hidden.line } };
    return undefined;
  },
  detectEra: (facts, _source, file) => {
    const v = detectEra(facts);
    const location = eraLocation(facts, v.era, file);
    return { era: v.era, reason: v.reason, ...(location ? { location } : {}) };
  },
};

/** What `peerprop scan` runs: csrc facts and era, verify's differential check (memoised by what it read). */
export const defaultPipeline: ScanPipeline<ProtocolFacts> = {
  ...factsPipeline,
  differential: (tree, source, file, era) => differentialCheck(tree, source, file, era),
};

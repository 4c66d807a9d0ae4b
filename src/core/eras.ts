/**
 * The one vocabulary of the mechanism's history, used by every folder: the four eras (profiles
 * of the reference model), the stages of the pmtu-redirect era, and what a detector may answer
 * when the code shows none of them. src/model/README.md tells what each one is.
 */

/** Era profiles of the reference model. */
export type Era = 'pre-genid' | 'seed' | 'pmtu-redirect' | 'fnhe';
export const ERAS: readonly Era[] = ['pre-genid', 'seed', 'pmtu-redirect', 'fnhe'];

/** An era read from code: one of the eras, or 'unknown' when the code shows none of them. */
export type DetectedEra = Era | 'unknown';

/** The eras the routing cache (and so the genid of the patch) exists in: what a differential check runs on. */
export type CacheEra = Exclude<Era, 'fnhe'>;

/** Stages of the pmtu-redirect era: S2 2.6.39, S3 3.0-3.1, S4 3.2, S5 3.3-3.5. */
export type Stage = 'S2' | 'S3' | 'S4' | 'S5';
export const STAGES: readonly Stage[] = ['S2', 'S3', 'S4', 'S5'];

/** The stage a trace is judged by: one of them, or not known (replay's stage-rules.ts). */
export type JudgedStage = Stage | 'unknown';

/** How reports name the stage judged by (pmtu-redirect); '' when there is none. */
export function stageText(stage: JudgedStage | undefined): string {
  if (stage === undefined) return '';
  return stage === 'unknown' ? ', stage not known (--stage S2..S5 checks what only the stage decides)' : `, stage ${stage}`;
}

export function isEra(s: string): s is Era {
  return (ERAS as readonly string[]).includes(s);
}

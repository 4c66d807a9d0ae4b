/**
 * Each part of a ci run in the shared shapes: a TestResult tree (KTAP, JUnit) and KCIDB
 * checkouts. A part that could not run is an error result in both (KCIDB: ERROR, or MISS when the
 * environment was missing), never a pass.
 */
import { ExitCode } from '../core/errors.ts';
import { toConformResults } from '../harness/render.ts';
import { conformToKcidb } from '../harness/kcidb.ts';
import type { KcidbCheckoutIn, KcidbStatus, KcidbTestIn } from '../report/kcidb.ts';
import { sourceCheckout } from '../report/kcidb-source.ts';
import { rollUp, type TestResult, type TestStatus } from '../report/results.ts';
import { reviewStatus, reviewTest } from '../review/kcidb.ts';
import { findingLine } from '../review/render.ts';
import { scanToKcidb } from '../scan/kcidb.ts';
import { toTestResult as scanResult } from '../scan/render.ts';
import { verifyTests } from '../verify/kcidb.ts';
import type { CiOptions, CiPart } from './types.ts';

const KTAP_STATUS: Record<KcidbStatus, TestStatus> = { PASS: 'pass', FAIL: 'fail', ERROR: 'error', MISS: 'error', SKIP: 'skip' };

function failedStatus(p: CiPart): KcidbStatus {
  return p.exitCode === ExitCode.EnvMissing ? 'MISS' : 'ERROR';
}

/** The part as KTAP/JUnit results (one top-level result per part). */
export function partResults(p: CiPart): TestResult {
  const ms = { durationMs: p.durationMs };
  if (p.error !== undefined) return { name: p.title, status: 'error', reason: p.error, ...ms };
  switch (p.kind) {
    case 'review': {
      const r = p.report!;
      const status = KTAP_STATUS[reviewStatus(r)];
      return { name: p.title, status, ...(status !== 'pass' ? { reason: reviewTest(r).comment } : {}), diagnostics: r.findings.map(findingLine), ...ms };
    }
    case 'verify': {
      const r = p.report!;
      const subtests: TestResult[] = r.strategies.map((s) => ({ name: s.strategy, status: s.ok ? 'pass' : 'fail', diagnostics: [s.scope], durationMs: s.ms }));
      return { name: p.title, status: rollUp(subtests), subtests, diagnostics: [`era ${r.era}: ${r.eraReason}`], ...ms };
    }
    case 'scan': {
      const subtests = p.entries!.map(scanResult);
      return { name: p.title, status: rollUp(subtests), subtests, ...ms };
    }
    case 'conform': {
      const [whole] = toConformResults(p.report!);
      return { ...whole!, name: p.title };
    }
  }
}

/** The part as KCIDB checkouts (builds and tests below them). */
export function partCheckouts(p: CiPart, o: CiOptions): KcidbCheckoutIn[] {
  const when = p.startedAt;
  if (p.error !== undefined) return failedCheckouts(p, o);
  switch (p.kind) {
    case 'review':
      return [sourceCheckout({ ...(o.tree ? { tree: o.tree } : {}), patches: [p.patch], valid: true, tests: [reviewTest(p.report!, when)] })];
    case 'verify':
      return [sourceCheckout({ ...(o.tree ? { tree: o.tree } : {}), patches: [p.patch], valid: true, tests: verifyTests(p.report!, when) })];
    case 'scan':
      return scanToKcidb(p.entries!, p.repository, when);
    case 'conform':
      return [conformToKcidb(p.report!)];
  }
}

function failedCheckouts(p: CiPart, o: CiOptions): KcidbCheckoutIn[] {
  const status = failedStatus(p);
  const test = (path: string[]): KcidbTestIn => ({ path, status, comment: p.error, log: [p.error!], startTime: p.startedAt });
  // Bad input about the source (a patch that does not apply, a tree that is not one) means the
  // source could not be put together: the checkout is invalid. A missing tool says nothing of it.
  const valid = p.exitCode !== ExitCode.BadInput;
  switch (p.kind) {
    case 'review':
    case 'verify':
      return [sourceCheckout({ ...(o.tree ? { tree: o.tree } : {}), patches: [p.patch], valid, log: [p.error!], tests: [test([p.kind])] })];
    case 'scan':
      return [
        p.repository !== undefined
          ? { key: ['git', p.repository, o.revs ?? 'HEAD'].join('\0'), comment: p.target, valid, log: [p.error!], misc: { repository: p.repository, revs: o.revs ?? 'HEAD' }, builds: [{ key: 'source', comment: 'the source as read by peerprop', tests: [test(['scan'])] }] }
          : sourceCheckout({ tree: p.target, valid, log: [p.error!], tests: [test(['scan'])] }),
      ];
    case 'conform':
      return [
        {
          key: `kernel\0${p.kernel}`,
          comment: `kernel ${p.kernel} (not booted: ${p.error})`,
          misc: { kernel_spec: p.kernel },
          builds: [{ key: 'unknown', comment: 'the kernel could not be obtained or booted', log: [p.error!], tests: [test(['boot'])] }],
        },
      ];
  }
}

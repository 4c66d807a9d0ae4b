/**
 * A merged matrix run as one KCIDB submission: each kernel's joined conform report through the
 * conform writer (same ids as an unsharded run of that kernel: ids hash what was tested, not which
 * shard ran it). A kernel no shard could boot is a checkout whose build is MISS (environment
 * missing) or ERROR, with each of its scenarios the same: never absent, never PASS.
 */
import { ExitCode } from '../core/errors.ts';
import { conformToKcidb } from '../harness/kcidb.ts';
import { renderKcidb, toKcidb, type KcidbCheckoutIn, type KcidbStatus } from '../report/kcidb.ts';
import type { MergedKernel, MergedReport } from './merge.ts';

function unbootedCheckout(k: MergedKernel): KcidbCheckoutIn {
  const status: KcidbStatus = k.errors.some((e) => e.exitCode === ExitCode.EnvMissing) ? 'MISS' : 'ERROR';
  const log = k.errors.map((e) => `shard ${e.shard}: ${e.message}`);
  return {
    key: `kernel\0${k.spec}\0unbooted`,
    comment: `${k.spec}: no shard could boot it`,
    valid: true,
    misc: { kernel_spec: k.spec },
    builds: [
      {
        key: k.spec,
        comment: k.errors[0]?.message ?? 'not run',
        architecture: 'x86_64',
        status,
        log,
        tests: [
          { path: ['boot'], status, comment: k.errors[0]?.message, log },
          ...k.errors.flatMap((e) => e.scenarios.map((s) => ({ path: [s], status, comment: `shard ${e.shard}: ${e.message}` }))),
        ],
      },
    ],
  };
}

export function mergedKcidb(m: MergedReport): string {
  return renderKcidb(toKcidb(m.kernels.map((k) => (k.report ? conformToKcidb(k.report) : unbootedCheckout(k)))));
}

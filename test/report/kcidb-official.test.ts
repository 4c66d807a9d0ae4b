/**
 * Our KCIDB output against the official schema of the `kcidb-io` package (opt-in: the schema is
 * not ours to ship). Where it comes from, first found: the installed Python package
 * (`import kcidb_io`: its version class for the schema we target, as JSON); the file named by
 * PEERPROP_KCIDB_SCHEMA (e.g. exported as kcidb-io's README shows). Skipped, with the reason, otherwise.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { KCIDB_VERSION, toKcidb, type KcidbStatus } from '../../src/report/kcidb.ts';
import { runCli } from '../helpers/cli.ts';

const EXPORT = `
import json, kcidb_io
v = getattr(kcidb_io.schema, 'V${KCIDB_VERSION.major}_${KCIDB_VERSION.minor}', None) or kcidb_io.schema.LATEST
print(json.dumps({"major": v.major, "minor": v.minor, "json": v.json}))
`;

function officialSchema(): { schema?: object; from: string; skip?: string } {
  try {
    const out = JSON.parse(execFileSync('python3', ['-c', EXPORT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 })) as { major: number; minor: number; json: object };
    if (out.major !== KCIDB_VERSION.major || out.minor < KCIDB_VERSION.minor) {
      return { from: 'kcidb_io', skip: `the installed kcidb_io has schema v${out.major}.${out.minor}, we emit v${KCIDB_VERSION.major}.${KCIDB_VERSION.minor}` };
    }
    return { schema: out.json, from: `the installed kcidb_io (schema v${out.major}.${out.minor})` };
  } catch {
    // No python3 or no kcidb_io: the file named in the environment, if any.
  }
  const file = process.env.PEERPROP_KCIDB_SCHEMA;
  if (file) return { schema: JSON.parse(readFileSync(file, 'utf8')) as object, from: file };
  return { from: '', skip: 'no official KCIDB schema here: install kcidb-io (pip) or set PEERPROP_KCIDB_SCHEMA to its JSON schema' };
}

const official = officialSchema();

describe.skipIf(official.skip !== undefined)(`KCIDB output against the official schema${official.skip ? ` (skipped: ${official.skip})` : ` from ${official.from}`}`, () => {
  const ajv = new Ajv.default({ allErrors: true, strict: false });
  ajvFormats.default(ajv);
  const validate = official.schema ? ajv.compile(official.schema) : undefined;
  const check = (doc: unknown) => expect(validate!(doc), JSON.stringify(validate!.errors?.slice(0, 5))).toBe(true);

  it('review, verify and scan --format kcidb of the fixtures', async () => {
    for (const argv of [
      ['review', 'kernel-fixtures/route-genid.patch', '--tree', 'kernel-fixtures/trees/pre-seed'],
      ['review', 'kernel-fixtures/route-genid.patch'],
      ['verify', 'kernel-fixtures/mutants/04-compare-less-than.patch', '--tree', 'kernel-fixtures/trees/pre-seed'],
      ['scan', 'kernel-fixtures/trees/pre-seed', 'kernel-fixtures/trees/pmtu-redirect', 'kernel-fixtures/trees/fnhe'],
    ]) {
      const r = await runCli([...argv, '--format', 'kcidb']);
      expect(r.code, r.err).toBeLessThanOrEqual(1);
      check(JSON.parse(r.out));
    }
  });

  it('every status, long logs, odd names, a revision checkout', () => {
    const statuses: KcidbStatus[] = ['PASS', 'FAIL', 'ERROR', 'MISS', 'SKIP'];
    check(
      toKcidb([
        {
          key: 'git\0repo\0rev',
          gitCommitHash: 'b'.repeat(40),
          gitRepositoryUrl: 'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git',
          patchSha256: ['c'.repeat(64)],
          valid: false,
          log: ['hunk 1 does not apply'],
          startTime: new Date(0).toISOString(),
          builds: [
            {
              key: 'k',
              architecture: 'x86_64',
              status: 'PASS',
              durationS: 1.5,
              tests: statuses.map((status, i) => ({ path: [`scénario ${i}.x`, 'contract'], status, log: ['x'.repeat(20000)], environment: { comment: 'QEMU TCG', misc: { arch: 'x86_64' } }, durationS: i })),
            },
          ],
        },
      ]),
    );
  });
});

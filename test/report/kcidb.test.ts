import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KCIDB_VERSION, LOG_EXCERPT_MAX, logExcerpt, pathSegment, patchsetHash, sha256, toKcidb, type KcidbCheckoutIn, type KcidbStatus } from '../../src/report/kcidb.ts';
import { kcidbProblems } from '../helpers/kcidb.ts';

const checkout = (over: Partial<KcidbCheckoutIn> = {}): KcidbCheckoutIn => ({
  key: 'source\0tree',
  comment: 'tree',
  valid: true,
  builds: [{ key: 'source', tests: [{ path: ['scan'], status: 'PASS', log: ['agrees'] }] }],
  ...over,
});

describe('KCIDB writer', () => {
  it('a document of schema v5.3: our origin, ids, paths under peerprop., every object linked', () => {
    const doc = toKcidb([
      checkout(),
      {
        key: 'kernel\0debian',
        comment: 'Debian 6.1',
        gitRepositoryUrl: '/home/me/linux',
        gitCommitHash: 'a'.repeat(40),
        startTime: '2026-01-02T03:04:05.678Z',
        builds: [
          {
            key: '6.1.0-56-cloud-amd64',
            architecture: 'x86_64',
            status: 'PASS',
            tests: [
              { path: ['boot'], status: 'PASS', durationS: 3.2, environment: { comment: 'QEMU TCG', misc: { kernel_release: '6.1.0-56-cloud-amd64', arch: 'x86_64', accel: 'tcg' } } },
              { path: ['udp-pmtu'], status: 'FAIL', log: ['contract: expected 1400, observed 1500'] },
              { path: ['udp-pmtu', 'mechanism'], status: 'SKIP' },
            ],
          },
        ],
      },
    ]);
    expect(kcidbProblems(doc)).toEqual([]);
    expect(doc.version).toEqual({ major: 5, minor: 3 });
    expect(doc.tests.map((t) => t.path)).toEqual(['peerprop.scan', 'peerprop.boot', 'peerprop.udp-pmtu', 'peerprop.udp-pmtu.mechanism']);
    // A local path is not a repository URL KCIDB accepts: it is kept in misc, not dropped.
    expect(doc.checkouts[1]!.git_repository_url).toBeUndefined();
    expect((doc.checkouts[1]!.misc as { git_repository: string }).git_repository).toBe('/home/me/linux');
    expect(doc.checkouts[1]!.git_commit_hash).toBe('a'.repeat(40));
  });

  it('ids are stable: the same thing tested gets the same id, anything else another', () => {
    const a = toKcidb([checkout()]);
    const b = toKcidb([checkout()]);
    expect(a.tests[0]!.id).toBe(b.tests[0]!.id);
    const c = toKcidb([checkout({ key: 'source\0other tree' })]);
    expect(c.checkouts[0]!.id).not.toBe(a.checkouts[0]!.id);
    expect(c.tests[0]!.id).not.toBe(a.tests[0]!.id);
  });

  it('parts on the same source share one checkout and build; the same path twice in a build is refused', () => {
    const review = checkout({ builds: [{ key: 'source', tests: [{ path: ['review'], status: 'PASS' }] }] });
    const verify = checkout({ valid: false, log: ['hunk 1 does not apply'], builds: [{ key: 'source', tests: [{ path: ['verify'], status: 'ERROR' }] }] });
    const doc = toKcidb([review, verify]);
    expect(doc.checkouts).toHaveLength(1);
    expect(doc.builds).toHaveLength(1);
    expect(doc.tests.map((t) => t.path)).toEqual(['peerprop.review', 'peerprop.verify']);
    // One part could not put the source together: the checkout is invalid, whoever came first.
    expect(doc.checkouts[0]!.valid).toBe(false);
    expect(kcidbProblems(doc)).toEqual([]);
    expect(() => toKcidb([review, review])).toThrow(/peerprop\.review reported twice/);
  });

  it('the patchset hash is sha256 over the newline-terminated sha256 of each patch (sha256sum | cut | sha256sum)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-kcidb-'));
    try {
      writeFileSync(join(dir, '1.patch'), 'first\n');
      writeFileSync(join(dir, '2.patch'), 'second\n');
      const shell = execFileSync('sh', ['-c', 'sha256sum 1.patch 2.patch | cut -c-64 | sha256sum | cut -c-64'], { cwd: dir, encoding: 'utf8' }).trim();
      expect(patchsetHash([sha256('first\n'), sha256('second\n')])).toBe(shell);
      expect(patchsetHash([])).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('any name is a valid path segment; any log is a valid excerpt (no NUL, within the limit, the cut said)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { minLength: 1, maxLength: 4 }), fc.array(fc.string({ maxLength: 9000 }), { maxLength: 4 }), fc.constantFrom<KcidbStatus>('PASS', 'FAIL', 'ERROR', 'MISS', 'SKIP'), (path, log, status) => {
        for (const s of path) expect(pathSegment(s)).toMatch(/^[A-Za-z0-9_-]+$/);
        const doc = toKcidb([checkout({ builds: [{ key: 'source', tests: [{ path, status, log }] }] })]);
        expect(kcidbProblems(doc)).toEqual([]);
        const excerpt = doc.tests[0]!.log_excerpt as string | undefined;
        if (excerpt !== undefined) {
          expect([...excerpt].length).toBeLessThanOrEqual(LOG_EXCERPT_MAX);
          if ([...log.join('\n')].length + 1 > LOG_EXCERPT_MAX) expect(excerpt).toMatch(/cut at the KCIDB limit/);
        }
      }),
      { numRuns: 60 },
    );
    expect(logExcerpt([])).toBeUndefined();
    expect(logExcerpt(['a\0b'])).toBe('a\\0b\n');
  });

  it('states the version it targets', () => {
    expect(KCIDB_VERSION).toEqual({ major: 5, minor: 3 });
  });
});

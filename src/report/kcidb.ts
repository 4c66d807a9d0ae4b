/**
 * KCIDB I/O JSON (the Linux kernel CI results database's submission format) over a small tree:
 * checkouts (the source that was tested), builds (the kernel, or the source read without compiling),
 * tests (one per scenario, strategy or scanned target, `path` under `peerprop.`).
 *
 * Target: KCIDB I/O schema v5.3 (the newest version of the `kcidb-io` package when this was
 * written). Version 5 tests carry `status` (PASS/FAIL/ERROR/MISS/DONE/SKIP), `start_time`,
 * `environment` and `log_excerpt`; builds carry `status` too.
 *
 * Ids are `peerprop:` and a hash of what was tested (the parent's id and the object's own key), so
 * the same test of the same kernel gets the same id whichever run or shard reported it.
 */
import { createHash } from 'node:crypto';
import { packageVersion } from '../core/version.ts';

export const KCIDB_VERSION = { major: 5, minor: 3 } as const;
export const KCIDB_ORIGIN = 'peerprop';
/** Every test path starts here. */
export const KCIDB_PATH_ROOT = 'peerprop';
/** The schema's limit on any log excerpt. */
export const LOG_EXCERPT_MAX = 16384;

/**
 * PASS the test ran and the code is correct; FAIL it ran and the code is wrong; ERROR it did not
 * complete (unreadable or partial input, a crash of the check itself): the code's status is unknown;
 * MISS it did not run because the harness failed (no QEMU, no tracefs); SKIP not applicable.
 */
export type KcidbStatus = 'PASS' | 'FAIL' | 'ERROR' | 'MISS' | 'SKIP';

/** A test as a producer describes it (before ids are assigned). */
export interface KcidbTestIn {
  /** Path segments under `peerprop` (e.g. ['udp-pmtu', 'contract']); each is made path-safe. */
  path: string[];
  status: KcidbStatus;
  comment?: string;
  /** The lines that show why: trace lines, C lines, findings. */
  log?: string[];
  startTime?: string;
  durationS?: number;
  environment?: { comment?: string; misc?: Record<string, unknown> };
  misc?: Record<string, unknown>;
}

export interface KcidbBuildIn {
  /** What identifies the build among this checkout's builds (a kernel release, 'source'). */
  key: string;
  comment?: string;
  architecture?: string;
  /** Absent when nothing was compiled (the source was read and analysed). */
  status?: KcidbStatus;
  startTime?: string;
  durationS?: number;
  log?: string[];
  misc?: Record<string, unknown>;
  tests: KcidbTestIn[];
}

export interface KcidbCheckoutIn {
  /** What identifies the source: a tree, a repository and commit, a package and version, patch hashes. */
  key: string;
  comment?: string;
  treeName?: string;
  gitRepositoryUrl?: string;
  gitCommitHash?: string;
  gitCommitName?: string;
  /** sha256 of each applied patch, in order (the patchset hash is computed from them). */
  patchSha256?: string[];
  /** false: the source could not be put together (a patch did not apply). */
  valid?: boolean;
  startTime?: string;
  log?: string[];
  misc?: Record<string, unknown>;
  builds: KcidbBuildIn[];
}

export interface KcidbDoc {
  version: { major: number; minor: number };
  checkouts: Record<string, unknown>[];
  builds: Record<string, unknown>[];
  tests: Record<string, unknown>[];
}

function id(...parts: string[]): string {
  return `${KCIDB_ORIGIN}:${createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32)}`;
}

/** A path segment KCIDB accepts ([A-Za-z0-9_-]+): anything else becomes '_'. */
export function pathSegment(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_-]+/g, '_');
  return t === '' ? '_' : t;
}

/** No NUL anywhere; at most LOG_EXCERPT_MAX characters, the cut said in the text. */
export function logExcerpt(lines: readonly string[]): string | undefined {
  if (lines.length === 0) return undefined;
  const text = lines.join('\n').replace(/\0/g, '\\0') + '\n';
  const chars = [...text];
  if (chars.length <= LOG_EXCERPT_MAX) return text;
  const note = '\n[... cut at the KCIDB limit of 16384 characters]\n';
  return chars.slice(0, LOG_EXCERPT_MAX - note.length).join('') + note;
}

/** The KCIDB patchset hash: sha256 over the newline-terminated sha256 of each patch, in order. */
export function patchsetHash(patchSha256: readonly string[]): string {
  if (patchSha256.length === 0) return '';
  return createHash('sha256').update(patchSha256.map((h) => `${h}\n`).join('')).digest('hex');
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const HTTPS = /^https:\/\/[^\0]*$/;
const SHA1 = /^[0-9a-f]{40}$/;

function clean(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function seconds(s: number | undefined): number | undefined {
  return s === undefined || !Number.isFinite(s) || s < 0 ? undefined : Math.round(s * 1000) / 1000;
}

/**
 * Parts that tested the same source (review and verify of one patch on one tree) meet in one
 * checkout and build: the first description wins, tests are joined. A checkout any part could not
 * put together is invalid. The same test path twice in one build would be one KCIDB id for two
 * results: that is a producer's bug, never silently dropped.
 */
export function joinCheckouts(checkouts: readonly KcidbCheckoutIn[]): KcidbCheckoutIn[] {
  const byKey = new Map<string, KcidbCheckoutIn>();
  for (const c of checkouts) {
    const prev = byKey.get(c.key);
    if (!prev) {
      byKey.set(c.key, { ...c, builds: c.builds.map((b) => ({ ...b, tests: [...b.tests] })) });
      continue;
    }
    if (c.valid === false) prev.valid = false;
    if (c.log?.length) prev.log = [...(prev.log ?? []), ...c.log.filter((l) => !prev.log?.includes(l))];
    for (const b of c.builds) {
      const pb = prev.builds.find((x) => x.key === b.key);
      if (!pb) prev.builds.push({ ...b, tests: [...b.tests] });
      else pb.tests.push(...b.tests);
    }
  }
  for (const c of byKey.values()) {
    for (const b of c.builds) {
      const paths = b.tests.map((t) => t.path.map(pathSegment).join('.'));
      const dup = paths.find((p, i) => paths.indexOf(p) !== i);
      if (dup !== undefined) throw new Error(`KCIDB: test path ${KCIDB_PATH_ROOT}.${dup} reported twice for one build`);
    }
  }
  return [...byKey.values()];
}

/** Builds the KCIDB document; `misc.peerprop_version` names the producer on every object. */
export function toKcidb(parts: readonly KcidbCheckoutIn[]): KcidbDoc {
  const doc: KcidbDoc = { version: { ...KCIDB_VERSION }, checkouts: [], builds: [], tests: [] };
  const misc = (m: Record<string, unknown> | undefined) => ({ ...(m ?? {}), peerprop_version: packageVersion() });
  for (const c of joinCheckouts(parts)) {
    const checkoutId = id('checkout', c.key);
    doc.checkouts.push(
      clean({
        id: checkoutId,
        origin: KCIDB_ORIGIN,
        comment: c.comment,
        tree_name: c.treeName,
        // The schema wants https:// URLs and full commit hashes: anything else stays in misc.
        git_repository_url: c.gitRepositoryUrl && HTTPS.test(c.gitRepositoryUrl) ? c.gitRepositoryUrl : undefined,
        git_commit_hash: c.gitCommitHash && SHA1.test(c.gitCommitHash) ? c.gitCommitHash : undefined,
        git_commit_name: c.gitCommitName,
        patchset_hash: c.patchSha256 ? patchsetHash(c.patchSha256) : undefined,
        start_time: c.startTime,
        valid: c.valid,
        log_excerpt: logExcerpt(c.log ?? []),
        misc: misc({ ...c.misc, ...(c.gitRepositoryUrl && !HTTPS.test(c.gitRepositoryUrl) ? { git_repository: c.gitRepositoryUrl } : {}) }),
      }),
    );
    for (const b of c.builds) {
      const buildId = id('build', checkoutId, b.key);
      doc.builds.push(
        clean({
          id: buildId,
          checkout_id: checkoutId,
          origin: KCIDB_ORIGIN,
          comment: b.comment,
          architecture: b.architecture,
          status: b.status,
          start_time: b.startTime,
          duration: seconds(b.durationS),
          log_excerpt: logExcerpt(b.log ?? []),
          misc: misc(b.misc),
        }),
      );
      for (const t of b.tests) {
        const path = [KCIDB_PATH_ROOT, ...t.path.map(pathSegment)].join('.');
        doc.tests.push(
          clean({
            id: id('test', buildId, path),
            build_id: buildId,
            origin: KCIDB_ORIGIN,
            path,
            status: t.status,
            comment: t.comment,
            start_time: t.startTime,
            duration: seconds(t.durationS),
            environment: t.environment ? clean({ comment: t.environment.comment, misc: t.environment.misc }) : undefined,
            log_excerpt: logExcerpt(t.log ?? []),
            misc: misc(t.misc),
          }),
        );
      }
    }
  }
  return doc;
}

export function renderKcidb(doc: KcidbDoc): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

/** ISO 8601 with a time zone, as the schema's date-time format wants. */
export function isoTime(d: Date | number): string {
  return new Date(d).toISOString();
}

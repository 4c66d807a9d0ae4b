/**
 * The candidates of a live bisect, read from git: the commits of GOOD..BAD that touch the
 * paths. Full DAG: `git rev-list --parents BAD ^GOOD -- PATHS` (parents rewritten to the
 * nearest commit that touches them, as git bisect sees history). First-parent: BAD's
 * first-parent line, each commit compared with its first parent (`git diff-tree --stdin`).
 */
import { execFile } from 'node:child_process';
import { badInput } from '../core/errors.ts';
import { assertGitRepo, runGit } from '../scan/git.ts';
import type { BisectCommit, BisectGraph } from './bisect.ts';

export interface GraphOptions {
  paths?: string[];
  firstParent?: boolean;
}

/** GOOD..BAD as two revisions (the same syntax as `scan --bisect`). */
export function parseRange(spec: string): { good: string; bad: string } {
  const m = /^([^.][^]*?)\.\.([^.][^]*)$/.exec(spec);
  if (!m || m[1]!.includes('..') || m[2]!.includes('..')) throw badInput(`--bisect expects GOOD..BAD (two revisions), got ${JSON.stringify(spec)}`);
  return { good: m[1]!, bad: m[2]! };
}

async function commitOf(repo: string, rev: string, what: string): Promise<BisectCommit> {
  const oid = (await runGit(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).catch(() => '')).trim();
  if (!oid) throw badInput(`--bisect: ${what} ${rev} is not a commit of this repository`, { file: repo });
  const subject = (await runGit(repo, ['log', '-1', '--format=%s', oid])).trim();
  return { oid, subject, parents: [] };
}

export async function bisectGraph(repo: string, range: string, opts: GraphOptions = {}): Promise<BisectGraph> {
  await assertGitRepo(repo);
  const { good: g, bad: b } = parseRange(range);
  const good = await commitOf(repo, g, 'GOOD');
  const bad = await commitOf(repo, b, 'BAD');
  const isAncestor = await runGit(repo, ['merge-base', '--is-ancestor', good.oid, bad.oid]).then(() => true, () => false);
  if (!isAncestor) throw badInput(`--bisect: GOOD ${g} is not an ancestor of BAD ${b}`, { file: repo });
  const paths = opts.paths ?? [];
  if (!opts.firstParent) {
    const out = await runGit(repo, ['rev-list', '--parents', '--format=%s', bad.oid, `^${good.oid}`, '--', ...paths]);
    return { good, bad, commits: parseRevList(out) };
  }
  const line = (await runGit(repo, ['rev-list', '--first-parent', '--parents', '--format=%s', bad.oid, `^${good.oid}`])).trim();
  const all = parseRevList(line).map((c) => ({ ...c, parents: c.parents.slice(0, 1) }));
  const touching = paths.length ? await touchingFirstParent(repo, all, paths) : new Set(all.map((c) => c.oid));
  // Keep the line, parents rewritten past the commits that leave the paths alone.
  const byOid = new Map(all.map((c) => [c.oid, c]));
  const rewrite = (oid: string | undefined): string[] => {
    while (oid && byOid.has(oid) && !touching.has(oid)) oid = byOid.get(oid)!.parents[0];
    return oid && touching.has(oid) ? [oid] : [];
  };
  const commits = all.filter((c) => touching.has(c.oid)).map((c) => ({ ...c, parents: rewrite(c.parents[0]) }));
  return { good, bad, commits };
}

/** `git rev-list --parents --format=%s` output: "commit OID PARENT..." then the subject. */
export function parseRevList(out: string): BisectCommit[] {
  const commits: BisectCommit[] = [];
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^commit ([0-9a-f]{40})((?: [0-9a-f]{40})*)$/.exec(lines[i]!);
    if (!m) continue;
    commits.push({ oid: m[1]!, parents: m[2]!.trim() ? m[2]!.trim().split(' ') : [], subject: lines[i + 1] ?? '' });
  }
  return commits;
}

/** The commits whose diff against their first parent touches one of the paths. */
function touchingFirstParent(repo: string, commits: BisectCommit[], paths: string[]): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', ['-C', repo, 'diff-tree', '--stdin', '-r', '--name-only', '--', ...paths], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout) => {
      if (err) return reject(badInput(`git diff-tree: ${err.message.split('\n')[0]}`, { file: repo }));
      const touched = new Set<string>();
      let current: string | undefined;
      for (const l of stdout.split('\n')) {
        if (/^[0-9a-f]{40}( [0-9a-f]{40})?$/.test(l)) current = l.slice(0, 40);
        else if (l.trim() && current) touched.add(current);
      }
      resolve(touched);
    });
    // "commit parent": diff against the first parent only (a merge's own change to the line).
    child.stdin!.end(commits.map((c) => (c.parents[0] ? `${c.oid} ${c.parents[0]}` : c.oid)).join('\n') + '\n');
  });
}

/**
 * Real boots: one unsharded `conform` of Debian's 6.1 kernel against the same three scenarios cut
 * into two shards and merged, a two-kernel matrix whose one kernel cannot be had, and every way a
 * set of shard files can be incomplete or foreign (from copies of the real shard files).
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliRun } from '../helpers/cli.ts';
import type { ShardDocument } from '../../src/ci/shard.ts';
import { kcidbProblems } from '../helpers/kcidb.ts';

const SCEN = ['udp-pmtu', 'tcp-pmtu', 'redirect-gateway'];
const BOOTS = 900_000;

let dir: string;
let unsharded: { scenarios: Record<string, unknown>[]; exitCode: number; kernel: { release: string } };
let unshardedKcidb: { tests: { id: string; path: string; status: string }[] };
let shardFiles: string[];
let keep: string;
let twoKernel: string[];

const cli = (...argv: string[]): Promise<CliRun> => runCli(argv);
const readDoc = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as ShardDocument;

/** A directory holding these files (copied), and one more file with `edit` applied to a copy of `from`. */
async function setOf(name: string, files: string[], extra?: { from: string; as: string; edit?: (d: ShardDocument) => void; text?: (t: string) => string }): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  for (const f of files) await copyFile(f, join(d, f.split('/').pop()!));
  if (extra) {
    let text = await readFile(extra.from, 'utf8');
    if (extra.edit) {
      const doc = JSON.parse(text) as ShardDocument;
      extra.edit(doc);
      text = JSON.stringify(doc, null, 2);
    }
    if (extra.text) text = extra.text(text);
    await writeFile(join(d, extra.as), text);
  }
  return d;
}

/**
 * What a scenario's verdict says: status, reasons, every contract check with what was observed,
 * the mechanism's status and the evidence it names. Not what depends on the boot around it: trace
 * line numbers and paths, and how many events the scenario's window held (a route the boot's
 * earlier scenarios had cached, or the setup's flushes, add events, never a verdict).
 */
function verdictOf(v: Record<string, unknown>): unknown {
  const m = v.mechanism as { status: string; reason?: string; diagnostics: string[] };
  const text = (s: string) => s.replace(/\(\S*capture\.txt:\d+\)/g, '(capture.txt)');
  return {
    ...v,
    mechanism: { status: m.status, reason: m.reason, evidence: m.diagnostics.filter((d) => !/^mechanism: \d+ events/.test(d)).map(text) },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerprop-merge-'));
  keep = join(dir, 'keep');
  const u = await cli('conform', '--kernel', 'debian', '--scenario', ...SCEN, '--format', 'json');
  expect(u.code, u.err).toBe(0);
  unsharded = JSON.parse(u.out);
  shardFiles = [];
  await mkdir(join(dir, 'shards'));
  for (const i of [1, 2]) {
    const r = await cli('conform', '--kernel', 'debian', '--scenario', ...SCEN, '--shard', `${i}/2`, '--run-id', 'run-1', '--format', 'json', ...(i === 2 ? ['--keep', keep] : []));
    expect(r.code, r.err).toBe(0);
    const f = join(dir, 'shards', `shard-${i}.json`);
    await writeFile(f, r.out);
    shardFiles.push(f);
  }
  // Two kernels, one of which no runner can have: its shard records the error, the other boots.
  twoKernel = [];
  await mkdir(join(dir, 'two'));
  for (const i of [1, 2]) {
    const r = await cli('conform', '--kernel', 'debian', '/nonexistent/bzImage', '--scenario', ...SCEN, '--shard', `${i}/2`, '--run-id', 'run-2', '--format', 'json');
    const f = join(dir, 'two', `shard-${i}.json`);
    await writeFile(f, r.out);
    twoKernel.push(f);
  }
  unshardedKcidb = JSON.parse((await import('../../src/harness/render.ts')).renderConform(unsharded as never, 'kcidb'));
}, BOOTS);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sharded conform + merge = one unsharded run', () => {
  it('each shard records its index, its work and the whole matrix it was cut from', async () => {
    const [a, b] = await Promise.all(shardFiles.map(readDoc));
    expect(a!.shard).toEqual({ index: 1, total: 2, work: [{ kernel: 'debian', scenario: 'udp-pmtu' }] });
    expect(b!.shard.work.map((w) => w.scenario)).toEqual(['tcp-pmtu', 'redirect-gateway']);
    for (const d of [a!, b!]) {
      expect(d.matrix).toMatchObject({ kernels: ['debian'], scenarios: SCEN, shards: 2 });
      expect(d.run).toEqual({ id: 'run-1', from: '--run-id' });
      expect(d.runs).toHaveLength(1);
    }
    expect(a!.matrix.id).toBe(b!.matrix.id);
  });

  it('the merged verdicts are the unsharded run\'s, scenario by scenario, and so is the exit code', async () => {
    const r = await cli('merge', join(dir, 'shards'), '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.exitCode).toBe(unsharded.exitCode);
    expect(m.kernels).toHaveLength(1);
    const rep = m.kernels[0].report;
    expect(rep.kernel.release).toBe(unsharded.kernel.release);
    expect(rep.scenarios.map((v: { name: string }) => v.name)).toEqual(SCEN);
    expect(JSON.stringify(rep.scenarios.map(verdictOf), null, 1)).toBe(JSON.stringify(unsharded.scenarios.map(verdictOf), null, 1));
    expect(rep.problems).toEqual([]);
    expect(m.shards.map((s: { shard: string }) => s.shard)).toEqual(['1/2', '2/2']);
  });

  it('KTAP: the same scenario results as the unsharded run', async () => {
    const r = await cli('merge', join(dir, 'shards'), '--format', 'ktap');
    expect(r.code).toBe(0);
    const { renderConform } = await import('../../src/harness/render.ts');
    const plain = renderConform(unsharded as never, 'ktap');
    // every result line below the header, at every depth (scenarios, their contract and mechanism halves)
    const lines = (t: string) => t.split('\n').filter((l) => /^ *(ok|not ok) \d+ /.test(l));
    expect(lines(r.out)).toEqual(lines(plain));
    expect(lines(r.out).filter((l) => /^ {0,2}(ok|not ok)/.test(l))).toEqual([`  ok 1 udp-pmtu`, `  ok 2 tcp-pmtu`, `  ok 3 redirect-gateway`, `ok 1 conform ${unsharded.kernel.release}`]);
  });

  it('KCIDB: the same tests with the same ids and statuses as the unsharded run', async () => {
    const r = await cli('merge', join(dir, 'shards'), '--format', 'kcidb');
    expect(r.code).toBe(0);
    const k = JSON.parse(r.out) as typeof unshardedKcidb;
    expect(kcidbProblems(k)).toEqual([]);
    const key = (t: { id: string; path: string; status: string }) => `${t.path} ${t.status} ${t.id}`;
    expect(k.tests.map(key).sort()).toEqual(unshardedKcidb.tests.map(key).sort());
    expect(k.tests.length).toBeGreaterThan(SCEN.length);
  });

  it('--out writes every format; one HTML page for the one kernel', async () => {
    const out = join(dir, 'out');
    const r = await cli('merge', join(dir, 'shards'), '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^merged: 1 kernel\(s\), 3 scenario runs: 3 passed, 0 failed, 0 errors, 0 skipped; exit 0$/m);
    const files = (await readdir(out)).sort();
    expect(files.filter((f) => !f.endsWith('.html'))).toEqual(['merged.json', 'merged.junit.xml', 'merged.kcidb.json', 'merged.ktap', 'merged.txt']);
    const html = files.filter((f) => f.endsWith('.html'));
    expect(html).toEqual(['conform-1-debian.html']);
    expect(await readFile(join(out, html[0]!), 'utf8')).toMatch(/id="scenario-tcp-pmtu" data-status="pass"/);
    expect(await readFile(join(out, 'merged.junit.xml'), 'utf8')).toMatch(/tests="6" failures="0" errors="0"/);
  });
});

describe('a kernel no shard could have', () => {
  it('is merged as errors, and the exit code is the worst kernel\'s', async () => {
    const docs = await Promise.all(twoKernel.map(readDoc));
    expect(docs[0]!.runs.map((r) => r.kernel)).toEqual(['/nonexistent/bzImage']);
    expect(docs[0]!.runs[0]!.error?.exitCode).toBe(2);
    expect(docs[1]!.runs[0]!.report).toBeDefined();
    const r = await cli('merge', join(dir, 'two'), '--format', 'ktap');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^not ok 1 conform \/nonexistent\/bzImage # ERROR .*nonexistent/m);
    expect(r.out).toMatch(/^ok 2 conform 6\.1\./m);
    expect(r.out.match(/^ {2}not ok \d+ \S+ # ERROR/gm)).toHaveLength(3);
    const k = await cli('merge', join(dir, 'two'), '--format', 'kcidb');
    expect(k.code).toBe(2);
    expect(kcidbProblems(JSON.parse(k.out))).toEqual([]);
    const tests = JSON.parse(k.out).tests as { path: string; status: string }[];
    expect(tests.filter((t) => t.status === 'ERROR').map((t) => t.path).sort()).toEqual(['peerprop.boot', ...SCEN.map((s) => `peerprop.${s}`)].sort());
    expect(tests.filter((t) => t.status === 'PASS').length).toBeGreaterThanOrEqual(SCEN.length * 3);
  });

  it('a failing scenario in one shard fails the merge (exit 1)', async () => {
    const d = await setOf('failing', [shardFiles[0]!], {
      from: shardFiles[1]!,
      as: 'shard-2.json',
      edit: (doc) => {
        const rep = doc.runs[0]!.report as { scenarios: { name: string; status: string; reason?: string; contract: { status: string } }[]; exitCode: number };
        rep.scenarios[0]!.status = 'fail';
        rep.scenarios[0]!.contract.status = 'fail';
        rep.scenarios[0]!.reason = 'contract: edited';
        rep.exitCode = 1;
        doc.exitCode = 1;
      },
    });
    const r = await cli('merge', d, '--format', 'ktap');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}not ok 2 tcp-pmtu$/m);
  });
});

describe('refused: never a smaller pass (exit 2, one line naming the file)', () => {
  const refused = async (args: string[], msg: RegExp, file?: string) => {
    const r = await cli('merge', ...args);
    expect(r.code, r.out + r.err).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(msg);
    if (file) expect(r.err).toContain(file);
  };

  it('a missing shard', async () => {
    await refused([shardFiles[0]!], /shard 2\/2 missing \(found 1\/2 in .*shard-1\.json\)/);
  });

  it('a duplicated shard', async () => {
    const d = await setOf('dup', shardFiles, { from: shardFiles[1]!, as: 'shard-2-again.json' });
    await refused([d], /shard 2\/2 twice/, 'shard-2.json');
  });

  it('the same file through two arguments is one shard, not two', async () => {
    const r = await cli('merge', join(dir, 'shards'), shardFiles[0]!, join(dir, 'shards', '..', 'shards', 'shard-2.json'));
    expect(r.code, r.err).toBe(0);
  });

  it('a shard of another run', async () => {
    const d = await setOf('run', [shardFiles[0]!], { from: shardFiles[1]!, as: 'shard-2.json', edit: (doc) => (doc.run = { id: 'run-9', from: 'GITHUB_RUN_ID' }) });
    await refused([d], /shard of another run \(run run-9 from GITHUB_RUN_ID, not run-1\)/, 'shard-2.json');
  });

  it('a shard of another matrix', async () => {
    await refused([shardFiles[0]!, twoKernel[1]!], /shard of another matrix/, twoKernel[1]!);
  });

  it('a matrix edited under its id', async () => {
    const d = await setOf('edited', [shardFiles[0]!], { from: shardFiles[1]!, as: 'shard-2.json', edit: (doc) => (doc.matrix.scenarios = ['udp-pmtu', 'tcp-pmtu']) });
    await refused([d], /does not match its kernels, scenarios and shard count/, 'shard-2.json');
  });

  it('a shard whose work is not its slice', async () => {
    const d = await setOf('work', [shardFiles[0]!], { from: shardFiles[1]!, as: 'shard-2.json', edit: (doc) => (doc.shard.work = doc.shard.work.slice(1)) });
    await refused([d], /its work is not shard 2\/2 of the matrix/, 'shard-2.json');
  });

  it('a shard whose run lost a scenario', async () => {
    const d = await setOf('lost', [shardFiles[0]!], {
      from: shardFiles[1]!,
      as: 'shard-2.json',
      edit: (doc) => {
        const run = doc.runs[0]!;
        run.scenarios = run.scenarios.slice(0, 1);
        (run.report as { scenarios: unknown[] }).scenarios.splice(1);
      },
    });
    await refused([d], /its runs do not cover its work exactly; not run: debian redirect-gateway/, 'shard-2.json');
  });

  it('one kernel name, two kernels', async () => {
    const d = await setOf('kernel', [shardFiles[0]!], { from: shardFiles[1]!, as: 'shard-2.json', edit: (doc) => ((doc.runs[0]!.report as { kernel: { description: string } }).kernel.description = 'Debian linux-image-6.1.0-99-cloud-amd64 6.1.999-1 (6.1.0-99-cloud-amd64)') });
    await refused([d], /kernel debian is Debian linux-image-6\.1\.0-99.*\(one name, two kernels\)/, 'shard-2.json');
  });

  it('other options, another peerprop', async () => {
    const smp = await setOf('smp', [shardFiles[0]!], { from: shardFiles[1]!, as: 'shard-2.json', edit: (doc) => (doc.options.smp = 2) });
    await refused([smp], /run with other options \(--smp 2\)/, 'shard-2.json');
    const ver = await setOf('ver', [shardFiles[0]!], { from: shardFiles[1]!, as: 'shard-2.json', edit: (doc) => (doc.peerprop = '9.9.9') });
    await refused([ver], /written by peerprop 9\.9\.9: another version/, 'shard-2.json');
  });

  it('a shard file cut short, or empty', async () => {
    const cut = await setOf('cut', [shardFiles[0]!], { from: shardFiles[1]!, as: 'shard-2.json', text: (t) => t.slice(0, Math.floor(t.length / 2)) });
    await refused([cut], /not JSON, or cut short/, 'shard-2.json');
    const empty = await setOf('empty', [shardFiles[0]!], { from: shardFiles[1]!, as: 'shard-2.json', text: () => '' });
    await refused([empty], /empty file: the shard job wrote no result/, 'shard-2.json');
  });

  it('a plain conform report given as a shard; in a directory it is passed over', async () => {
    const plain = join(dir, 'plain.json');
    await writeFile(plain, JSON.stringify(unsharded));
    await refused([plain, ...shardFiles], /not a shard result of conform --shard/, 'plain.json');
    const d = await setOf('with-report', [...shardFiles, plain]);
    const r = await cli('merge', d);
    expect(r.code).toBe(0);
  });

  it('no shard at all', async () => {
    const d = join(dir, 'nothing');
    await mkdir(d);
    await refused([d], /no shard result/);
  });
});

describe('the LAVA template reads what the real guest prints', () => {
  it('its monitor brackets the run once and gives one result per scenario', async () => {
    const { parse } = await import('yaml');
    const job = parse(await readFile(new URL('../../ci/lava/peerprop-conform.yaml', import.meta.url), 'utf8'));
    const mon = job.actions.find((a: { test?: unknown }) => a.test).test.monitors[0];
    const kept = (await readdir(keep))[0]!;
    const console = await readFile(join(keep, kept, 'console.log'), 'utf8');
    const count = (s: string) => console.split(s).length - 1;
    expect(count(mon.start)).toBe(1);
    expect(count(mon.end)).toBe(1);
    expect(console.indexOf(mon.start)).toBeLessThan(console.indexOf(mon.end));
    // LAVA's patterns are Python's: (?P<name>...) is (?<name>...) in JavaScript.
    const re = new RegExp(mon.pattern.replace(/\(\?P</g, '(?<'), 'g');
    const between = console.slice(console.indexOf(mon.start), console.indexOf(mon.end));
    const results = [...between.matchAll(re)].map((m) => [m.groups!.test_case_id, mon.fixupdict[m.groups!.result!]]);
    expect(results).toEqual([['setup', 'pass'], ['tcp-pmtu', 'pass'], ['redirect-gateway', 'pass']]);
  });
});

describe('a shard whose slice its kernel skips entirely', () => {
  it('exits 0 (not "nothing to check"): the merge judges the whole matrix', async () => {
    const { runShard } = await import('../../src/ci/shard.ts');
    const { ExitCode } = await import('../../src/core/errors.ts');
    const rep = JSON.parse(JSON.stringify(unsharded)) as { scenarios: { name: string; status: string }[]; exitCode: number };
    // the real report, as conform reports a slice whose scenarios the era does not state (exit 2)
    rep.scenarios = rep.scenarios.slice(0, 1).map((v) => ({ ...v, status: 'skip' }));
    rep.exitCode = ExitCode.BadInput;
    const { doc } = await runShard({ kernels: ['debian'], scenarios: SCEN, shard: { index: 1, total: 3 }, runId: 'r' }, async () => rep as never);
    expect(doc.shard.work).toEqual([{ kernel: 'debian', scenario: 'udp-pmtu' }]);
    expect(doc.exitCode).toBe(ExitCode.Clean);
  });
});

describe('no result lost or counted twice (property, over the real report of the unsharded run)', () => {
  it('a set of shard files merges only when it is each shard of one matrix exactly once, and then it holds every pair once', async () => {
    const fc = (await import('fast-check')).default;
    const { runShard } = await import('../../src/ci/shard.ts');
    const { mergeShards } = await import('../../src/ci/merge.ts');
    const { SCENARIO_NAMES } = await import('../../src/harness/scenarios.ts');
    const template = unsharded as unknown as { kernel: Record<string, unknown>; scenarios: Record<string, unknown>[] };
    // each kernel of the matrix "boots" as the real run did, its scenarios named as asked
    const conform = async (o: { kernel?: string; scenarios?: string[] }) =>
      ({ ...template, kernel: { ...template.kernel, spec: o.kernel, description: `kernel ${o.kernel}` }, scenarios: o.scenarios!.map((name) => ({ ...template.scenarios[0]!, name })) }) as never;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom('debian', 'debian-6.12', '/k/a', '/k/b'), { minLength: 1, maxLength: 3 }),
        fc.uniqueArray(fc.constantFrom(...SCENARIO_NAMES), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { maxLength: 9 }),
        fc.boolean(),
        async (kernels, scenarios, n, picks, whole) => {
          const total = Math.min(n, kernels.length * scenarios.length);
          const docs: ShardDocument[] = [];
          for (let i = 1; i <= total; i++) docs.push((await runShard({ kernels, scenarios, shard: { index: i, total }, runId: 'p' }, conform)).doc);
          // half the cases: every shard once, in an order of their own; else any picks, duplicates included
          const chosen = whole ? docs.map((d, i) => ({ d, k: picks[i] ?? i })).sort((a, b) => a.k - b.k).map((x) => x.d) : picks.map((p) => docs[p % total]!);
          const exactlyOnce = chosen.length === total && new Set(chosen.map((d) => d.shard.index)).size === total;
          let merged: ReturnType<typeof mergeShards> | undefined;
          try {
            merged = mergeShards(chosen.map((doc, i) => ({ file: `f${i}.json`, doc })));
          } catch (err) {
            expect((err as { exitCode?: number }).exitCode).toBe(2);
          }
          expect(merged !== undefined).toBe(exactlyOnce);
          if (merged) {
            const pairs = merged.kernels.flatMap((k) => k.report!.scenarios.map((v) => `${k.spec} ${v.name}`));
            expect(pairs.length).toBe(kernels.length * scenarios.length);
            expect(new Set(pairs).size).toBe(pairs.length);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('a shard for a job log (text, KTAP)', () => {
  it('says which shard of which matrix it is, and that only the merge is the verdict', async () => {
    const { renderShard } = await import('../../src/ci/shard-render.ts');
    const doc = await readDoc(shardFiles[1]!);
    const result = { doc, reports: doc.runs.map((r) => r.report) as never[] };
    const text = renderShard(result, 'text');
    expect(text).toMatch(new RegExp(`^peerprop conform: shard 2/2 of matrix ${doc.matrix.id} \\(2 of 3 pairs; the verdict is the merge of all 2\\)`));
    expect(text).toMatch(/^ok {3}tcp-pmtu /m);
    const ktap = renderShard(result, 'ktap');
    expect(ktap.split('\n').filter((l) => /^ {0,2}(ok|not ok) /.test(l))).toEqual(['  ok 1 tcp-pmtu', '  ok 2 redirect-gateway', `ok 1 conform ${unsharded.kernel.release}`]);
    const two = await readDoc(twoKernel[0]!);
    expect(renderShard({ doc: two, reports: [] }, 'ktap')).toMatch(/^not ok 1 conform \/nonexistent\/bzImage # ERROR/m);
  });
});

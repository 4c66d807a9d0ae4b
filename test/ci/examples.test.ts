/**
 * The shipped CI examples, read as their engines read them: the matrix command each pipeline calls
 * is run with the same arguments, its output is fed to the jobs that use it, each shard job's
 * conform command is run as written (with QEMU made unavailable, so it records an environment
 * error per kernel without booting) and the merge job's command joins those files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.ts';
import { parseShard, workSet } from '../../src/ci/work.ts';
import type { ShardDocument } from '../../src/ci/shard.ts';
import { qemuArgs } from '../../src/harness/qemu.ts';

const root = new URL('../../', import.meta.url);
const readYaml = async (path: string) => parse(await readFile(new URL(path, root), 'utf8'));

/** `npx peerprop ARGS` in a shell line, up to a redirection or the end of a command substitution. */
function peerpropArgs(line: string, command: string): string[] {
  const m = new RegExp(`npx peerprop ${command} ([^)>]*)`).exec(line);
  expect(m, `no "npx peerprop ${command}" in: ${line}`).not.toBeNull();
  return [command, ...m![1]!.trim().split(/\s+/).map((w) => w.replace(/^"|"$/g, ''))];
}

/** The file a shell line redirects stdout to. */
function redirect(line: string): string {
  const m = /\s>\s*"?([^"\s]+)"?\s*$/.exec(line);
  expect(m, `no redirection in: ${line}`).not.toBeNull();
  return m![1]!;
}

/** A GitHub Actions expression as written in a workflow: $ then {{ EXPR }}. */
const gh = (expr: string) => ['$', '{{ ', expr, ' }}'].join('');

function option(argv: string[], name: string): string[] {
  const i = argv.indexOf(name);
  if (i < 0) return [];
  const end = argv.findIndex((a, j) => j > i && a.startsWith('--'));
  return argv.slice(i + 1, end < 0 ? undefined : end);
}

let work: string;
const savedQemu = process.env.PEERPROP_QEMU;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'peerprop-ci-examples-'));
  // conform looks for QEMU before it fetches any kernel: each shard records exit 3 per kernel
  process.env.PEERPROP_QEMU = '/nonexistent/qemu-system-x86_64';
});
afterAll(async () => {
  if (savedQemu === undefined) delete process.env.PEERPROP_QEMU;
  else process.env.PEERPROP_QEMU = savedQemu;
  await rm(work, { recursive: true, force: true });
});

describe('ci/github-actions.yml', () => {
  it('plan → conform shards → merge fit together', { timeout: 120_000 }, async () => {
    const wf = await readYaml('ci/github-actions.yml');
    const { plan, conform, merge } = wf.jobs;

    // plan: one step writes matrix=<one line of JSON> to $GITHUB_OUTPUT; the job exports it
    const step = plan.steps.find((s: { id?: string }) => s.id === 'matrix');
    expect(step.run).toMatch(/^echo "matrix=\$\(npx peerprop matrix .*\)" >> "\$GITHUB_OUTPUT"$/);
    expect(plan.outputs.matrix).toBe(gh('steps.matrix.outputs.matrix'));
    const argv = peerpropArgs(step.run, 'matrix');
    expect(option(argv, '--format')).toEqual(['github']);
    const r = await runCli(argv);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trimEnd()).not.toContain('\n');
    const include = (JSON.parse(r.out) as { include: Record<string, string | number>[] }).include;
    expect(include.length).toBe(Number(option(argv, '--shards')[0]));

    // conform: its matrix is the plan's output; every ${{ matrix.X }} it uses is in every entry
    expect(conform.needs).toBe('plan');
    expect(conform.strategy.matrix).toBe(gh('fromJSON(needs.plan.outputs.matrix)'));
    expect(conform.strategy['fail-fast']).toBe(false);
    const used = [...JSON.stringify(conform).matchAll(/\$\{\{ matrix\.(\w+) \}\}/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(3);
    for (const e of include) for (const k of used) expect(e, `matrix.${k}`).toHaveProperty(k);
    const run = conform.steps.find((s: { run?: string }) => s.run?.includes('peerprop conform')).run as string;
    const upload = conform.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload.if).toBe('always()');

    const shards = join(work, 'github', 'shards');
    const set = workSet(option(argv, '--kernels'), option(argv, '--scenarios'));
    for (const e of include) {
      const sub = (t: string) => t.replace(/\$\{\{ matrix\.(\w+) \}\}/g, (_, k: string) => String(e[k])).replace(gh('github.run_id'), '4242');
      const line = sub(run);
      const cargv = peerpropArgs(line, 'conform');
      expect(workSet(option(cargv, '--kernel'), option(cargv, '--scenario'))).toEqual(set);
      expect(parseShard(option(cargv, '--shard')[0]!)).toEqual({ index: e.index, total: include.length });
      const out = await runCli(cargv);
      expect(out.code, out.err).toBe(3); // QEMU missing, recorded per kernel
      // what upload-artifact takes from this job, where download-artifact puts it for merge
      expect(redirect(line)).toBe(sub(upload.with.path));
      const artifact = sub(upload.with.name);
      await mkdir(join(shards, artifact), { recursive: true });
      await writeFile(join(shards, artifact, redirect(line)), out.out);
    }

    // merge: after every shard, even failed ones; downloads all shard artifacts and merges them
    expect(merge.needs).toBe('conform');
    expect(merge.if).toBe('always()');
    const dl = merge.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/download-artifact'));
    expect(new RegExp(`^${dl.with.pattern.replace('*', '.*')}$`).test((await readdir(shards))[0]!)).toBe(true);
    const mline = merge.steps.find((s: { run?: string }) => s.run?.includes('peerprop merge')).run as string;
    const margv = peerpropArgs(mline, 'merge').map((a) => (a === dl.with.path ? shards : a === 'report' ? join(work, 'github', 'report') : a));
    const m = await runCli(margv);
    // complete, so not 2; the worst part is the missing QEMU
    expect(m.code, m.err).toBe(3);
    expect(m.out).toMatch(/^KTAP version 1$/m);
    expect(m.out.match(/^ {2}not ok \d+ \S+ # ERROR/gm)).toHaveLength(set.kernels.length * set.scenarios.length);
  });
});

describe('ci/gitlab-ci.yml', () => {
  it('the plan job writes a child pipeline whose jobs run the shards and the merge', { timeout: 120_000 }, async () => {
    const parent = await readYaml('ci/gitlab-ci.yml');
    const plan = parent['peerprop-plan'];
    const trigger = parent['peerprop-matrix'];
    const cp = (plan.script as string[]).find((l) => l.startsWith('cp '))!;
    const [, template, child] = cp.split(/\s+/);
    const mline = (plan.script as string[]).find((l) => l.includes('peerprop matrix'))!;
    expect(mline.endsWith(`>> ${child}`)).toBe(true);
    expect(plan.artifacts.paths).toContain(child);
    expect(trigger.trigger.include).toEqual([{ artifact: child, job: 'peerprop-plan' }]);
    expect(trigger.trigger.strategy).toBe('depend');
    expect(trigger.needs).toContain('peerprop-plan');

    const argv = peerpropArgs(mline, 'matrix');
    expect(option(argv, '--format')).toEqual(['gitlab']);
    const r = await runCli(argv);
    expect(r.code, r.err).toBe(0);
    // the child pipeline as GitLab reads it: the template, then the generated jobs
    const doc = parse((await readFile(new URL(template!, root), 'utf8')) + r.out) as Record<string, Record<string, unknown>>;
    const conform = doc['peerprop-conform']!;
    const merge = doc['peerprop-merge']!;
    const hiddenConform = doc[conform.extends as string] as { stage: string; script: string[]; artifacts: { paths: string[]; when: string } };
    const hiddenMerge = doc[merge.extends as string] as { stage: string; script: string[]; when: string; artifacts: { reports: { junit: string } } };
    expect(hiddenConform).toBeDefined();
    expect(hiddenMerge).toBeDefined();
    expect(doc.stages).toEqual([hiddenConform.stage, hiddenMerge.stage]);
    expect(hiddenConform.artifacts.when).toBe('always');
    expect(hiddenMerge.when).toBe('always');

    const vars = conform.variables as Record<string, string>;
    const set = workSet(vars.PEERPROP_KERNELS!.split(' '), vars.PEERPROP_SCENARIOS!.split(' '));
    expect(set).toEqual(workSet(option(argv, '--kernels'), option(argv, '--scenarios')));
    const shardsValues = (conform.parallel as { matrix: { PEERPROP_SHARD: string[] }[] }).matrix[0]!.PEERPROP_SHARD;
    const cline = hiddenConform.script.find((l) => l.includes('peerprop conform'))!;
    const jobDir = join(work, 'gitlab');
    let jobId = 100;
    for (const shard of shardsValues) {
      const env: Record<string, string> = { ...vars, PEERPROP_SHARD: shard, CI_PIPELINE_ID: '777', CI_JOB_ID: String(++jobId) };
      const line = cline.replace(/\$\{?(\w+)\}?/g, (_, k: string) => env[k] ?? `<unset ${k}>`);
      expect(line).not.toContain('<unset');
      const cargv = peerpropArgs(line, 'conform');
      const out = await runCli(cargv);
      expect(out.code, out.err).toBe(3);
      const file = join(jobDir, redirect(line));
      expect(hiddenConform.artifacts.paths.some((p) => redirect(line).startsWith(p))).toBe(true);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, out.out);
      const d = JSON.parse(out.out) as ShardDocument;
      expect(d.run).toEqual({ id: '777', from: '--run-id' });
    }
    expect(merge.needs).toEqual([{ job: 'peerprop-conform', artifacts: true }]);
    const mergeLine = hiddenMerge.script.find((l) => l.includes('peerprop merge'))!;
    const margv = peerpropArgs(mergeLine, 'merge').map((a, i) => (i === 0 || a.startsWith('--') || ['ktap', 'json', 'text'].includes(a) ? a : join(jobDir, a)));
    const m = await runCli(margv);
    expect(m.code, m.err).toBe(3);
    const outDir = margv[margv.indexOf('--out') + 1]!;
    // the JUnit report GitLab shows is one merge writes
    expect(await readFile(join(jobDir, hiddenMerge.artifacts.reports.junit), 'utf8')).toMatch(/^<\?xml/);
    expect(outDir.startsWith(jobDir)).toBe(true);
  });
});

describe('ci/lava/peerprop-conform.yaml', () => {
  it('a LAVA QEMU job: kernel and initramfs deployed, booted as conform boots them, results from the console', async () => {
    const job = await readYaml('ci/lava/peerprop-conform.yaml');
    expect(job.device_type).toBe('qemu');
    expect(job.actions.map((a: Record<string, unknown>) => Object.keys(a)[0])).toEqual(['deploy', 'boot', 'test']);
    const [{ deploy }, { boot }, { test }] = job.actions;
    expect(deploy.to).toBe('tmpfs');
    expect(boot).toMatchObject({ method: 'qemu', media: 'tmpfs' });
    expect(deploy.images.ramdisk.image_arg).toBe('-initrd {ramdisk}');
    // the same kernel command line as conform's QEMU boot
    const args = qemuArgs({ kernel: 'K', initrd: 'I', accel: 'tcg', captureFile: 'C' });
    const append = args[args.indexOf('-append') + 1]!;
    expect(deploy.images.kernel.image_arg).toBe(`-kernel {kernel} -append "${append}"`);
    // the console first (LAVA reads it), then the capture port the guest's /init opens
    const serial = (job.context.extra_options as string[]).filter((o) => o.startsWith('-serial'));
    expect(serial).toEqual(['-serial mon:stdio', '-serial file:peerprop-capture.txt']);
    expect(test.monitors).toHaveLength(1);
    expect(Object.values(test.monitors[0].fixupdict).sort()).toEqual(['fail', 'pass']);
    const placeholders = [...JSON.stringify(job).matchAll(/@([A-Z_]+)@/g)].map((m) => m[1]).sort();
    expect([...new Set(placeholders)]).toEqual(['INITRAMFS_URL', 'KERNEL_RELEASE', 'KERNEL_URL', 'SCENARIOS']);
  });
});

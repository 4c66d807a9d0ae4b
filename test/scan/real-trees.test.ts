/**
 * Real kernel trees: Debian's linux-source-6.1 (installed and unpacked by scripts/setup.sh in CI)
 * and, when set, PEERPROP_TREE (any tree the developer has, e.g. a 2.6.39 or 3.x checkout).
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliRun } from '../helpers/cli.ts';

const DEBIAN = '/usr/src/linux-source-6.1';
const debianPresent = existsSync(join(DEBIAN, 'net/ipv4/route.c'));
const userTree = process.env.PEERPROP_TREE;

const cli = (...argv: string[]): Promise<CliRun> => runCli(argv);

const LINE = /^(\S+) {2}(pre-genid|seed|pmtu-redirect|fnhe|unknown) {2}(pass|pass\(facts\)|divergence|skipped) {2}(.+)$/;

describe.skipIf(!debianPresent)(`scan ${DEBIAN} (skipped only when linux-source-6.1 is not unpacked; scripts/setup.sh unpacks it)`, () => {
  it('identifies the fnhe era and says in one line that the genid/peer functions are gone', async () => {
    const r = await cli('scan', DEBIAN);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const m = LINE.exec(lines[0]!)!;
    expect(m).not.toBeNull();
    expect(m[1]).toBe(DEBIAN);
    expect(m[2]).toBe('fnhe');
    // Not a differential pass: only the facts of this era were checked, and the label says so.
    expect(m[3]).toBe('pass(facts)');
    expect(m[4]).toMatch(/^genid\/peer functions gone \(routing cache removed in 3\.6; next-hop exceptions carry the duty\)/);
    expect(m[4]).toMatch(/ipv4_dst_check returns NULL on obsolete != DST_OBSOLETE_FORCE_CHK or rt_is_expired/);
  });

  it('SARIF points at the line of ipv4_dst_check that carries the duty', async () => {
    const r = await cli('scan', DEBIAN, '--format', 'sarif');
    const res = JSON.parse(r.out).runs[0].results[0];
    expect(res.level).toBe('note');
    expect(res.properties).toMatchObject({ era: 'fnhe', status: 'pass', checked: 'facts' });
    const { readFileSync } = await import('node:fs');
    const line = readFileSync(join(DEBIAN, 'net/ipv4/route.c'), 'utf8').split('\n')[res.locations[0].physicalLocation.region.startLine - 1];
    expect(line).toMatch(/obsolete != DST_OBSOLETE_FORCE_CHK/);
  });

  it('together with a fixture tree, in the order given, with --jobs 2', async () => {
    const seed = join(process.cwd(), 'kernel-fixtures/trees/fnhe');
    const r = await cli('scan', seed, DEBIAN, '--jobs', '2', '--format', 'json');
    const j = JSON.parse(r.out);
    expect(j.entries.map((e: { target: string }) => e.target)).toEqual([seed, DEBIAN]);
    expect(j.entries.map((e: { verdict: { era: string } }) => e.verdict.era)).toEqual(['fnhe', 'fnhe']);
  });
});

describe.skipIf(!userTree)(`scan PEERPROP_TREE=${userTree ?? '(unset)'}`, () => {
  it('prints one verdict line whose status matches the exit code', async () => {
    const r = await cli('scan', userTree!);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const m = LINE.exec(lines[0]!);
    expect(m).not.toBeNull();
    const status = m![3]!;
    expect(r.code).toBe(status === 'divergence' ? 1 : status === 'skipped' ? 2 : 0);
    if (status === 'skipped') expect(m![4]).toMatch(/^skipped: /);
  });
});

import { describe, expect, it } from 'vitest';
import {
  exitCodeFor,
  formatTextLine,
  renderBisect,
  renderEntries,
  toSarifReport,
  verdictLabel,
} from '../../src/scan/render.ts';
import type { BisectResult, ScanEntry, Verdict } from '../../src/scan/types.ts';

const v = (over: Partial<Verdict>): Verdict => ({ status: 'pass', era: 'seed', checked: 'differential', reason: 'agrees with the seed profile', ...over });
const tree = (target: string, verdict: Verdict): ScanEntry => ({ target, kind: 'tree', verdict });
const rev = (target: string, subject: string, verdict: Verdict): ScanEntry => ({ target, kind: 'revision', short: target.slice(0, 12), subject, verdict });

const pass = tree('trees/seed', v({ location: { file: 'net/ipv4/route.c', line: 384 } }));
const facts = tree('/usr/src/linux', v({ era: 'fnhe', checked: 'facts', reason: 'genid/peer functions gone; facts checked', location: { file: 'net/ipv4/route.c', line: 1259 } }));
const div = rev('a'.repeat(40), 'inet: oops', v({ status: 'divergence', reason: 'check does not re-stamp\nafter bind', location: { file: 'net/ipv4/route.c', line: 391, column: 3 }, details: ['step 1: route_new', 'step 2: check'] }));
const skip = tree('broken', v({ status: 'skipped', era: 'unknown', checked: 'none', reason: 'skipped: net/ipv4/route.c not found' }));

describe('exit codes', () => {
  it('0 when all checked pass (facts-only passes count), 1 on any divergence, 2 when nothing was checked', () => {
    expect(exitCodeFor([pass, facts])).toBe(0);
    expect(exitCodeFor([pass, skip])).toBe(0);
    expect(exitCodeFor([pass, div, skip])).toBe(1);
    expect(exitCodeFor([skip])).toBe(2);
    expect(exitCodeFor([])).toBe(2);
  });
});

describe('text', () => {
  it('prints `<target>  <era>  <verdict>  <reason>` on one line', () => {
    expect(formatTextLine(pass)).toBe('trees/seed  seed  pass  agrees with the seed profile');
    expect(formatTextLine(div)).toBe('aaaaaaaaaaaa  seed  divergence  check does not re-stamp after bind');
    expect(verdictLabel(facts.verdict)).toBe('pass(facts)');
    expect(renderEntries([pass, facts, skip], 'text').split('\n')).toHaveLength(4);
  });
});

describe('KTAP', () => {
  it('has one subtest per tree/revision with skip and failure markers', () => {
    const k = renderEntries([pass, div, skip], 'ktap');
    const lines = k.trimEnd().split('\n');
    expect(lines[0]).toBe('KTAP version 1');
    expect(lines).toContain('1..1');
    expect(lines).toContain('  1..3');
    expect(lines).toContain('  ok 1 trees/seed');
    expect(lines).toContain('  not ok 2 aaaaaaaaaaaa');
    expect(lines).toContain('  ok 3 broken # SKIP skipped: net/ipv4/route.c not found');
    expect(lines).toContain('  # at net/ipv4/route.c:391:3');
    expect(lines.at(-1)).toBe('not ok 1 peerprop-scan');
  });
});

describe('JUnit', () => {
  it('writes a testcase per entry with failure / skipped elements', () => {
    const x = renderEntries([pass, div, skip], 'junit');
    expect(x).toMatch(/<testsuites name="peerprop scan" tests="3" failures="1" errors="0" skipped="1">/);
    expect(x).toMatch(/<testcase classname="peerprop-scan" name="aaaaaaaaaaaa"[^>]*>\s*<failure message="check does not re-stamp after bind">/);
    expect(x).toMatch(/<skipped message="skipped: net\/ipv4\/route.c not found"\/>/);
  });
});

describe('JSON', () => {
  it('carries every entry, the summary and the exit code', () => {
    const j = JSON.parse(renderEntries([pass, div, skip], 'json', { mode: 'trees' }));
    expect(j.summary).toEqual({ total: 3, pass: 1, divergence: 1, skipped: 1 });
    expect(j.exitCode).toBe(1);
    expect(j.mode).toBe('trees');
    expect(j.entries[1].verdict.location).toEqual({ file: 'net/ipv4/route.c', line: 391, column: 3 });
  });
});

describe('SARIF', () => {
  it('locates each verdict in the tree files, with a level per status', () => {
    const s = JSON.parse(toSarifReport([pass, div, skip, facts]));
    expect(s.version).toBe('2.1.0');
    const results = s.runs[0].results;
    expect(results.map((r: { level: string }) => r.level)).toEqual(['note', 'error', 'warning', 'note']);
    expect(results[1].ruleId).toBe('peerprop/scan/divergence');
    expect(results[1].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'net/ipv4/route.c' },
      region: { startLine: 391, startColumn: 3 },
    });
    expect(results[3].locations[0].physicalLocation.region.startLine).toBe(1259);
    expect(results[1].properties.subject).toBe('inet: oops');
    const ids = s.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    for (const r of results) expect(ids[r.ruleIndex]).toBe(r.ruleId);
  });
});

describe('bisect rendering', () => {
  const good = rev('b'.repeat(40), 'base', v({}));
  const result: BisectResult = {
    good: good.target,
    bad: 'c'.repeat(40),
    goodVerdict: good.verdict,
    badVerdict: div.verdict,
    first: div,
    evaluated: [good, div],
    candidates: 7,
  };
  it('prints the first differing commit with its subject', () => {
    const t = renderBisect(result, 'text');
    expect(t).toContain(`${'a'.repeat(40)} is the first revision whose verdict differs: inet: oops`);
    expect(t).toContain('good   bbbbbbbbbbbb  seed  pass');
    expect(t).toContain('7 first-parent revisions, 2 evaluated');
  });
  it('JSON and the other formats', () => {
    expect(JSON.parse(renderBisect(result, 'json')).first.target).toBe('a'.repeat(40));
    expect(renderBisect({ ...result, first: undefined, note: 'same verdict' }, 'text')).toContain('no differing revision: same verdict');
    expect(renderBisect(result, 'ktap')).toContain('  1..2');
  });
});

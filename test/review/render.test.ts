import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { reviewPatch, renderText, renderJson, renderSarif, findingLine } from '../../src/review/index.ts';
import { seedPatch, tree, routeC, lineOf } from './helpers.ts';

/** The official SARIF 2.1.0 (rtm.5) JSON schema, as shipped by Microsoft's @microsoft/jest-sarif. */
const require = createRequire(import.meta.url);
// CommonJS modules that also export themselves as `default`: works under tsc (NodeNext) and vitest.
const Ajv = ajvDraft04.default;
const addFormats = ajvFormats.default;
const schemaPath = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
// The schema's language-tag pattern is not valid under the u flag: compile patterns without it.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validateSarif = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

describe('text report', async () => {
  const hunksOnly = await reviewPatch({ patch: seedPatch });
  const withTree = await reviewPatch({ patch: seedPatch, tree: tree('pre-seed') });

  it('has the metadata, the damage, the hunks, the facts and the statements', () => {
    const t = renderText(hunksOnly);
    expect(t).toMatch(/^peerprop review: .*route-genid\.patch \(diff; facts from the hunks alone \(partial\)\)/);
    expect(t).toContain('commit inet: Create a mechanism for upward inetpeer propagation into routes.');
    expect(t).toContain('Signed-off-by: David S. Miller <davem@davemloft.net>');
    expect(t).toMatch(/route-genid\.patch:84: repaired: hunk 3 of net\/ipv4\/route\.c/);
    expect(t).toMatch(/hunk 3 @@ -1767,7 \+1776,15 @@ \(header said -1767,8 \+1776,16\) \(patch line 68\)/);
    expect(t).toMatch(/rt_bind_peer \(modified; pre 1311-1319 -> post 1318-1328\)/);
    expect(t).toMatch(/stamps: 0 -> 1\n\s+\+ rt->rt_peer_genid = rt_peer_genid\(\) {2}if !\(peer && cmpxchg\(&rt->peer, NULL, peer\) != NULL\) {2}\(line 1327\)/);
    expect(t).toContain('not established (partial review):');
    expect(t).toMatch(/total: 0 error\(s\), 1 warning\(s\), \d+ info\n$/);
  });

  it('prints checkpatch-like FILE:LINE: LEVEL: message lines', () => {
    const t = renderText(withTree);
    const stampLine = lineOf(readFileSync(routeC('seed'), 'utf8'), 'rt->rt_peer_genid = rt_peer_genid();');
    expect(t).toContain(`net/ipv4/route.c:${stampLine}: INFO: rt_bind_peer now stamps rt_peer_genid`);
    expect(t).toMatch(/route-genid\.patch:84: WARNING: hunk 3 of net\/ipv4\/route\.c .* \[patch\/missing-trailing-context\]/);
    expect(t).toMatch(/hunk 1 @@ -1308,6 \+1308,13 @@ \(patch line 45\): applied at line 196 \(offset -1112 lines\)/);
    expect(t).toMatch(/stage: pre-genid -> seed/);
    for (const f of withTree.findings) expect(findingLine(f)).toMatch(/^\S+:\d+(:\d+)?: (ERROR|WARNING|INFO): /);
  });
});

describe('JSON report', async () => {
  const r = await reviewPatch({ patch: seedPatch, tree: tree('pre-seed') });
  it('round-trips the report for scripts', () => {
    const j = JSON.parse(renderJson(r)) as typeof r;
    expect(j).toEqual(JSON.parse(JSON.stringify(r)));
    expect(j.functions.map((f) => f.name)).toEqual(['rt_peer_genid', 'rt_bind_peer', 'ipv4_dst_check']);
    expect(j.functions[1]!.post!.stamps[0]!.condition).toBe('!(peer && cmpxchg(&rt->peer, NULL, peer) != NULL)');
    expect(j.exitCode).toBe(0);
  });
});

describe('SARIF report', async () => {
  const withTree = await reviewPatch({ patch: seedPatch, tree: tree('pre-seed') });
  const hunksOnly = await reviewPatch({ patch: seedPatch });

  for (const [name, r] of [['--tree', withTree], ['hunks only', hunksOnly]] as const) {
    it(`validates against the official SARIF 2.1.0 schema (${name})`, () => {
      const doc = JSON.parse(renderSarif(r)) as object;
      const ok = validateSarif(doc);
      expect(validateSarif.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });
  }

  it('the validator is not vacuous: a wrong level is rejected', () => {
    const doc = JSON.parse(renderSarif(withTree)) as { runs: { results: { level: string }[] }[] };
    doc.runs[0]!.results[0]!.level = 'info';
    expect(validateSarif(doc)).toBe(false);
  });

  it('locates code findings on post-image lines of net/ipv4/route.c and damage on patch lines', () => {
    const doc = JSON.parse(renderSarif(withTree)) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[]; properties?: { patchLine?: number } }[] }[];
    };
    expect(doc.version).toBe('2.1.0');
    const results = doc.runs[0]!.results;
    const stampLine = lineOf(readFileSync(routeC('seed'), 'utf8'), 'rt->rt_peer_genid = rt_peer_genid();');
    const stamp = results.find((x) => x.ruleId === 'protocol-change' && x.locations[0]!.physicalLocation.region.startLine === stampLine)!;
    expect(stamp.locations[0]!.physicalLocation.artifactLocation.uri).toBe('net/ipv4/route.c');
    expect(stamp.level).toBe('note');
    expect(stamp.properties?.patchLine).toBe(64);
    const damage = results.find((x) => x.ruleId === 'patch/missing-trailing-context')!;
    expect(damage.level).toBe('warning');
    expect(damage.locations[0]!.physicalLocation.artifactLocation.uri).toBe(seedPatch);
    expect(damage.locations[0]!.physicalLocation.region.startLine).toBe(84);
    const ruleIds = doc.runs[0]!.tool.driver.rules.map((x) => x.id);
    for (const res of results) expect(ruleIds).toContain(res.ruleId);
  });
});

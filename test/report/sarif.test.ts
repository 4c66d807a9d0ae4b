import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { toSarif } from '../../src/report/sarif.ts';

/** The official SARIF 2.1.0 (rtm.5) JSON schema, as shipped by Microsoft's @microsoft/jest-sarif. */
const require = createRequire(import.meta.url);
const ajv = new ajvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
ajvFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object);

describe('SARIF writer', () => {
  it('valid SARIF 2.1.0 with rules, locations and a fingerprint per result', () => {
    const log = toSarif(
      '1.2.3',
      [{ id: 'genid-ordered-compare', name: 'GenidOrderedCompare', shortDescription: 'genids compared with < or >', defaultLevel: 'error' }],
      [
        { ruleId: 'genid-ordered-compare', level: 'error', message: 'compares with <', uri: 'net/ipv4/route.c', startLine: 388, startColumn: 6 },
        { ruleId: 'genid-ordered-compare', level: 'error', message: 'again', uri: 'net/ipv4/route.c', startLine: 400 },
      ],
    ) as { runs: { tool: { driver: { version: string; rules: { id: string }[] } }; results: { partialFingerprints?: Record<string, string> }[] }[] };
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.runs[0]!.tool.driver.version).toBe('1.2.3');
    expect(log.runs[0]!.tool.driver.rules.map((x) => x.id)).toEqual(['genid-ordered-compare']);
    const prints = log.runs[0]!.results.map((x) => JSON.stringify(x.partialFingerprints));
    expect(new Set(prints).size).toBe(2);
  });
});

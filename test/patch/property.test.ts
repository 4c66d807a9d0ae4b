import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPatch, structuredPatch, applyPatch, parsePatch, FILE_HEADERS_ONLY } from 'diff';
import { readPatch, applyFilePatch, allFilePatches } from '../../src/patch/index.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { asQuotedPrintableMail, preSeedTree, seedFormatPatch, seedSeries, seedText } from './fixtures.ts';

const lineCount = (text: string) => {
  const n = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  return Math.max(1, n);
};

type Corruption =
  | { kind: 'flip'; at: number; ch: string }
  | { kind: 'delete-line'; at: number }
  | { kind: 'dup-line'; at: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'crlf'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'trim'; at: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const nasty = fc.constantFrom('\0', '\r', '\n', '@', '+', '-', ' ', '\t', '\\', '0', '9', ',', 'x', '\x01', 'é', '"', '/', '.');
const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, ch: nasty }),
  fc.record({ kind: fc.constant('delete-line' as const), at: position }),
  fc.record({ kind: fc.constant('dup-line' as const), at: position }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('crlf' as const), at: position }),
  fc.record({ kind: fc.constant('trim' as const), at: position }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    text: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('@@ -1,2 +1,2 @@\n', '\n', '+\n', '-\n', ' \n', 'diff --git a/x b/x\n', '--- a/x\n+++ b/x\n', '-- \n2.1\n', '\\ No newline at end of file\n', 'From 1234 Mon Sep 17 00:00:00 2001\n', 'Subject: =?UTF-8?q?x?=\n'),
    ),
  }),
);

function corrupt(text: string, c: Corruption): string {
  const lines = text.split('\n');
  const li = Math.floor(c.at * lines.length);
  const ci = Math.floor(c.at * text.length);
  switch (c.kind) {
    case 'flip':
      return text.slice(0, ci) + c.ch + text.slice(ci + 1);
    case 'delete-line':
      return lines.filter((_, i) => i !== li).join('\n');
    case 'dup-line':
      return [...lines.slice(0, li + 1), lines[li]!, ...lines.slice(li + 1)].join('\n');
    case 'truncate':
      return text.slice(0, ci);
    case 'crlf':
      return lines.map((l, i) => (i >= li ? l + '\r' : l)).join('\n');
    case 'trim':
      return lines.map((l, i) => (i === li ? l.trimEnd() : l)).join('\n');
    case 'insert':
      return text.slice(0, ci) + c.text + text.slice(ci);
  }
}

describe('random corruptions of the seed', () => {
  const route = readFileSync(join(preSeedTree, 'net/ipv4/route.c'), 'utf8');
  // The seed as given, as a format-patch mail, as a 2-commit mbox, and quoted-printable encoded.
  const bases = [seedText, seedFormatPatch(), seedSeries(), asQuotedPrintableMail(seedFormatPatch(), 40)];

  it('readPatch (and apply) throw nothing but one-line PeerpropErrors located inside the file', () => {
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.array(corruption, { minLength: 1, maxLength: 4 }), (base, cs) => {
        const text = cs.reduce(corrupt, base);
        const lines = lineCount(text);
        let set: ReturnType<typeof readPatch>;
        try {
          set = readPatch(text, 'fuzzed.patch');
        } catch (e) {
          expect(e).toBeInstanceOf(PeerpropError);
          const pe = e as PeerpropError;
          expect(pe.exitCode).toBe(2);
          expect(pe.location?.file).toBe('fuzzed.patch');
          expect(pe.location?.line).toBeGreaterThanOrEqual(1);
          expect(pe.location?.line).toBeLessThanOrEqual(lines);
          expect(pe.oneLine()).not.toMatch(/\n/);
          return;
        }
        for (const d of set.diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.line).toBeLessThanOrEqual(lines);
        }
        for (const f of allFilePatches(set)) {
          for (const h of f.hunks) for (const l of h.lines) expect(l.patchLine).toBeLessThanOrEqual(lines);
          try {
            applyFilePatch(f, route, { source: 'fuzzed.patch', fuzz: 2 });
          } catch (e) {
            expect(e).toBeInstanceOf(PeerpropError);
            const line = (e as PeerpropError).location?.line ?? 0;
            expect(line).toBeGreaterThanOrEqual(1);
            expect(line).toBeLessThanOrEqual(lines);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/** Kernel-style lines (written here), with repeats so that context is often ambiguous. */
const POOL = [
  '',
  '}',
  '{',
  '\treturn 0;',
  '\treturn NULL;',
  '\tint err;',
  '\tstruct rtable *rt;',
  '\tif (!rt)',
  '\t\treturn -ENOMEM;',
  '\tspin_lock_bh(&lock);',
  '\tspin_unlock_bh(&lock);',
  '\trt->rt_peer_genid = gen;',
  'static int frob(struct rtable *rt)',
  'static void frob_put(struct rtable *rt)',
  '/* comment */',
  '\t\tatomic_inc(&gen);',
];

const cFile = fc.record({
  lines: fc.array(fc.constantFrom(...POOL), { minLength: 0, maxLength: 40 }),
  finalNewline: fc.boolean(),
});
type Edit = { at: number; del: number; ins: string[] };
const edit: fc.Arbitrary<Edit> = fc.record({
  at: position,
  del: fc.integer({ min: 0, max: 3 }),
  ins: fc.array(fc.constantFrom(...POOL, '\tnew_call();', '\tif (x) {', '\t}'), { maxLength: 4 }),
});

const render = (lines: string[], nl: boolean) => (lines.length === 0 ? '' : lines.join('\n') + (nl ? '\n' : ''));

describe('structuredPatch round trip', () => {
  it('readPatch + applyFilePatch reproduce the edited file exactly (and agree with jsdiff applyPatch)', () => {
    fc.assert(
      fc.property(cFile, fc.array(edit, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.integer({ min: 0, max: 5 }), (file, edits, newNl, context) => {
        const oldLines = [...file.lines];
        let newLines = [...file.lines];
        for (const e of edits) {
          const at = Math.floor(e.at * (newLines.length + 1));
          newLines = [...newLines.slice(0, at), ...e.ins, ...newLines.slice(at + e.del)];
        }
        const oldText = render(oldLines, file.finalNewline);
        const newText = render(newLines, newNl);
        fc.pre(oldText !== newText);
        const diff = formatPatch(structuredPatch('a/net/ipv4/x.c', 'b/net/ipv4/x.c', oldText, newText, undefined, undefined, { context }), FILE_HEADERS_ONLY);
        const set = readPatch(diff, 'gen.patch');
        expect(set.diagnostics.filter((d) => d.severity !== 'warning')).toEqual([]);
        const files = allFilePatches(set);
        expect(files).toHaveLength(1);
        // Same hunks as jsdiff's own parser reads from its own output (jsdiff moves the start of
        // an empty range one line down; the header, and we, keep the line before it).
        const theirs = parsePatch(diff)[0]!.hunks;
        expect(files[0]!.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.lines.map((l) => l.kind + l.text)])).toEqual(
          theirs.map((h) => [
            h.oldLines === 0 ? h.oldStart - 1 : h.oldStart,
            h.oldLines,
            h.newLines === 0 ? h.newStart - 1 : h.newStart,
            h.newLines,
            h.lines.filter((l) => !l.startsWith('\\')),
          ]),
        );
        const applied = applyFilePatch(files[0]!, oldText, { source: 'gen.patch' });
        expect(applied.postImage).toBe(newText);
        expect(applied.hunks.every((h) => h.offset === 0 && h.fuzz === 0)).toBe(true);
        expect(applyPatch(oldText, diff)).toBe(newText);
      }),
      { numRuns: 1500 },
    );
  });

  it('still applies (at the right offset) after unrelated lines are added above', () => {
    // Unique lines, so that the context has exactly one place: the offset must be the padding.
    const uniqueFile = fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 40 }).map((ns) => ns.map((n) => `\tstep_${n}(rt);`));
    fc.assert(
      fc.property(uniqueFile, edit, fc.integer({ min: 1, max: 30 }), (lines, e, pad) => {
        const oldText = render(lines, true);
        const at = Math.floor(e.at * (lines.length + 1));
        const newText = render([...lines.slice(0, at), ...e.ins, ...lines.slice(at + e.del)], true);
        fc.pre(oldText !== newText && newText !== '');
        const diff = formatPatch(structuredPatch('a/x.c', 'b/x.c', oldText, newText, undefined, undefined, { context: 3 }), FILE_HEADERS_ONLY);
        const f = allFilePatches(readPatch(diff, 'gen.patch'))[0]!;
        const header = Array.from({ length: pad }, (_, i) => `#include <linux/pad${i}.h>`).join('\n') + '\n';
        const applied = applyFilePatch(f, header + oldText);
        expect(applied.postImage).toBe(header + newText);
        expect(applied.hunks.map((h) => h.offset)).toEqual(f.hunks.map(() => pad));
      }),
      { numRuns: 500 },
    );
  });
});

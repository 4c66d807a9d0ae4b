import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { readPatch, readPatchFile, allFilePatches, requireDiff, applyToTree } from '../../src/patch/index.ts';
import { decodeEncodedWords, cleanSubject, parseTrailers } from '../../src/patch/headers.ts';
import { PeerpropError } from '../../src/core/errors.ts';
import { healedSeed, preSeedTree, seedFormatPatch, seedSeries, seedText, splitSeed, formatPatchMessage, asQuotedPrintableMail } from './fixtures.ts';

describe('git format-patch rendering of the seed', () => {
  it('reads From_/From:/Date:/Subject: (folded), [PATCH n/m], body, diffstat, diff and signature', () => {
    const text = seedFormatPatch({ n: 1, m: 1, fold: true });
    const set = readPatch(text, 'seed.mbox');
    expect(set.form).toBe('format-patch');
    expect(set.diagnostics).toEqual([]);
    const c = set.commits[0]!;
    expect(c.subject).toBe('inet: Create a mechanism for upward inetpeer propagation into routes.');
    expect([c.seriesIndex, c.seriesTotal]).toEqual([1, 1]);
    expect(c.author).toBe('"David S. Miller" <davem@davemloft.net>');
    expect(c.authorSource).toBe('header');
    expect(c.date).toBe('Mon, 7 Feb 2011 23:37:52 -0800');
    expect(c.signedOffBy).toEqual(['David S. Miller <davem@davemloft.net>']);
    expect(c.message).not.toContain('files changed');
    expect(c.message.split('\n')[0]).toBe("If we didn't have a routing cache, we would not be able to properly");
    expect(c.subjectLine).toBe(4);
    const f = allFilePatches(set);
    expect(f).toHaveLength(1);
    expect(f[0]!.hunks.map((h) => h.oldLines)).toEqual([6, 6, 8]);
  });

  it('reads the damaged seed inside a format-patch mail: the "-- " signature is not taken for a hunk line', () => {
    const { subject, body, diff } = splitSeed(seedText);
    const text = formatPatchMessage(subject, body, diff, {});
    const set = readPatch(text, 'damaged.mbox');
    expect(set.diagnostics.map((d) => [d.severity, d.code])).toEqual([['repaired', 'missing-trailing-context']]);
    const lines = text.split('\n');
    expect(lines[set.diagnostics[0]!.line - 1]).toBe(' }');
  });

  it('refuses a cut mail whose diffstat shows that a whole hunk was lost, not just context', () => {
    const lines = seedFormatPatch({ signature: false }).split('\n');
    const hunk3 = lines.indexOf('@@ -1767,8 +1776,16 @@');
    // Cut just before hunk 3's header, minus the last context line of hunk 2: alone, that looks
    // like hunk 2 lost its trailing context (and the plain seed cut the same way is repaired).
    const text = lines.slice(0, hunk3 - 1).join('\n') + '\n';
    let err: PeerpropError | undefined;
    try {
      readPatch(text, 'cut.mbox');
    } catch (e) {
      err = e as PeerpropError;
    }
    expect(err).toBeInstanceOf(PeerpropError);
    expect(err!.location?.line).toBe(hunk3 - 1);
    expect(err!.message).toContain('announces 1 file(s), 18 insertion(s), 1 deletion(s) but the diff has 1 file(s), 9 insertion(s)');
    const plain = seedText.split('\n').slice(0, 66).join('\n') + '\n';
    expect(readPatch(plain, 'cut.patch').diagnostics.map((d) => [d.code, d.line])).toEqual([['missing-trailing-context', 66]]);
  });

  it('refuses a mail cut after a complete hunk (diffstat disagrees, no "-- " signature)', () => {
    const lines = seedFormatPatch({ signature: false }).split('\n');
    const hunk2 = lines.indexOf('@@ -1316,6 +1323,8 @@');
    const text = lines.slice(0, hunk2).join('\n') + '\n';
    expect(() => readPatch(text, 'cut.mbox')).toThrow(/the patch was cut at line \d+ \(it has no '-- ' signature\)/);
    // With the signature, the same mismatch is a hand-edited mail: a warning only.
    const edited = readPatch(text + '-- \n1.7.4.1\n', 'edited.mbox');
    expect(edited.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'diffstat-mismatch']]);
  });

  it('reads a two-commit mbox series in order, with trailers', () => {
    const set = readPatch(seedSeries(), 'series.mbox');
    expect(set.form).toBe('mbox');
    expect(set.diagnostics).toEqual([]);
    expect(set.commits.map((c) => [c.seriesIndex, c.seriesTotal, c.subject])).toEqual([
      [1, 2, 'inet: Add a generation ID for inetpeer propagation into routes.'],
      [2, 2, 'ipv4: Propagate inetpeer changes in ipv4_dst_check.'],
    ]);
    expect(set.commits[1]!.trailers).toEqual([{ key: 'Reviewed-by', value: 'Eric Dumazet <eric.dumazet@gmail.com>' }]);
    expect(set.commits[1]!.startLine).toBeGreaterThan(set.commits[0]!.startLine);
    expect(set.commits.map((c) => c.files[0]!.hunks.length)).toEqual([2, 1]);
  });

  it('reports a series that lost a patch or a diff', () => {
    const series = seedSeries();
    const second = series.indexOf('From 2222');
    const onlyFirst = readPatch(series.slice(0, second) + series.slice(second).replace(/^diff --git[^]*?(?=-- \n)/m, ''), 's');
    expect(onlyFirst.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'commit-without-diff']]);
    const twoOfThree = readPatch(series.replace(/\/2\]/g, '/3]'), 's');
    expect(twoOfThree.diagnostics.map((d) => d.message)).toEqual(['the series announces 3 patches but patch 3 of 3 is not in this file']);
  });

  it('reads a series from standard input', async () => {
    const set = await readPatchFile('-', { stdin: Readable.from([Buffer.from(seedSeries())]) });
    expect(set.source).toBe('<stdin>');
    expect(set.commits).toHaveLength(2);
  });

  it('applies the series to the pre-seed tree with the same result as the single patch', async () => {
    const series = await applyToTree(readPatch(seedSeries(), 's'), preSeedTree);
    const single = await applyToTree(readPatch(healedSeed, 'h'), preSeedTree);
    expect(series).toHaveLength(2);
    expect(series[1]!.postImage).toBe(single[0]!.postImage);
    expect(series[1]!.preImage).toBe(series[0]!.postImage);
  });

  it('reads `git show` output (indented message, Author: header)', () => {
    const { subject, body, diff } = splitSeed(healedSeed);
    const indented = [subject, '', ...body.split('\n')].map((l) => (l ? `    ${l}` : '')).join('\n');
    const text = `commit 2c8cec5c10bced2408082a6656170e74ac17231d\nAuthor: David S. Miller <davem@davemloft.net>\nDate:   Tue Feb 8 20:18:00 2011 -0800\n\n${indented}\n\n${diff}`;
    const set = readPatch(text, 'show.txt');
    const c = set.commits[0]!;
    expect(c.subject).toBe('inet: Create a mechanism for upward inetpeer propagation into routes.');
    expect(c.authorSource).toBe('git-log');
    expect(c.author).toBe('David S. Miller <davem@davemloft.net>');
    expect(c.signedOffBy).toHaveLength(1);
    expect(allFilePatches(set)[0]!.hunks).toHaveLength(3);
  });

  it('reads a plain unified diff with no message', () => {
    const { diff } = splitSeed(healedSeed);
    const set = readPatch(diff, 'plain.diff');
    expect(set.form).toBe('diff');
    expect(set.commits[0]!.subject).toBe('');
    expect(set.commits[0]!.author).toBeUndefined();
    expect(allFilePatches(set)[0]!.hunks).toHaveLength(3);
  });

  it('reads quoted git paths (spaces, octal escapes)', () => {
    const text = 'diff --git "a/doc/my notes.txt" "b/doc/my notes.txt"\n--- "a/doc/my notes.txt"\n+++ "b/doc/my notes.txt"\n@@ -1 +1 @@\n-a\n+b\n' +
      'diff --git "a/caf\\303\\251.c" "b/caf\\303\\251.c"\n--- "a/caf\\303\\251.c"\n+++ "b/caf\\303\\251.c"\n@@ -1 +1 @@\n-a\n+b\n';
    expect(allFilePatches(readPatch(text, 'p')).map((f) => f.newPath)).toEqual(['doc/my notes.txt', 'café.c']);
  });

  it('reads non-git diffs (-p1 with differing top directories, timestamps)', () => {
    const text =
      '--- linux-2.6.38.orig/net/ipv4/route.c\t2011-02-08 20:00:00.000000000 -0800\n' +
      '+++ linux-2.6.38/net/ipv4/route.c\t2011-02-08 20:10:00.000000000 -0800\n' +
      '@@ -1,2 +1,3 @@\n a\n+b\n c\n';
    const f = allFilePatches(readPatch(text, 'p'))[0]!;
    expect([f.oldPath, f.newPath]).toEqual(['net/ipv4/route.c', 'net/ipv4/route.c']);
  });
});

describe('mail bodies in a transfer encoding', () => {
  const plain = (() => {
    const { subject, body, diff } = splitSeed(seedText);
    return formatPatchMessage(subject, body.replace('pre-COW', 'pré-COW'), diff, {});
  })();

  it('quoted-printable (with soft line breaks) is decoded; locations point at the encoded lines', () => {
    const qp = asQuotedPrintableMail(plain, 40); // narrow, so that diff lines get soft breaks
    const raw = qp.split('\n');
    expect(raw.some((l) => l.endsWith('=') && l.startsWith(' static struct dst_entry'))).toBe(true);
    const a = readPatch(plain, 'plain.mbox');
    const b = readPatch(qp, 'qp.mbox');
    const strip = (set: typeof a) => allFilePatches(set).map((f) => f.hunks.map((h) => h.lines.map((l) => l.kind + l.text)));
    expect(strip(b)).toEqual(strip(a));
    expect(b.commits[0]!.message).toContain('pré-COW');
    expect(b.diagnostics.map((d) => [d.severity, d.code])).toEqual([
      ['repaired', 'transfer-encoding'],
      ['repaired', 'missing-trailing-context'],
    ]);
    // Every hunk line's patch line is the encoded line it starts on.
    for (const l of allFilePatches(b)[0]!.hunks.flatMap((h) => h.lines)) {
      const encoded = raw[l.patchLine - 1]!;
      expect(l.kind + l.text).toContain(encoded.replace(/=$/, '').replace(/=3D/g, '=').replace(/=20$/, ' ').slice(0, 20));
    }
    expect(raw[b.diagnostics[1]!.line - 1]).toBe(' }');
  });

  it('base64 is decoded too', () => {
    const split = plain.indexOf('\n\n');
    const b64 = Buffer.from(plain.slice(split + 2)).toString('base64').replace(/.{76}/g, '$&\n');
    const mail = plain.slice(0, split) + '\nContent-Transfer-Encoding: base64\n\n' + b64 + '\n';
    const set = readPatch(mail, 'b64.mbox');
    expect(allFilePatches(set)[0]!.hunks).toHaveLength(3);
    expect(set.diagnostics.map((d) => d.code)).toEqual(['transfer-encoding', 'missing-trailing-context']);
    const lines = mail.split('\n').length;
    for (const d of set.diagnostics) expect(d.line).toBeLessThanOrEqual(lines);
  });
});

describe('a commit message with no diff', () => {
  const message = seedText.split('\n').slice(0, 40).join('\n') + '\n';

  it('is readable for metadata (form message-only) with an error diagnostic naming its last line', () => {
    const set = readPatch(message, 'msg.txt');
    expect(set.form).toBe('message-only');
    expect(set.commits[0]!.subject).toBe('inet: Create a mechanism for upward inetpeer propagation into routes.');
    expect(set.commits[0]!.signedOffBy).toHaveLength(1);
    expect(set.diagnostics).toHaveLength(1);
    expect(set.diagnostics[0]).toMatchObject({ severity: 'error', code: 'no-diff', line: 40 });
  });

  it('is refused for review with exit 2 and a one-line message naming the line', () => {
    const set = readPatch(message, 'msg.txt');
    let err: unknown;
    try {
      requireDiff(set);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PeerpropError);
    const pe = err as PeerpropError;
    expect(pe.exitCode).toBe(2);
    expect(pe.location).toMatchObject({ file: 'msg.txt', line: 40 });
    expect(pe.oneLine()).toMatch(/^msg\.txt:40:1: no diff/);
    expect(pe.oneLine()).not.toContain('\n');
  });

  it('a format-patch mail whose diff was stripped is message-only too', () => {
    const { subject, body } = splitSeed(healedSeed);
    const set = readPatch(formatPatchMessage(subject, body, '', { signature: false }), 'm');
    expect(set.form).toBe('message-only');
    expect(set.commits[0]!.author).toContain('davem@davemloft.net');
  });
});

describe('mail header details', () => {
  it('decodes RFC 2047 encoded words, joining adjacent ones', () => {
    expect(decodeEncodedWords('=?UTF-8?q?Hannes_Frederic_Sowa?= <h@s.org>')).toBe('Hannes Frederic Sowa <h@s.org>');
    expect(decodeEncodedWords('=?UTF-8?q?[PATCH]=20ipv4:=20caf=C3=A9?= =?UTF-8?q?_route?=')).toBe('[PATCH] ipv4: café route');
    expect(decodeEncodedWords('=?iso-8859-1?Q?J=F6rg?= M')).toBe('Jörg M');
    expect(decodeEncodedWords('=?utf-8?b?SsO2cmc=?=')).toBe('Jörg');
  });

  it('reads encoded and folded headers of a real-looking mail', () => {
    const { body, diff } = splitSeed(healedSeed);
    const text = formatPatchMessage('x', body, diff, {})
      .replace('From: "David S. Miller" <davem@davemloft.net>', 'From: =?UTF-8?q?J=C3=B6rg=20Tester?= <jt@example.org>')
      .replace('Subject: [PATCH] x', 'Subject: [PATCH net-next v2 3/7] =?UTF-8?q?inet:=20caf=C3=A9?=\n\t=?UTF-8?q?_propagation?=');
    const c = readPatch(text, 'm').commits[0]!;
    expect(c.author).toBe('Jörg Tester <jt@example.org>');
    expect(c.subject).toBe('inet: café propagation');
    expect([c.seriesIndex, c.seriesTotal]).toEqual([3, 7]);
  });

  it('takes the in-body From: as the author (git am)', () => {
    const { subject, body, diff } = splitSeed(healedSeed);
    const text = formatPatchMessage(subject, `From: Eric Dumazet <eric.dumazet@gmail.com>\n\n${body}`, diff, {});
    const c = readPatch(text, 'm').commits[0]!;
    expect(c.author).toBe('Eric Dumazet <eric.dumazet@gmail.com>');
    expect(c.authorSource).toBe('in-body');
  });

  it('strips Re:, list tags and [PATCH] tags from subjects', () => {
    expect(cleanSubject('Re: [PATCH 2/3] net: foo')).toEqual({ subject: 'net: foo', seriesIndex: 2, seriesTotal: 3 });
    expect(cleanSubject('[netdev] [RFC PATCH v3 10/12] ipv4: bar')).toEqual({ subject: 'ipv4: bar', seriesIndex: 10, seriesTotal: 12 });
    expect(cleanSubject('[PATCH] tcp: baz').subject).toBe('tcp: baz');
  });

  it('reads trailers only from the last paragraph, as git does', () => {
    const t = parseTrailers(['Fixes: the frob.', '', 'Some text', '', 'Fixes: 2c8cec5c10bc ("inet: Create a mechanism")', 'Acked-by: A <a@x>', 'Signed-off-by: B <b@x>', 'Signed-off-by: C <c@x>']);
    expect(t.signedOffBy).toEqual(['B <b@x>', 'C <c@x>']);
    expect(t.trailers.map((x) => x.key)).toEqual(['Fixes', 'Acked-by']);
    expect(parseTrailers(['Just words here.', 'Note: not a trailer']).signedOffBy).toEqual([]);
  });
});

/** Real `git format-patch` output, when git is installed (it is in CI: the checkout needs it). */
function hasGit(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.runIf(hasGit())('real git format-patch output', () => {
  it('reads a two-commit series produced by git and applies it to the pre-seed tree like git did', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peerprop-git-'));
    try {
      const env = {
        ...process.env,
        GIT_AUTHOR_NAME: 'David S. Miller',
        GIT_AUTHOR_EMAIL: 'davem@davemloft.net',
        GIT_COMMITTER_NAME: 'David S. Miller',
        GIT_COMMITTER_EMAIL: 'davem@davemloft.net',
        GIT_AUTHOR_DATE: '2011-02-08T20:18:00-0800',
        GIT_COMMITTER_DATE: '2011-02-08T20:18:00-0800',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: dir,
      };
      const git = (...args: string[]) => execFileSync('git', ['-C', join(dir, 'repo'), ...args], { env, encoding: 'utf8' });
      mkdirSync(join(dir, 'repo/net/ipv4'), { recursive: true });
      copyFileSync(join(preSeedTree, 'net/ipv4/route.c'), join(dir, 'repo/net/ipv4/route.c'));
      git('init', '-q');
      git('add', '.');
      git('commit', '-q', '-m', 'base');
      writeFileSync(join(dir, 'healed.patch'), healedSeed);
      git('apply', join(dir, 'healed.patch'));
      const { subject, body } = splitSeed(healedSeed);
      git('commit', '-q', '-a', '-m', `${subject}\n\n${body}`);
      const route = join(dir, 'repo/net/ipv4/route.c');
      const after = execFileSync('cat', [route], { encoding: 'utf8' });
      writeFileSync(route, after.replace('static u32 rt_peer_genid(void)', '/* The current generation. */\nstatic u32 rt_peer_genid(void)'));
      git('commit', '-q', '-a', '-m', 'inet: Document rt_peer_genid()\n\nSigned-off-by: Eric Dumazet <eric.dumazet@gmail.com>');
      const mbox = git('format-patch', '-2', '--stdout');
      const set = readPatch(mbox, 'git.mbox');
      expect(set.form).toBe('mbox');
      expect(set.diagnostics).toEqual([]);
      expect(set.commits.map((c) => [c.seriesIndex, c.seriesTotal, c.subject])).toEqual([
        [1, 2, 'inet: Create a mechanism for upward inetpeer propagation into routes.'],
        [2, 2, 'inet: Document rt_peer_genid()'],
      ]);
      expect(set.commits[0]!.author).toBe('"David S. Miller" <davem@davemloft.net>');
      expect(set.commits[1]!.signedOffBy).toEqual(['Eric Dumazet <eric.dumazet@gmail.com>']);
      requireDiff(set);
      const applied = await applyToTree(set, preSeedTree);
      expect(applied[applied.length - 1]!.postImage).toBe(execFileSync('cat', [route], { encoding: 'utf8' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

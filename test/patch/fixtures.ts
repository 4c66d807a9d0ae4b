/** Shared inputs of the patch tests: the real seed file and renderings built from it. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const seedPath = resolve(repoRoot, 'kernel-fixtures/route-genid.patch');
export const seedText = readFileSync(seedPath, 'utf8');
export const preSeedTree = resolve(repoRoot, 'kernel-fixtures/trees/pre-seed');
export const seedTree = resolve(repoRoot, 'kernel-fixtures/trees/seed');

export const seedLines = seedText.split('\n');
/** Seed line numbers (1-based) of its landmarks. */
export const SEED = { signOff: 40, diff: 41, hunk1: 45, hunk2: 59, hunk3: 68, last: 84 } as const;

/** The seed with its lost last context line (a blank ' ' line) and final newline restored. */
export const healedSeed = seedText + '\n \n';

/** The commit message part (subject, blank, body with sign-off) and the diff part of a seed text. */
export function splitSeed(text: string): { subject: string; body: string; diff: string } {
  const lines = text.split('\n');
  const diffAt = lines.findIndex((l) => l.startsWith('diff --git '));
  return { subject: lines[0]!, body: lines.slice(2, diffAt).join('\n'), diff: lines.slice(diffAt).join('\n') };
}

export interface MailOptions {
  sha?: string;
  n?: number;
  m?: number;
  subject?: string;
  /** Fold the Subject header as git send-email does for long subjects. */
  fold?: boolean;
  diffstat?: string;
  signature?: boolean;
}

/** One `git format-patch` message around a commit message and a diff. */
export function formatPatchMessage(subject: string, body: string, diff: string, o: MailOptions = {}): string {
  const tag = o.n !== undefined ? `[PATCH ${o.n}/${o.m}]` : '[PATCH]';
  const subj = `${tag} ${subject}`;
  let subjectHeader = `Subject: ${subj}`;
  if (o.fold) {
    const cut = subj.lastIndexOf(' ', 60);
    subjectHeader = `Subject: ${subj.slice(0, cut)}\n ${subj.slice(cut + 1)}`;
  }
  const stat = o.diffstat ?? ' net/ipv4/route.c |   19 ++++++++++++++++++-\n 1 files changed, 18 insertions(+), 1 deletions(-)';
  return (
    `From ${o.sha ?? 'a5dc0d2b1cd0d3b3eb4a0ca4aa5ea1e5a5d25e1e'} Mon Sep 17 00:00:00 2001\n` +
    `From: "David S. Miller" <davem@davemloft.net>\n` +
    `Date: Mon, 7 Feb 2011 23:37:52 -0800\n` +
    `${subjectHeader}\n\n` +
    `${body}\n---\n${stat}\n\n${diff.endsWith('\n') ? diff : diff + '\n'}` +
    (o.signature === false ? '' : '-- \n1.7.4.1\n\n')
  );
}

/** The healed seed as git format-patch renders it. */
export function seedFormatPatch(o: MailOptions = {}): string {
  const { subject, body, diff } = splitSeed(healedSeed);
  return formatPatchMessage(subject.replace(/\.$/, '.'), body, diff, o);
}

/**
 * A two-commit series built from the seed: commit 1 = hunks 1-2 (the genid and its stamp in
 * rt_bind_peer), commit 2 = hunk 3 (the check in ipv4_dst_check), renumbered after commit 1.
 */
export function seedSeries(): string {
  const lines = healedSeed.split('\n');
  const header = lines.slice(SEED.diff - 1, SEED.hunk1 - 1).join('\n');
  const hunks12 = lines.slice(SEED.hunk1 - 1, SEED.hunk3 - 1).join('\n');
  const hunk3 = lines
    .slice(SEED.hunk3 - 1)
    .join('\n')
    .replace('@@ -1767,8 +1776,16 @@', '@@ -1776,8 +1776,16 @@');
  const sob = 'Signed-off-by: David S. Miller <davem@davemloft.net>';
  const m1 = formatPatchMessage(
    'inet: Add a generation ID for inetpeer propagation into routes.',
    `Stamp routes with the generation ID when they attach to an inetpeer.\n\n${sob}`,
    `${header}\n${hunks12}`,
    { n: 1, m: 2, sha: '1111111111111111111111111111111111111111', diffstat: ' net/ipv4/route.c |    9 +++++++++\n 1 files changed, 9 insertions(+), 0 deletions(-)' },
  );
  const m2 = formatPatchMessage(
    'ipv4: Propagate inetpeer changes in ipv4_dst_check.',
    `Look the peer up again when the generation ID moved.\n\nReviewed-by: Eric Dumazet <eric.dumazet@gmail.com>\n${sob}`,
    `${header}\n${hunk3}`,
    { n: 2, m: 2, sha: '2222222222222222222222222222222222222222', fold: true, diffstat: ' net/ipv4/route.c |   10 +++++++++-\n 1 files changed, 9 insertions(+), 1 deletions(-)' },
  );
  return m1 + m2;
}

/** Quoted-printable encoding of one mail body (RFC 2045: '=' escaped, 76-column soft breaks). */
export function quotedPrintable(body: string, width = 76): string {
  return body
    .split('\n')
    .map((line) => {
      let enc = '';
      for (const b of Buffer.from(line, 'utf8')) {
        enc += b === 0x3d || b > 0x7e || (b < 0x20 && b !== 0x09) ? '=' + b.toString(16).toUpperCase().padStart(2, '0') : String.fromCharCode(b);
      }
      enc = enc.replace(/[ \t]$/, (c) => (c === ' ' ? '=20' : '=09'));
      const parts: string[] = [];
      while (enc.length > width) {
        let cut = width - 1;
        // Never split an =XX escape.
        if (enc[cut - 1] === '=') cut -= 1;
        else if (enc[cut - 2] === '=') cut -= 2;
        parts.push(enc.slice(0, cut) + '=');
        enc = enc.slice(cut);
      }
      parts.push(enc);
      return parts.join('\n');
    })
    .join('\n');
}

/** A format-patch mail whose body went through a mailer that chose quoted-printable. */
export function asQuotedPrintableMail(mail: string, width = 76): string {
  const split = mail.indexOf('\n\n');
  const headers = mail.slice(0, split) + '\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable';
  return headers + '\n\n' + quotedPrintable(mail.slice(split + 2), width);
}

/** File paths as diff headers write them: C-quoted, with a/ b/ prefixes, after a timestamp. */

/** A path as git quotes it ("..." with C escapes and octal bytes), or the text unchanged. */
export function unquotePath(p: string): string {
  if (!(p.length >= 2 && p.startsWith('"') && p.endsWith('"'))) return p;
  const bytes: number[] = [];
  const body = p.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, '"': 34, '\\': 92, a: 7, b: 8, f: 12, r: 13, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\' && i + 1 < body.length) {
      const n = body[i + 1]!;
      if (/[0-7]/.test(n)) {
        const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
        bytes.push(parseInt(oct, 8) & 0xff);
        i += oct.length;
        continue;
      }
      if (n in simple) {
        bytes.push(simple[n]!);
        i++;
        continue;
      }
    }
    bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Path of a ---/+++ line: without the marker, a trailing timestamp (after a tab) and quotes. */
export function headerPath(line: string): string {
  let p = line.slice(4);
  const tab = p.indexOf('\t');
  if (tab !== -1) p = p.slice(0, tab);
  return unquotePath(p.trimEnd());
}

/** "a/X b/Y" of a diff --git line; exact when both sides are equal (the usual case), even with spaces. */
export function gitHeaderPaths(rest: string): [string, string] | undefined {
  if (rest.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*")\s+(.*)$/.exec(rest);
    if (m) return [unquotePath(m[1]!), unquotePath(m[2]!)];
  }
  const n = rest.length;
  if ((n - 1) % 2 === 0) {
    const half = (n - 1) / 2;
    const left = rest.slice(0, half);
    const right = rest.slice(half + 1);
    if (left.slice(2) === right.slice(2) && rest[half] === ' ') return [left, right];
  }
  const sp = rest.indexOf(' b/');
  if (sp !== -1) return [rest.slice(0, sp), rest.slice(sp + 1)];
  return undefined;
}

/** Removes git's a/ b/ prefixes, or a differing first directory (like patch -p1), never from absolute paths. */
export function stripPrefixes(oldRaw: string, newRaw: string, git: boolean): [string, string] {
  const dev = '/dev/null';
  if (git || ((oldRaw === dev || oldRaw.startsWith('a/')) && (newRaw === dev || newRaw.startsWith('b/')))) {
    return [
      oldRaw !== dev && oldRaw.startsWith('a/') ? oldRaw.slice(2) : oldRaw,
      newRaw !== dev && newRaw.startsWith('b/') ? newRaw.slice(2) : newRaw,
    ];
  }
  const first = (p: string) => p.split('/')[0]!;
  const canStrip = (p: string) => p === dev || (!p.startsWith('/') && p.includes('/'));
  if (canStrip(oldRaw) && canStrip(newRaw) && oldRaw !== dev && newRaw !== dev && first(oldRaw) !== first(newRaw)) {
    return [oldRaw.slice(first(oldRaw).length + 1), newRaw.slice(first(newRaw).length + 1)];
  }
  return [oldRaw, newRaw];
}

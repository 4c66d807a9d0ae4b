/**
 * Lexical helpers for facts that must survive tree-sitter error recovery: kernel macros
 * (INDIRECT_CALLABLE_SCOPE, __rcu, list_for_each_entry_rcu, ...) make some functions parse
 * with ERROR nodes, but their statements are still plain C text line by line.
 */

/** Replaces comments (and the contents of string / char literals) by spaces, keeping newlines and offsets. */
export function blankComments(src: string): string {
  const out = src.split('');
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (out[k] !== '\n') out[k] = ' ';
      i = stop;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') out[i++] = ' ';
    } else if (c === '"' || c === "'") {
      i++;
      while (i < n && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') out[i++] = ' ';
        if (i < n && src[i] !== '\n') out[i++] = ' ';
      }
      i++;
    } else i++;
  }
  return out.join('');
}

/** 1-based line of an offset. */
export function lineOf(src: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < src.length; i++) if (src.charCodeAt(i) === 10) line++;
  return line;
}

/** Offsets of line starts, for fast offset -> line lookups on large files. */
export function lineIndex(src: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < src.length; i++) if (src.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * The statement controlled by the `if (` whose opening parenthesis is at `parenOffset`:
 * returns [condition text, body text, body end offset]. The body is a balanced `{...}` block or a
 * single statement up to its `;`.
 */
export function ifParts(text: string, parenOffset: number): { condition: string; body: string; end: number } | undefined {
  let depth = 0;
  let i = parenOffset;
  for (; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) break;
  }
  if (i >= text.length) return undefined;
  const condition = text.slice(parenOffset + 1, i);
  let j = i + 1;
  while (j < text.length && /\s/.test(text[j]!)) j++;
  if (text[j] === '{') {
    let d = 0;
    let k = j;
    for (; k < text.length; k++) {
      if (text[k] === '{') d++;
      else if (text[k] === '}' && --d === 0) break;
    }
    return { condition, body: text.slice(j, k + 1), end: k + 1 };
  }
  const semi = text.indexOf(';', j);
  const end = semi < 0 ? text.length : semi + 1;
  return { condition, body: text.slice(j, end), end };
}

/** A function definition found lexically (kernel style: the definition starts at column 0). */
export interface LexFunction {
  name: string;
  /** Offsets of the whole definition and of its body `{...}`. */
  start: number;
  bodyStart: number;
  end: number;
}

/**
 * Finds the definition of `name` in comment-blanked text: a line starting at column 0 that
 * contains `name(`, whose balanced parameter list is followed by `{`. Declarations (`;`) and
 * calls (indented) do not match.
 */
export function findFunction(text: string, name: string): LexFunction | undefined {
  const re = new RegExp(`\\b${name.replace(/[^\w]/g, '')}\\s*\\(`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    const first = text[lineStart];
    if (first === undefined || /[\s#}]/.test(first)) continue;
    // The whole declarator must sit on this and following lines without a ';' before the '('.
    if (text.slice(lineStart, m.index).includes(';') || text.slice(lineStart, m.index).includes('=')) continue;
    const paren = m.index + m[0].length - 1;
    let depth = 0;
    let i = paren;
    for (; i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) break;
    }
    let j = i + 1;
    while (j < text.length && /\s/.test(text[j]!)) j++;
    if (text[j] !== '{') continue;
    let d = 0;
    let k = j;
    for (; k < text.length; k++) {
      if (text[k] === '{') d++;
      else if (text[k] === '}' && --d === 0) break;
    }
    return { name, start: lineStart, bodyStart: j, end: Math.min(k + 1, text.length) };
  }
  return undefined;
}

/** The name of the lexically enclosing top-level function of an offset (kernel style), if any. */
export function enclosingFunctionName(text: string, offset: number): string | undefined {
  // Kernel style: a function body opens with '{' at column 0 and closes with '}' at column 0.
  const brace = text.lastIndexOf('\n{', offset);
  if (brace < 0) return undefined;
  const close = text.indexOf('\n}', brace + 1);
  if (close >= 0 && close < offset) return undefined;
  const head = text.slice(Math.max(0, brace - 600), brace + 1);
  return /(\w+)\s*\((?:[^;{}()]|\([^;{}()]*\))*\)\s*$/.exec(head)?.[1];
}

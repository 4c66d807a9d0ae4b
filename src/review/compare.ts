/**
 * Pre-image facts vs post-image facts of one function (or of the file scope), turned
 * into the sentences a kernel reviewer would write about the protocol change.
 */
import type { FactLocation, FunctionFacts, GenidDecl, PathTerm, ProtocolFacts, StampFact, BindCall } from '../csrc/facts.ts';
import { allOf } from '../csrc/facts.ts';
import { describeCondition } from './describe.ts';
import type { Statement } from './types.ts';

export interface SideLookup {
  /** Image line -> patch line, when the line is in a hunk. */
  pre: (line: number) => number | undefined;
  post: (line: number) => number | undefined;
}

type Keyed = FactLocation & { condition?: string };

const stampKey = (s: StampFact): string => `${s.target}=${s.value}|${s.condition}`;
const bindKey = (b: BindCall): string => `${b.callee}(${b.create})|${b.condition}`;

function added<T>(pre: T[] | undefined, post: T[] | undefined, key: (x: T) => string): T[] {
  const before = new Map<string, number>();
  for (const x of pre ?? []) before.set(key(x), (before.get(key(x)) ?? 0) + 1);
  const out: T[] = [];
  for (const x of post ?? []) {
    const k = key(x);
    const n = before.get(k) ?? 0;
    if (n > 0) before.set(k, n - 1);
    else out.push(x);
  }
  return out;
}

const fieldOf = (target: string): string => target.split(/->|\./).pop() ?? target;

/** True when the bind is guarded by "the route has no peer". */
export function guardedByNoPeer(terms: PathTerm[]): boolean {
  return terms.some((t) => {
    const txt = t.text.replace(/\s+/g, '');
    const noPeer = /^!\(?[\w>.-]+->peer\)?$/.test(txt) || /->peer==NULL/.test(txt);
    const hasPeer = /^[\w>.-]+->peer$/.test(txt) || /->peer!=NULL/.test(txt);
    return (noPeer && !t.negated) || (hasPeer && t.negated);
  });
}

function bindWords(b: BindCall, sayGuard = true): string {
  const guard = sayGuard && guardedByNoPeer(b.terms) ? ' if none' : '';
  if (b.createValue === 0) return `binds a peer lookup-only (create=0)${guard}`;
  if (b.createValue !== undefined) return `binds a peer, creating it if needed (create=${b.create})${guard}`;
  return `binds a peer with create=\`${b.create}\`${guard}`;
}

function returnType(f: FunctionFacts): string {
  const m = new RegExp(`^(?:(?:static|inline|extern|__always_inline|noinline)\\s+)*(.+?)\\s*\\b${f.name}\\s*\\(`).exec(f.signature);
  return m?.[1]?.replace(/\s*\*$/, ' *').trim() ?? '';
}

/** How many outer path terms the genid block's own test accounts for. */
function blockDepth(f: FunctionFacts, terms: PathTerm[]): number {
  const i = terms.findIndex((t) => t.kind === 'if' && !t.negated && t.line === f.genidBlock?.line);
  return i >= 0 ? i + 1 : 0;
}

function inBlock(f: FunctionFacts, loc: FactLocation): boolean {
  return !!f.genidBlock && loc.line >= f.genidBlock.line && loc.endLine <= f.genidBlock.endLine && loc.line !== f.genidBlock.line;
}

/** The dst_check sentence: order of the expiry check, then what the genid block does. */
function dstCheckSentence(name: string, pre: FunctionFacts | undefined, post: FunctionFacts): string | undefined {
  const parts: string[] = [];
  const firstPost = post.returns[0];
  const preExpiryFirst = !!pre?.returns[0]?.checksExpiry;
  const postExpiry = post.returns.find((r) => r.checksExpiry);
  if (firstPost?.checksExpiry && firstPost.position !== 'inside-genid-block' && firstPost.position !== 'after-genid-block') {
    parts.push(preExpiryFirst ? 'expiry check still comes first' : 'expiry check now comes first');
  } else if (postExpiry) parts.push('the expiry check no longer comes first');
  else if (pre?.returns.some((r) => r.checksExpiry)) parts.push('the expiry check is gone');

  const block = post.genidBlock;
  if (block) {
    const actions: string[] = [];
    const items: { line: number; column: number; words: string }[] = [];
    for (const b of post.binds.filter((x) => inBlock(post, x))) items.push({ line: b.line, column: b.column, words: bindWords(b) });
    for (const r of post.returns.filter((x) => x.position === 'inside-genid-block')) {
      items.push({ line: r.line, column: r.column, words: `returns ${r.value || 'early'} ${describeCondition(r.terms, blockDepth(post, r.terms))}` });
    }
    for (const s of post.stamps.filter((x) => inBlock(post, x))) {
      const when = describeCondition(s.terms, blockDepth(post, s.terms));
      items.push({ line: s.line, column: s.column, words: when === 'unconditionally' ? 're-stamps unconditionally' : `re-stamps ${when}` });
    }
    items.sort((a, b) => a.line - b.line || a.column - b.column);
    for (const i of items) actions.push(i.words);
    const test = !pre?.genidBlock
      ? `on genid mismatch (new check \`${block.condition}\`)`
      : pre.genidBlock.condition !== block.condition
        ? `on genid mismatch (check changed from \`${pre.genidBlock.condition}\` to \`${block.condition}\`)`
        : 'on genid mismatch';
    parts.push(actions.length ? `${test} ${actions.join(' and ')}` : `${test} does nothing`);
  } else if (pre?.genidBlock) parts.push('no longer revalidates the peer genid');
  return parts.length ? `${name}: ${parts.join('; ')}` : undefined;
}

const returnSequence = (f: FunctionFacts | undefined): string => (f?.returns ?? []).map((r) => `${r.value}|${r.checksExpiry}|${r.position}`).join(';');

/** Sentences for one changed function. */
export function functionStatements(file: string, name: string, pre: FunctionFacts | undefined, post: FunctionFacts | undefined, lookup: SideLookup): Statement[] {
  const out: Statement[] = [];
  const at = (loc: Keyed | { line: number }, side: 'pre' | 'post', text: string): void => {
    const line = loc.line;
    const patchLine = side === 'pre' ? lookup.pre(line) : lookup.post(line);
    out.push({ function: name, file, text, line, ...(patchLine !== undefined ? { patchLine } : {}) });
  };

  if (!post) {
    if (pre && (pre.stamps.length || pre.binds.length || pre.bumps.length || pre.isAccessor || pre.genidBlock)) at({ line: pre.startLine }, 'pre', `removes ${name}()`);
    return out;
  }

  if (post.isAccessor && !pre?.isAccessor) {
    const read = post.reads[0];
    const type = returnType(post);
    at({ line: post.startLine }, 'post', `${name}() (new) returns ${read ? read.text : 'the global genid'}${type ? ` as ${type}` : ''}`);
  }

  const isDstCheck = /dst_check$|validate_peer$/.test(name) || !!post.genidBlock;
  const changedDst =
    isDstCheck &&
    (added(pre?.stamps, post.stamps, stampKey).length +
      added(post.stamps, pre?.stamps, stampKey).length +
      added(pre?.binds, post.binds, bindKey).length +
      added(post.binds, pre?.binds ?? [], bindKey).length +
      added(pre?.returns, post.returns, (r) => `${r.value}|${r.condition}`).length +
      added(post.returns, pre?.returns ?? [], (r) => `${r.value}|${r.condition}`).length >
      0 ||
      !!post.genidBlock !== !!pre?.genidBlock ||
      pre?.genidBlock?.condition !== post.genidBlock?.condition ||
      returnSequence(pre) !== returnSequence(post));
  if (changedDst) {
    const s = dstCheckSentence(name, pre, post);
    if (s) at(post.genidBlock ?? { line: post.startLine }, 'post', s);
  }

  for (const s of added(pre?.stamps, post.stamps, stampKey)) {
    if (changedDst && inBlock(post, s)) continue;
    const what = s.valueKind === 'literal' ? `resets ${fieldOf(s.target)} to ${s.value}` : `stamps ${fieldOf(s.target)} (\`${s.text}\`)`;
    at(s, 'post', `${name} now ${what} ${describeCondition(s.terms)}`);
  }
  const coveredPre = (loc: FactLocation): boolean => changedDst && !!pre && !!post.genidBlock && inBlock(pre, loc);
  for (const s of added(post.stamps, pre?.stamps, stampKey)) if (!coveredPre(s)) at(s, 'pre', `${name} no longer stamps ${fieldOf(s.target)} ${describeCondition(s.terms)} (was \`${s.text}\`)`);

  for (const b of added(pre?.binds, post.binds, bindKey)) {
    if (changedDst && inBlock(post, b)) continue;
    at(b, 'post', `${name} now ${bindWords(b, false)} ${describeCondition(b.terms)}`);
  }
  for (const b of added(post.binds, pre?.binds, bindKey)) if (!coveredPre(b)) at(b, 'pre', `${name} no longer calls \`${b.text}\``);

  const cmpKey = (c: { text: string; resultTest?: string; condition: string }): string => `${c.text}|${c.resultTest ?? ''}|${c.condition}`;
  for (const c of added(pre?.cmpxchgs, post.cmpxchgs, cmpKey)) at(c, 'post', `${name} now installs the peer with \`${c.text}${c.resultTest ? ` ${c.resultTest}` : ''}\` ${describeCondition(c.terms)}`);
  for (const c of added(post.cmpxchgs, pre?.cmpxchgs, cmpKey)) at(c, 'pre', `${name} no longer installs the peer with \`${c.text}\``);

  const compKey = (c: { left: string; operator: string; right: string }): string => `${c.left} ${c.operator} ${c.right}`;
  for (const c of added(pre?.comparisons, post.comparisons, compKey)) {
    if (changedDst && post.genidBlock && c.line === post.genidBlock.line) continue;
    at(c, 'post', `${name} now compares genids: \`${c.text}\``);
  }
  for (const c of added(post.comparisons, pre?.comparisons, compKey)) if (!(changedDst && pre?.genidBlock && c.line === pre.genidBlock.line)) at(c, 'pre', `${name} no longer compares \`${c.text}\``);

  const bumpKey = (b: { op: string; name: string; condition: string }): string => `${b.op} ${b.name}|${b.condition}`;
  for (const b of added(pre?.bumps, post.bumps, bumpKey)) {
    at(b, 'post', `${name} now bumps ${b.name} (${b.atomic ? b.op : `non-atomic \`${b.text}\``}) ${describeCondition(b.terms)}`);
  }
  for (const b of added(post.bumps, pre?.bumps, bumpKey)) at(b, 'pre', `${name} no longer bumps ${b.name} (was \`${b.text}\` ${describeCondition(b.terms)})`);

  // fnhe-era facts: say what appears and disappears.
  const ctrKey = (c: { counter: string; op: string; text: string }): string => `${c.counter}|${c.op}|${c.text}`;
  for (const c of added(pre?.counters, post.counters, ctrKey)) if (c.op !== 'read') at(c, 'post', `${name} now ${c.op === 'bump' ? 'bumps' : 'writes'} ${c.counter} (\`${c.text}\`) ${describeCondition(c.terms)}`);
  for (const c of added(post.counters, pre?.counters, ctrKey)) if (c.op !== 'read') at(c, 'pre', `${name} no longer ${c.op === 'bump' ? 'bumps' : 'writes'} ${c.counter} (was \`${c.text}\`)`);
  const obsKey = (o: { kind: string; constant: string; operator: string; condition: string }): string => `${o.kind}|${o.constant}|${o.operator}|${o.condition}`;
  for (const o of added(pre?.obsolete, post.obsolete, obsKey)) at(o, 'post', `${name} now ${o.kind === 'compare' ? 'tests' : o.kind === 'set' ? 'sets' : 'passes'} \`${o.text}\` ${describeCondition(o.terms)}`);
  for (const o of added(post.obsolete, pre?.obsolete, obsKey)) at(o, 'pre', `${name} no longer uses \`${o.text}\``);
  for (const u of added(pre?.fnheUpdates, post.fnheUpdates, (x) => `${x.text}|${x.condition}`)) at(u, 'post', `${name} now records a next-hop exception (\`${u.text}\`) ${describeCondition(u.terms)}`);
  for (const u of added(post.fnheUpdates, pre?.fnheUpdates, (x) => `${x.text}|${x.condition}`)) at(u, 'pre', `${name} no longer records a next-hop exception (\`${u.text}\`)`);
  return out;
}

export interface GlobalContext {
  /** True when the post side is the whole file (tree / file mode). */
  wholeFile: boolean;
  file: string;
}

function declWords(d: GenidDecl): string {
  return [d.type, d.initializer].filter(Boolean).join(', ');
}

/** File-scope statements: the global genid appears, changes type, or goes. */
export function globalStatements(pre: ProtocolFacts, post: ProtocolFacts, lookup: SideLookup, ctx: GlobalContext): Statement[] {
  const out: Statement[] = [];
  const push = (line: number, side: 'pre' | 'post', text: string): void => {
    const patchLine = side === 'pre' ? lookup.pre(line) : lookup.post(line);
    out.push({ file: ctx.file, text, line, ...(patchLine !== undefined ? { patchLine } : {}) });
  };
  const preByName = new Map(pre.globals.map((g) => [g.name, g]));
  const postByName = new Map(post.globals.map((g) => [g.name, g]));
  const bumps = allOf(post, 'bumps');
  for (const g of post.globals) {
    const before = preByName.get(g.name);
    if (!before) {
      const accessors = post.accessors.filter((a) => post.functions.some((f) => f.name === a && f.isAccessor && f.reads.some((r) => r.name === g.name)));
      const via = accessors.length ? ` read through ${accessors.map((a) => `${a}()`).join(', ')}` : '';
      const mine = bumps.filter((b) => b.name === g.name);
      const bumpWords = mine.length
        ? `; bumped in ${[...new Set(mine.map((b) => `${b.function}()`))].join(', ')}`
        : ctx.wholeFile
          ? `; nothing in ${ctx.file} bumps it`
          : '; nothing in this patch bumps it';
      push(g.line, 'post', `introduces ${g.name} (${declWords(g)})${via}${bumpWords}`);
    } else if (before.type !== g.type || before.initializer !== g.initializer) {
      push(g.line, 'post', `changes ${g.name} from ${declWords(before)} to ${declWords(g)}`);
    }
  }
  for (const g of pre.globals) if (!postByName.has(g.name)) push(g.line, 'pre', `removes ${g.name} (${declWords(g)})`);

  // Struct members: the route's genid stamp and its peer pointer.
  const fieldKey = (f: { struct: string; name: string }): string => `${f.struct}.${f.name}`;
  const preFields = new Map(pre.fields.map((f) => [fieldKey(f), f]));
  const postFields = new Map(post.fields.map((f) => [fieldKey(f), f]));
  for (const f of post.fields) {
    const before = preFields.get(fieldKey(f));
    if (!before) push(f.line, 'post', `adds \`${f.type}${f.type.endsWith('*') ? '' : ' '}${f.name}\` to struct ${f.struct}`);
    else if (before.type !== f.type) push(f.line, 'post', `changes struct ${f.struct} member ${f.name} from \`${before.type}\` to \`${f.type}\``);
  }
  for (const f of pre.fields) if (!postFields.has(fieldKey(f))) push(f.line, 'pre', `removes ${f.name} from struct ${f.struct}`);
  return out;
}


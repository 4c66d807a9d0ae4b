/**
 * Writes the mutants of the seed patch (kernel-fixtures/route-genid.patch) into
 * kernel-fixtures/mutants/, and the equivalent (not buggy) variants into its equivalent/.
 *
 * Each mutant is the seed patch with its '+' side (and where needed its '-' side) edited the way a
 * tired author or reviewer could get it wrong; hunk headers are recomputed so that every file is a
 * valid patch against the same pre-image as the seed. Run from anywhere:
 *   npx tsx scripts/make-mutants.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readPatch, type Hunk, type HunkLine } from '../src/patch/index.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const seedPath = resolve(repoRoot, 'kernel-fixtures/route-genid.patch');
const outDir = resolve(repoRoot, 'kernel-fixtures/mutants');

/** One hunk's body as patch lines, marker included ('+\tfoo;'), which is how the mutations are written. */
type Body = string[];

/** Replace the first run of `old` lines in hunk `hunk` (0-based) by `new`. */
interface Edit {
  hunk: number;
  old: Body;
  new: Body;
}

interface Variant {
  /** What was changed, for the commit message ("peerprop mutant "<name>": <what>"). */
  what: string;
  edits: Edit[];
}

const seedText = readFileSync(seedPath, 'utf8');
const seed = readPatch(seedText, seedPath);
if (seed.commits.length !== 1 || seed.commits[0]!.files.length !== 1) {
  throw new Error(`${seedPath}: expected one commit changing one file`);
}
const commit = seed.commits[0]!;
const file = commit.files[0]!;
const seedLines = seedText.split('\n');

/** Patch lines from..to (1-based, `to` exclusive) of the seed, as written. */
const seedSlice = (from: number, to: number): string[] => seedLines.slice(from - 1, to - 1);

// The message (subject, blank line, body) and the file header are kept byte for byte; only the
// hunks are rebuilt. The reader says where each part starts.
const messageLines = seedSlice(commit.startLine, commit.diffLine ?? file.headerLine);
const fileHeader = seedSlice(file.headerLine, file.hunks[0]!.headerLine);

/** A hunk line as it stands in the patch (a blank context line the reader had to re-trim stays empty). */
const patchLineOf = (l: HunkLine): string => (l.trimmedBlank ? '' : l.kind + l.text);
const seedBodies = (): Body[] => file.hunks.map((h) => h.lines.map(patchLineOf));

function applyEdits(edits: Edit[]): Body[] {
  const bodies = seedBodies();
  for (const e of edits) {
    const b = bodies[e.hunk]!;
    const at = findRun(b, e.old);
    if (at < 0) throw new Error(`mutation context not found in hunk ${e.hunk + 1}: ${JSON.stringify(e.old)}`);
    bodies[e.hunk] = [...b.slice(0, at), ...e.new, ...b.slice(at + e.old.length)];
  }
  return bodies;
}

function findRun(body: Body, run: Body): number {
  for (let i = 0; i + run.length <= body.length; i++) {
    if (run.every((l, k) => body[i + k] === l)) return i;
  }
  return -1;
}

// An empty patch line is a blank context line (whitespace-trimmed), so it counts on both sides.
const isOld = (l: string): boolean => l === '' || l[0] === ' ' || l[0] === '-';
const isNew = (l: string): boolean => l === '' || l[0] === ' ' || l[0] === '+';

function hunkHeader(h: Hunk, body: Body, delta: number): string {
  const oldN = body.filter(isOld).length;
  const newN = body.filter(isNew).length;
  return `@@ -${h.oldStart},${oldN} +${h.oldStart + delta},${newN} @@${h.section ? ' ' + h.section : ''}`;
}

function render(name: string, v: Variant): string {
  const bodies = applyEdits(v.edits);
  const out: string[] = [];
  let delta = 0;
  file.hunks.forEach((h, i) => {
    const body = bodies[i]!;
    out.push(hunkHeader(h, body, delta), ...body);
    delta += body.filter(isNew).length - body.filter(isOld).length;
  });
  const message = [messageLines[0]!, '', `peerprop mutant "${name}": ${v.what}`, ...messageLines.slice(1)];
  return [...message, ...fileHeader, ...out].join('\n') + '\n';
}

const ELSE_STAMP = ['+\telse', '+\t\trt->rt_peer_genid = rt_peer_genid();'];
const CHECK_BLOCK = [
  '+\tif (rt->rt_peer_genid != rt_peer_genid()) {',
  '+\t\tif (!rt->peer)',
  '+\t\t\trt_bind_peer(rt, 0);',
  '+',
  '+\t\trt->rt_peer_genid = rt_peer_genid();',
  '+\t}',
];
const CHECK_COMPARE = ['+\tif (rt->rt_peer_genid != rt_peer_genid()) {'];
const CHECK_BIND = ['+\t\t\trt_bind_peer(rt, 0);'];
const CHECK_EXPIRY = ['-\tif (rt_is_expired((struct rtable *)dst))', '+\tstruct rtable *rt = (struct rtable *) dst;', '+', '+\tif (rt_is_expired(rt))', ' \t\treturn NULL;'];
const CHECK_EXPIRY_REMOVED = ['-\tif (rt_is_expired((struct rtable *)dst))', '-\t\treturn NULL;', '+\tstruct rtable *rt = (struct rtable *) dst;', '+'];

/** Hunks of the seed: 0 = the counter, its reader and the head of rt_bind_peer(); 1 = the tail of rt_bind_peer(); 2 = ipv4_dst_check(). */
const COUNTER = 0;
const BIND = 1;
const CHECK = 2;

const MUTANTS: Record<string, Variant> = {
  '01-stamp-only-with-peer': {
    what: 'rt_bind_peer() stamps only when it attached a peer (else if (peer)), so a peerless route keeps a stale genid',
    edits: [{ hunk: BIND, old: ELSE_STAMP, new: ['+\telse if (peer)', '+\t\trt->rt_peer_genid = rt_peer_genid();'] }],
  },
  '02-stamp-before-lookup': {
    what: 'rt_bind_peer() stamps before the peer lookup, also on the path where the cmpxchg loses',
    edits: [
      { hunk: COUNTER, old: [' \tstruct inet_peer *peer;'], new: [' \tstruct inet_peer *peer;', '+', '+\trt->rt_peer_genid = rt_peer_genid();'] },
      { hunk: BIND, old: ELSE_STAMP, new: [] },
    ],
  },
  '03-check-binds-with-create': {
    what: 'ipv4_dst_check() binds with create=1, creating inetpeers instead of only attaching to existing ones',
    edits: [{ hunk: CHECK, old: CHECK_BIND, new: ['+\t\t\trt_bind_peer(rt, 1);'] }],
  },
  '04-compare-less-than': {
    what: 'ipv4_dst_check() compares the genids with < instead of !=, which breaks at the u32 wrap',
    edits: [{ hunk: CHECK, old: CHECK_COMPARE, new: ['+\tif (rt->rt_peer_genid < rt_peer_genid()) {'] }],
  },
  '05-compare-equal': {
    what: 'ipv4_dst_check() revalidates when the genids are equal (== instead of !=)',
    edits: [{ hunk: CHECK, old: CHECK_COMPARE, new: ['+\tif (rt->rt_peer_genid == rt_peer_genid()) {'] }],
  },
  '06-no-restamp-in-check': {
    what: 'ipv4_dst_check() does not re-stamp the route after the (optional) bind',
    edits: [{ hunk: CHECK, old: ['+', '+\t\trt->rt_peer_genid = rt_peer_genid();'], new: [] }],
  },
  '07-restamp-before-expiry-check': {
    what: 'ipv4_dst_check() revalidates (binds and re-stamps) before testing whether the route expired',
    edits: [{ hunk: CHECK, old: [...CHECK_EXPIRY, ...CHECK_BLOCK], new: [...CHECK_EXPIRY_REMOVED, ...CHECK_BLOCK, '+\tif (rt_is_expired(rt))', '+\t\treturn NULL;'] }],
  },
  '08-expiry-check-removed': {
    what: 'ipv4_dst_check() no longer refuses an expired route',
    edits: [{ hunk: CHECK, old: CHECK_EXPIRY, new: CHECK_EXPIRY_REMOVED }],
  },
  '09-plain-store-instead-of-cmpxchg': {
    what: 'rt_bind_peer() tests rt->peer and then stores it plainly instead of cmpxchg(), so two CPUs can both install',
    edits: [
      {
        hunk: BIND,
        old: [' \tif (peer && cmpxchg(&rt->peer, NULL, peer) != NULL)', ' \t\tinet_putpeer(peer);', ...ELSE_STAMP],
        new: [
          '-\tif (peer && cmpxchg(&rt->peer, NULL, peer) != NULL)',
          '+\tif (peer && rt->peer != NULL)',
          ' \t\tinet_putpeer(peer);',
          '+\telse {',
          '+\t\tif (peer)',
          '+\t\t\trt->peer = peer;',
          '+\t\trt->rt_peer_genid = rt_peer_genid();',
          '+\t}',
        ],
      },
    ],
  },
  '10-plain-u32-counter': {
    what: 'the generation ID is a plain static u32 instead of an atomic_t, so the bumpers of the follow-ups can only do __rt_peer_genid++',
    edits: [
      {
        hunk: COUNTER,
        old: ['+static atomic_t __rt_peer_genid = ATOMIC_INIT(0);', '+', '+static u32 rt_peer_genid(void)', '+{', '+\treturn atomic_read(&__rt_peer_genid);', '+}'],
        new: ['+static u32 __rt_peer_genid;', '+', '+static u32 rt_peer_genid(void)', '+{', '+\treturn __rt_peer_genid;', '+}'],
      },
    ],
  },
  '11-compare-wrong-counter': {
    what: "ipv4_dst_check() compares the route's cache generation rt_genid (not rt_peer_genid) with the peer genid",
    edits: [{ hunk: CHECK, old: CHECK_COMPARE, new: ['+\tif (rt->rt_genid != rt_peer_genid()) {'] }],
  },
  '12-check-open-coded-bind': {
    what: 'ipv4_dst_check() attaches the peer with a plain store of inet_getpeer_v4() instead of calling rt_bind_peer() (no cmpxchg)',
    edits: [{ hunk: CHECK, old: CHECK_BIND, new: ['+\t\t\trt->peer = inet_getpeer_v4(rt->rt_dst, 0);'] }],
  },
};

/** Plausible edits that are NOT bugs in the protocol's state: `verify` must pass them. */
const EQUIVALENT: Record<string, Variant> = {
  'stamp-with-compared-value': {
    what:
      'ipv4_dst_check() reads the genid once and stamps the value it compared (not a re-read). NOT a bug: it closes the lost-update window ' +
      'of the seed (a bump between the lookup and the stamp is no longer absorbed); every state it reaches is one the seed may reach',
    edits: [
      {
        hunk: CHECK,
        old: ['+\tif (rt->rt_peer_genid != rt_peer_genid()) {', '+\t\tif (!rt->peer)', '+\t\t\trt_bind_peer(rt, 0);', '+', '+\t\trt->rt_peer_genid = rt_peer_genid();'],
        new: ['+\tgenid = rt_peer_genid();', '+\tif (rt->rt_peer_genid != genid) {', '+\t\tif (!rt->peer)', '+\t\t\trt_bind_peer(rt, 0);', '+', '+\t\trt->rt_peer_genid = genid;'],
      },
      // ... and the local it needs.
      { hunk: CHECK, old: ['+\tstruct rtable *rt = (struct rtable *) dst;'], new: ['+\tstruct rtable *rt = (struct rtable *) dst;', '+\tu32 genid;'] },
    ],
  },
  'bind-when-peer-set': {
    what:
      'ipv4_dst_check() calls rt_bind_peer() even when the route has a peer. NOT a bug in state: the lookup finds the same peer, ' +
      'the cmpxchg loses and the reference is put back (extra work only)',
    edits: [{ hunk: CHECK, old: ['+\t\tif (!rt->peer)', ...CHECK_BIND], new: ['+\t\trt_bind_peer(rt, 0);'] }],
  },
};

// Render everything before writing anything, so that a mutation that no longer fits the seed leaves the files as they were.
const outputs = [
  ...Object.entries(MUTANTS).map(([name, v]) => [resolve(outDir, `${name}.patch`), render(name, v)] as const),
  ...Object.entries(EQUIVALENT).map(([name, v]) => [resolve(outDir, 'equivalent', `${name}.patch`), render(name, v)] as const),
];
for (const [path, text] of outputs) writeFileSync(path, text);
console.log(`wrote ${Object.keys(MUTANTS).length} mutants and ${Object.keys(EQUIVALENT).length} equivalent variants`);

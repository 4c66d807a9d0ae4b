/**
 * Inputs for comparing the compiled scanner with the JavaScript one: ftrace-like lines built from
 * the shapes of the real traces' lines (their lines, mutated, and lines assembled from random
 * columns), damaged (cut, CRLF, NUL, non-ASCII bytes, random bytes), and chunked at random sizes.
 */
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ourTraces } from '../helpers.ts';
import { LINE_UNITS, mutatedLine } from '../generators.ts';

const traceFiles = readdirSync(ourTraces).filter((f) => /\.(txt|log)$/.test(f));
/** Every distinct line of the real traces (events, headers, capture lines, console noise). */
export const REAL_LINES = [...new Set(traceFiles.flatMap((f) => readFileSync(join(ourTraces, f), 'latin1').split(/\r?\n/)))];

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const digits = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9]{1,${max}}$`));

/** A value once in `n` times, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** Usually one of the usual values, sometimes an odd one. */
const mostly = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ weight: 5, arbitrary: usual }, { weight: 1, arbitrary: odd });

/** One line assembled from random columns, in the layouts the readers know and near them. */
const assembled = fc
  .record({
    lead: mostly(pick(['', ' ', '    ']), pick(['\t', '  \t', '#', '@', '@@'])),
    task: mostly(pick(['<idle>', 'ip', 'kworker/0:1', 'my task', 'a-b-c', '<...>', 'sh']), pick(['x[1]', '', 'a(1)', 'x]'])),
    pid: mostly(digits(5), fc.oneof(fc.stringMatching(/^[0-9]{16,25}$/), pick(['', 'x1', '-']))),
    tgid: mostly(fc.constant(''), pick(['(  123)', '(-----)', '(1)', '()'])),
    cpu: mostly(digits(3), fc.oneof(fc.stringMatching(/^[0-9]{9,25}$/), pick(['', 'a', '1 ']))),
    flags: mostly(
      fc.option(pick(['d..1', 'dNh2.', '....', 'd.s.', '.Ns1', 'd.h.']), { nil: undefined }),
      fc.oneof(pick(['12345678', '123456789', 'a:']), fc.stringMatching(/^[.a-zA-Z0-9]{0,9}$/)),
    ),
    ts: mostly(
      fc.tuple(digits(6), digits(6)).map(([a, b]) => `${a}.${b}`),
      fc.oneof(
        digits(30),
        // more fraction digits than are read (15), an integer part beyond 2^53
        fc.tuple(digits(3), fc.stringMatching(/^[0-9]{14,22}$/)).map(([a, b]) => `${a}.${b}`),
        fc.tuple(fc.stringMatching(/^[0-9]{15,25}$/), digits(8)).map(([a, b]) => `${a}.${b}`),
        pick(['1.2.3', '1..5', '.5', '1.', '12a.3', '', '0.00000000000000001', '1.9999999999999999']),
      ),
    ),
    event: mostly(pick(['dst_check', 'r_dst_check', 'rt_bind_peer', 'inet_getpeer', 'tracing_mark_write', 'kprobes/x']), pick(['a b', '', '0', 'ev:x', 'p:q'])),
    body: mostly(
      fc.tuple(pick(['dst_check+0x0/0x20', 'rt_bind_peer+0x0/0x60', 'f', '']), fc.option(pick(['ip_route_output_key+0x4f/0x90', 'x', '[unknown]', '']), { nil: undefined })).map(
        ([sym, caller]) => (caller === undefined ? `(${sym})` : `(${caller} <- ${sym})`),
      ),
      pick(['(a <- b)', '(a <-b) x=1', '( <- )', '(x <- )', '(<- )', '(x) ', '(', '(a) b) c=1', '<- (x)', '(a < - b)', '(a  <- b)', '(a <- b) <- c)', '(f)x', '(a <- b)c', '(f+0/1))', '(x)) y', '(a <- b)  ', 'text only', '']),
    ),
    args: fc.array(fc.tuple(pick(['dst', 'peer', 'daddr', 'genid', 'arg1', 'x']), fc.oneof(fc.stringMatching(/^(0x)?[0-9a-f]{1,16}$/), pick(['"a b"', '(fault)', '-1', '']))), { maxLength: 4 }),
    sep: mostly(pick([': ', ':  ']), pick([' ', ':', ''])),
  })
  .map((r) => {
    const head = `${r.lead}${r.task}-${r.pid}${r.tgid ? ` ${r.tgid}` : ''} [${r.cpu}]${r.flags === undefined ? '' : ` ${r.flags}`} ${r.ts}:`;
    return `${head} ${r.event}${r.sep}${r.body}${r.args.map(([k, v]) => ` ${k}=${v}`).join('')}`;
  });

/** A real line with a few bytes changed, cut or inserted. */
const mutated = mutatedLine(REAL_LINES, [...LINE_UNITS, '#', '@']);

/** Lines of the capture protocol whose state changes how the next lines are read (a refused probe's error_log, the dynamic events list). */
const CAPTURE = [
  '@@PROBE_FAIL p:rtgf/fnhe_k update_or_create_fnhe daddr gw pmtu lock expires',
  '[    2.706670] trace_kprobe: error: Invalid fetch argument',
  '  Command: p:rtgf/fnhe_k update_or_create_fnhe daddr gw pmtu lock expires',
  '                                               ^',
  '@@DYNAMIC_EVENTS_BEGIN',
  'p:rtg/dst_check ipv4_dst_check dst=%di:x64',
  '@@DYNAMIC_EVENTS_END',
  'CPU:0 [LOST 3 EVENTS]',
  '##### CPU 1 buffer started ####',
];

/** A line's bytes, possibly damaged: NUL or non-ASCII bytes put in, a CR before its newline, random bytes instead. */
const lineBytes = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: pick(REAL_LINES) }, { weight: 4, arbitrary: mutated }, { weight: 4, arbitrary: assembled }, { weight: 1, arbitrary: pick(['', ' ', '\r', '#', '@@ x', '# tracer: nop']) }, { weight: 3, arbitrary: pick(CAPTURE) }),
    sometimes(fc.tuple(fc.nat(), pick([[0], [0xc3, 0xa9], [0xff], [0x80], [0xe2, 0x82, 0xac], [0xa0], [13]])), 5),
    fc.boolean(),
    sometimes(fc.uint8Array({ maxLength: 30 }), 12),
  )
  .map(([text, damage, crlf, random]) => {
    if (random) return Buffer.from(random);
    let b = Buffer.from(text, 'latin1');
    if (damage) {
      const [at, bytes] = damage;
      const i = b.length ? at % (b.length + 1) : 0;
      b = Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)]);
    }
    return crlf ? Buffer.concat([b, Buffer.from('\r')]) : b;
  });

/** A trace-like input: lines joined with newlines, ending with one or cut short. */
export const traceLikeInput: fc.Arbitrary<Buffer> = fc
  .tuple(fc.array(lineBytes, { maxLength: 25 }), fc.boolean())
  .map(([lines, endNl]) => {
    const parts: Buffer[] = [];
    lines.forEach((l, i) => {
      parts.push(l);
      if (i < lines.length - 1 || endNl) parts.push(Buffer.from('\n'));
    });
    return Buffer.concat(parts);
  });

/** The input cut into chunks of the given sizes, repeated (a size is at least 1). */
export function chunked(input: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let k = 0;
  for (let off = 0; off < input.length; ) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    out.push(input.subarray(off, off + n));
    off += n;
  }
  return out;
}

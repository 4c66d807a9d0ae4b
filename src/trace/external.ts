/**
 * Binary trace files read through their own tools: a trace-cmd `trace.dat` through
 * `trace-cmd report`, a `perf.data` through `perf script` (Debian packages `trace-cmd` and
 * `linux-perf`). The tool is spawned and its output streamed into the text reader; its exit
 * status is checked when the output ends, so a file the tool could not read whole is bad
 * input, never a verdict on part of it.
 *
 * From a trace.dat we also take what the text lacks: the event formats (`trace-cmd dump
 * --events`: each field's declared type) and the kernel symbols recorded with it (`trace-cmd
 * dump --kallsyms`: callers printed as addresses are resolved with the traced boot's own table).
 */
import { spawn } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { badInput, envMissing } from '../core/errors.ts';
import { Symbols } from './symbols.ts';

export type BinaryTrace = 'trace-cmd' | 'perf';

/** Which binary trace a regular file is (by its magic), or undefined. Never throws. */
export async function sniffBinaryTrace(path: string): Promise<BinaryTrace | undefined> {
  if (path === '-') return undefined;
  // stat before open: opening a FIFO would wait for its writer.
  try {
    if (!(await stat(path)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const b = Buffer.alloc(16);
    const { bytesRead } = await fh.read(b, 0, 16, 0);
    if (bytesRead >= 10 && b[0] === 0x17 && b[1] === 0x08 && b[2] === 0x44 && b.toString('latin1', 3, 10) === 'tracing') return 'trace-cmd';
    if (bytesRead >= 8 && b.toString('latin1', 0, 8) === 'PERFILE2') return 'perf';
    return undefined;
  } finally {
    await fh.close();
  }
}

export interface ExternalTrace {
  /** The tool's text output. Errors (tool failed, exit status) surface as a stream error. */
  stream: NodeJS.ReadableStream;
  /** The command run, for the report (`trace-cmd report FILE`). */
  command: string;
  /** Format lines (`name:` / `field:`) to declare argument types, when the tool gives them. */
  declarations: string[];
  /** The traced boot's own kernel symbols, when the file carries them. */
  symbols?: Symbols;
}

const PACKAGE: Record<BinaryTrace, { bin: string; pkg: string }> = {
  'trace-cmd': { bin: 'trace-cmd', pkg: 'trace-cmd' },
  perf: { bin: 'perf', pkg: 'linux-perf' },
};

/** Run a tool to completion; stdout as text. Exit 3 when it is not installed. */
async function run(kind: BinaryTrace, args: string[], file: string): Promise<{ code: number; out: string; err: string }> {
  const { bin, pkg } = PACKAGE[kind];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e) => {
      reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? missing(kind, file) : badInput(`cannot run ${bin}: ${e.message}`, { file }));
    });
    child.once('close', (code) => resolve({ code: code ?? 1, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8') }));
    void pkg;
  });
}

function missing(kind: BinaryTrace, file: string) {
  const { bin, pkg } = PACKAGE[kind];
  const what = kind === 'perf' ? 'a perf.data file' : 'a trace-cmd trace.dat file';
  return envMissing(`${file}: ${what} is read through \`${bin}\`, which is not installed (apt-get install ${pkg})`);
}

/**
 * `trace-cmd report` prints nothing and exits 0 on a trace.dat cut short (trace-cmd 3.1): the
 * per-CPU data sections the file announces (`trace-cmd dump --flyrecord`) must lie inside it.
 */
async function checkFlyrecord(path: string, file: string): Promise<void> {
  const r = await run('trace-cmd', ['dump', '--flyrecord', path], file);
  const size = (await stat(path)).size;
  const cpus = [...r.out.matchAll(/^\s*(\d+)\s+(\d+)\s+(\d+)\s+\[id, data offset and size\]/gm)];
  if (r.code !== 0 || cpus.length === 0) {
    const why = (r.err + r.out).trim().split('\n').filter(Boolean).pop() ?? 'no per-CPU data sections';
    throw badInput(`trace-cmd cannot read the per-CPU data of this trace.dat (${why.trim()}): cut short or not a recording`, { file });
  }
  for (const m of cpus) {
    const end = Number(m[2]) + Number(m[3]);
    if (end > size) {
      throw badInput(`trace.dat cut short: CPU ${m[1]}'s data ends at byte ${end}, the file has ${size} bytes`, { file });
    }
  }
}

/** Spawn the tool that prints a binary trace as text. */
export async function openExternal(path: string, kind: BinaryTrace, file: string): Promise<ExternalTrace> {
  let declarations: string[] = [];
  let symbols: Symbols | undefined;
  let args: string[];
  if (kind === 'trace-cmd') {
    await checkFlyrecord(path, file);
    const ev = await run(kind, ['dump', '--events', path], file);
    if (ev.code === 0) declarations = ev.out.split('\n');
    const ks = await run(kind, ['dump', '--kallsyms', path], file);
    if (ks.code === 0) {
      const lines = ks.out.split('\n').filter((l) => /^[0-9a-f]{8,16} [A-Za-z] /.test(l));
      try {
        if (lines.length) symbols = Symbols.parse(lines.join('\n'), `${file} (kallsyms recorded by trace-cmd)`);
      } catch {
        symbols = undefined; // no usable addresses: callers stay unresolved (and are reported so)
      }
    }
    args = ['report', path];
  } else {
    args = ['script', '--show-lost-events', '-i', path];
  }
  const { bin } = PACKAGE[kind];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? missing(kind, file) : badInput(`cannot run ${bin}: ${e.message}`, { file })));
  });
  await spawned;
  const err: Buffer[] = [];
  let errLen = 0;
  child.stderr.on('data', (d: Buffer) => {
    if (errLen < 1 << 16) {
      err.push(d);
      errLen += d.length;
    }
  });
  const exited = new Promise<number>((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const command = `${bin} ${args.join(' ')}`;
  async function* text(): AsyncGenerator<Buffer> {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (code !== 0) {
      const msg = Buffer.concat(err).toString('utf8').trim().split('\n').filter(Boolean).slice(-2).join('; ');
      throw badInput(`\`${command}\` failed (exit ${code})${msg ? `: ${msg}` : ''}: the trace was not read whole`, { file });
    }
  }
  return { stream: Readable.from(text(), { objectMode: false }), command, declarations, symbols };
}

/**
 * xz, zstd, bzip2 and lz4 through Debian's decoders (node:zlib has none of them in Node 20), as a
 * stream: compressed bytes into the decoder's stdin, text out of its stdout. The decoders check
 * what their format can check (xz: CRC/SHA of blocks and the index; zstd and lz4: the content
 * checksum when the frame has one; bzip2: block and stream CRCs) and handle concatenated streams.
 * A failing exit status, or anything on stderr (bzip2 only warns about trailing garbage and exits
 * 0), means the container is damaged. The decoder does not say where in its input it found the
 * damage: the offset reported is what it had been given by then.
 */
import { spawn } from 'node:child_process';
import { envMissing } from '../core/errors.ts';
import { DamageFound, type Compression } from './decompress-types.ts';
import { writable } from './decompress-gzip.ts';

interface Decoder {
  cmd: string;
  args: string[];
  /** The Debian package that installs it. */
  pkg: string;
}

export const DECODERS: Record<Exclude<Compression, 'gzip'>, Decoder> = {
  xz: { cmd: 'xz', args: ['-dc'], pkg: 'xz-utils' },
  zstd: { cmd: 'zstd', args: ['-dcq'], pkg: 'zstd' },
  bzip2: { cmd: 'bzip2', args: ['-dc'], pkg: 'bzip2' },
  lz4: { cmd: 'lz4', args: ['-dc'], pkg: 'lz4' },
};

const STDERR_MAX = 4096;

export async function* toolPieces(c: Exclude<Compression, 'gzip'>, raw: AsyncIterator<Buffer>, file: string): AsyncGenerator<Buffer> {
  const d = DECODERS[c];
  const child = spawn(d.cmd, d.args, { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw envMissing(
      code === 'ENOENT'
        ? `${file}: ${c} data needs \`${d.cmd}\` to decompress it: install the Debian package ${d.pkg}`
        : `${file}: cannot run \`${d.cmd}\` to decompress ${c} data (${code ?? String(e)})`,
    );
  }
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < STDERR_MAX) stderr += s;
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  // EPIPE when the decoder stops reading (it found damage): its exit status says why.
  child.stdin.on('error', () => undefined);
  let stop = false;
  let readError: unknown;
  /** Compressed bytes given to the decoder. */
  let given = 0;
  const pump = (async () => {
    try {
      for (;;) {
        if (stop || child.stdin.destroyed) return;
        const r = await raw.next();
        if (r.done) return;
        given += r.value.length;
        if (!child.stdin.write(r.value)) await writable(child.stdin);
      }
    } catch (e) {
      readError = e;
    } finally {
      child.stdin.end();
    }
  })();
  try {
    for await (const out of child.stdout as AsyncIterable<Buffer>) yield out;
    await pump;
    const { code, signal } = await closed;
    if (readError) throw readError;
    const why = reason(stderr);
    if (code === 0 && !why) return;
    const status = signal ? `${d.cmd} killed by ${signal}` : `${d.cmd} exit status ${code}`;
    if (/unexpected end|premature end|ends unexpectedly|unfinished stream|truncated/i.test(why)) throw new DamageFound(`cut short (${why})`, given);
    if (/trailing garbage/i.test(why)) throw new DamageFound(`followed by trailing garbage (${why})`, given);
    throw new DamageFound(`damaged (${why || status})`, given);
  } finally {
    // Not awaited: after an early stop the pump may wait on an input that never ends (a pipe).
    stop = true;
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}

/** Boilerplate the decoders print around the reason (bzip2's advice, file names). */
const NOISE = /^(Input file = |It is possible that|You can use|data from undamaged|perhaps it is corrupted|\*Possible\* reason|bzip2: Inappropriate ioctl)/;

/** The decoder's reason, one line, without its name, the file name or advice. */
export function reason(stderr: string): string {
  for (let line of stderr.split('\n')) {
    line = line.trim();
    if (!line || NOISE.test(line)) continue;
    line = line
      .replace(/^(xz|zstd|bzip2|lz4):\s*/, '')
      .replace(/^(\(stdin\)|\/\*stdin\*\\)\s*:\s*/, '')
      .replace(/^Error \d+\s*:\s*/, '')
      .replace(/[;:\s]+$/, '');
    if (line) return line.charAt(0).toLowerCase() + line.slice(1);
  }
  return '';
}

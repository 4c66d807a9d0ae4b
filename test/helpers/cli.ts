/** Runs the real CLI in-process (src/cli/main.ts) with captured stdout/stderr and an optional stdin. */
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: readonly string[], stdinText?: string | Buffer): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const stdin =
    stdinText === undefined ? new PassThrough() : Readable.from([typeof stdinText === 'string' ? Buffer.from(stdinText) : stdinText]);
  const code = await main([...argv], { stdout, stderr, stdin });
  return { code, out, err };
}

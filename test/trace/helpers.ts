/** Shared helpers for the trace reader tests. */
import { Readable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTrace } from '../../src/trace/index.ts';
import type { CanonicalEvent, OpenTraceOptions, TraceReadStats } from '../../src/trace/index.ts';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const sharedTraces = resolve(repoRoot, '../shared/traces');
export const ourTraces = resolve(repoRoot, 'traces');

/** Read trace text given in the test (as a stream, no file). */
/**
 * Reads a trace given as text. A whole trace ends with a newline (the kernel ends every line with
 * one), so one is added when missing; `{ asIs: true }` reads the bytes exactly as given (a cut trace).
 */
export async function readText(
  text: string | Buffer,
  opts: OpenTraceOptions & { asIs?: boolean } = {},
): Promise<{ events: CanonicalEvent[]; stats: TraceReadStats }> {
  const { asIs, ...readOpts } = opts;
  let buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (!asIs && buf.length > 0 && buf[buf.length - 1] !== 10) buf = Buffer.concat([buf, Buffer.from('\n')]);
  // Small chunks exercise line reassembly across chunk boundaries.
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += 37) chunks.push(buf.subarray(i, i + 37));
  return readTrace('-', { name: 'test.trace', input: Readable.from(chunks), ...readOpts });
}

export function tmpFile(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'peerprop-trace-test-'));
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** Events without the undefined fields (for readable equality checks). */
export function plain(e: CanonicalEvent): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined));
}

export function kinds(events: CanonicalEvent[]): string[] {
  return events.map((e) => e.kind);
}

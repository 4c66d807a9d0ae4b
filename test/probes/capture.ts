/** The real 6.1 capture's probe definitions (../shared/traces), split by the kernel's verdict. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const sharedTraces = path.resolve(repoRoot, '../shared/traces');
export const CAPTURE_6_1 = path.join(sharedTraces, '6.1.0-56-cloud-amd64.tcg.ttyS1-trace.txt');

export async function captureProbes(): Promise<{ kernel: string; ok: string[]; fail: string[] }> {
  const text = (await readFile(CAPTURE_6_1, 'utf8')).replace(/\r/g, '');
  const ok: string[] = [];
  const fail: string[] = [];
  let kernel = '';
  for (const l of text.split('\n')) {
    if (l.startsWith('@@KERNEL ')) kernel = l.slice(9).trim();
    else if (l.startsWith('@@PROBE_OK ')) ok.push(l.slice(11).trim());
    else if (l.startsWith('@@PROBE_FAIL ')) fail.push(l.slice(13).trim());
  }
  return { kernel, ok, fail };
}

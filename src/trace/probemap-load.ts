/**
 * Reading a user's probe map file (`replay --probes FILE`): JSON with its error located, then the
 * same validation as the built-in maps, which it may extend. Apart from probemap.ts so that the
 * built-in maps (which use the parser) and the parser do not import each other.
 */
import { readFile } from 'node:fs/promises';
import { badInput } from '../core/errors.ts';
import { builtinProbeMaps } from './maps/index.ts';
import { parseProbeMap, type ProbeMap } from './probemap.ts';

/** Read and validate a probe map file (JSON). Missing file or bad JSON: PeerpropError exit 2. */
export async function loadProbeMap(path: string): Promise<ProbeMap> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw badInput(`cannot read probe map: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String((e as Error).message));
    let loc: { line?: number; column?: number } = {};
    const pos = m ? Number(m[1]) : jsonErrorOffset(text);
    if (pos !== undefined) {
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      loc = { line, column: pos - before.lastIndexOf('\n') };
    }
    throw badInput(`probe map is not valid JSON: ${(e as Error).message}`, { file: path, ...loc });
  }
  return parseProbeMap(json, path, builtinProbeMaps());
}

/**
 * Where JSON.parse fails, when its message does not say (Node 20): the shortest prefix that
 * fails for another reason than ending early ends at the bad character.
 */
function jsonErrorOffset(text: string): number | undefined {
  const early = (n: number): boolean => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (e) {
      const msg = (e as Error).message;
      return /end of JSON input|Unterminated/.test(msg) || msg.includes(`at position ${n}`);
    }
  };
  let lo = 0;
  let hi = text.length;
  if (early(hi)) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (early(mid)) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 1);
}

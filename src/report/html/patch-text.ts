/** The text of a patch named in a report, for display only: undefined for stdin or an unreadable path. */
import { readFileSync } from 'node:fs';

export function patchTextFor(path: string | undefined): string | undefined {
  if (!path || path === '-') return undefined;
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** Per-name counters stay bounded on garbage input: past 1000 names, the rest count as "(other)". */
export function countName(m: Map<string, number>, name: string): void {
  const n = m.get(name);
  if (n !== undefined) m.set(name, n + 1);
  else if (m.size < 1000) m.set(name, 1);
  else m.set('(other)', (m.get('(other)') ?? 0) + 1);
}

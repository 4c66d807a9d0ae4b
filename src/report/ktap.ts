import type { TestResult } from './results.ts';

/**
 * KTAP v1 (Documentation/dev-tools/ktap.rst): version line, plan, one result line per test,
 * subtests as indented KTAP blocks before their parent's result line, diagnostics as `# ...`
 * lines before the result they explain.
 */
export function toKtap(results: TestResult[], headerComments: string[] = []): string {
  const lines: string[] = [];
  emit(results, 0, lines, headerComments);
  return lines.join('\n') + '\n';
}

function emit(results: TestResult[], depth: number, out: string[], header: string[]): void {
  const ind = '  '.repeat(depth);
  out.push(`${ind}KTAP version 1`);
  for (const c of header) out.push(`${ind}# ${oneLine(c)}`);
  out.push(`${ind}1..${results.length}`);
  results.forEach((r, i) => {
    if (r.subtests && r.subtests.length > 0) emit(r.subtests, depth + 1, out, []);
    for (const d of r.diagnostics ?? []) out.push(`${ind}# ${oneLine(d)}`);
    out.push(`${ind}${resultLine(r, i + 1)}`);
  });
}

function resultLine(r: TestResult, n: number): string {
  const name = r.name.replace(/#/g, '_');
  const reason = r.reason ? ` ${oneLine(r.reason)}` : '';
  switch (r.status) {
    case 'pass':
      return `ok ${n} ${name}`;
    case 'skip':
      return `ok ${n} ${name} # SKIP${reason}`;
    case 'fail':
      return `not ok ${n} ${name}`;
    case 'error':
      return `not ok ${n} ${name} # ERROR${reason}`;
    case 'timeout':
      return `not ok ${n} ${name} # TIMEOUT${reason}`;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

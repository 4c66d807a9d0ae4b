/**
 * Start-up: what a command loads before it runs is what every command pays (`--help` too), and a
 * replay of a trace as text loads the reader and replay, not the conformance harness, the C
 * tools or the HTML writers. Speed itself is bench/startup.bench.ts's; this keeps the modules a
 * command does not use from creeping back into the static imports (load them with `import()`
 * where the command runs, as src/cli/replay.ts does).
 */
import { describe, expect, it } from 'vitest';
import { loadedBy, staticImports } from '../helpers/import-graph.ts';

/** Packages that take tens of milliseconds or more to load (or compile what they load). */
const HEAVY_PACKAGES = ['ajv', 'yaml', 'tree-sitter', 'tree-sitter-c', 'zx', 'diff', 'cli-progress', 'playwright-core'];

/** Modules of commands' cores: the reader, replay, reports, C tools, kernels, the QEMU harness. */
function isCore(file: string): boolean {
  if (/\/formats\.ts$/.test(file)) return false; // the lists --format accepts, for --help
  if (/^harness\/(scenarios|seed-scenarios|smp-scenarios|observations)\.ts$/.test(file)) return false; // scenario names, for --help
  return /^(trace|replay|report|csrc|ceval|kernel|harness|verify|review|scan|probes|default|patch)\//.test(file);
}

describe('start-up', () => {
  it('finds static imports and leaves type-only and dynamic ones', () => {
    const text = ["import { a } from './a.ts';", "import type { B } from './b.ts';", "import { type C } from './c.ts';", "import { Ajv } from 'ajv';", "const d = await import('./d.ts');"].join('\n');
    expect(staticImports(text)).toEqual(['./a.ts', 'ajv']);
  });

  it('the CLI loads no command core before a command runs', () => {
    const { files, packages } = loadedBy('cli/main.ts');
    expect(files).toContain('cli/replay.ts');
    expect(files.filter(isCore)).toEqual([]);
    expect(packages.filter((p) => HEAVY_PACKAGES.includes(p))).toEqual([]);
  });

  it('a text replay loads the reader and replay only', () => {
    // What src/cli/replay.ts imports for --format text.
    const { files, packages } = loadedBy('cli/main.ts', 'replay/files.ts', 'replay/exit-code.ts', 'replay/render.ts');
    expect(files).toContain('trace/reader.ts');
    expect(files).toContain('replay/cache-era.ts');
    // Reports as text, KTAP or JUnit; not the timelines and their HTML/Perfetto writers.
    const other = (f: string) => isCore(f) && (!/^(trace|replay)\//.test(f) || /^replay\/(pictures|timeline)\.ts$/.test(f)) && !/^report\/(junit|ktap|results)\.ts$/.test(f);
    expect(files.filter(other)).toEqual([]);
    expect(packages.filter((p) => HEAVY_PACKAGES.includes(p))).toEqual([]);
  });
});

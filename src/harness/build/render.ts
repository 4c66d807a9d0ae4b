import type { BuiltKernel } from './build.ts';

/** What `peerprop kernel build` prints on stdout: where the kernel is, what went into it. */
export function renderBuilt(k: BuiltKernel, format: 'text' | 'json'): string {
  if (format === 'json') return JSON.stringify(k, null, 2) + '\n';
  const src = k.source.kind === 'git' ? `${k.source.repo} ${k.source.commit.slice(0, 12)} "${k.source.subject}"` : k.source.path;
  const lines = [
    `kernel: ${k.dir}`,
    `source: ${src}`,
    `linux ${k.version}, era ${k.era}: ${k.eraReason}`,
    `build: ${k.cached ? 'cached' : `${((k.buildMs ?? 0) / 1000).toFixed(1)} s`}${k.ccache ? ` (ccache ${k.ccache.hits} hits, ${k.ccache.misses} misses)` : ''}, key ${k.key}, recipe ${k.recipe}`,
    k.fixes.length ? `fixes applied (${k.fixes.length}):` : 'fixes applied: none',
    ...k.fixes.map((f) => `  ${f.id}: ${f.what}`),
  ];
  if (k.out) lines.push(`copied to: ${k.out}`);
  return lines.join('\n') + '\n';
}

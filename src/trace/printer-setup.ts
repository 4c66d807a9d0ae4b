/**
 * The reader's printer decision for one input: which printer wrote it (printers.ts), the
 * declared argument types (declared.ts: the input's probe definitions and formats, then the
 * probe map), the kernel symbols to resolve code addresses with, and the adapter that turns the
 * printer's lines into the kernel's.
 */
import type { ProbeMap } from './probemap.ts';
import { DeclarationCollector, mergeTypes, typesFromMap } from './declared.ts';
import { detectPrinter, PrinterAdapter, type PrinterLayout } from './printers.ts';
import type { Symbols } from './symbols.ts';

/** What the reader reports about the printer (TraceReadStats.printer). */
export interface PrinterReport {
  tool: PrinterLayout['tool'];
  options: string[];
  /** `trace-cmd report -l`, `perf script --deltatime`, `ftrace trace file`. */
  name: string;
  timestamps: PrinterLayout['timestamps'];
  /** The command the reader ran to print a binary file (`trace-cmd report FILE`). */
  command?: string;
  /** Events whose argument types the input itself declared (definitions or formats). */
  declaredEvents: number;
  /** Where code addresses were resolved from, when the printer printed them as hex. */
  symbols?: string;
}

export interface PrinterSetup {
  layout: PrinterLayout;
  adapter?: PrinterAdapter;
  report: PrinterReport;
}

export function setupPrinter(
  head: string, format: string, map: ProbeMap, extraDeclarations: readonly string[], symbols: Symbols | undefined,
  command: string | undefined, warn: (m: string) => void,
): PrinterSetup {
  const layout = detectPrinter(head, format);
  const collector = new DeclarationCollector();
  for (const l of extraDeclarations) collector.line(l);
  for (const raw of head.split('\n')) collector.line(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
  const declaredEvents = collector.types.size;
  const types = mergeTypes(collector.types, typesFromMap(map));
  const needsAdapter = layout.tool === 'trace-cmd' || layout.tool === 'perf';
  const adapter = needsAdapter ? new PrinterAdapter(layout, { types, definitions: collector.definitions, symbols, warn }) : undefined;
  const report: PrinterReport = {
    tool: layout.tool, options: layout.options, name: layout.name, timestamps: layout.timestamps, declaredEvents,
    ...(command ? { command } : {}),
    ...(layout.hexAddresses && symbols ? { symbols: symbols.source } : {}),
  };
  if (layout.timestamps === 'relative' || layout.timestamps === 'delta') {
    warn(`${layout.name}: timestamps are ${layout.timestamps === 'delta' ? 'deltas between events' : 'relative to the first event'}, not the kernel clock: events carry no timestamp (their order is the file's)`);
  }
  return { layout, adapter, report };
}

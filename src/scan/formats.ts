/** scan's output formats (light: the CLI lists them without loading the analyser). */
export const SCAN_FORMATS = ['text', 'json', 'ktap', 'junit', 'sarif', 'html', 'kcidb'] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

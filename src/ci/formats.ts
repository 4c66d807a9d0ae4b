/** merge's output formats (light: the CLI lists them without loading the merger and the report writers). */
export type MergeFormat = 'text' | 'json' | 'ktap' | 'junit' | 'html' | 'kcidb';
export const MERGE_FORMATS: readonly MergeFormat[] = ['text', 'json', 'ktap', 'junit', 'html', 'kcidb'];

/** review's output formats (light: the CLI lists them without loading the reviewer). */
export type ReviewFormat = 'text' | 'json' | 'sarif' | 'html' | 'kcidb';
export const REVIEW_FORMATS: readonly ReviewFormat[] = ['text', 'json', 'sarif', 'html', 'kcidb'];

/** verify's output formats (light: the CLI lists them without loading the verifier). */
export type VerifyFormat = 'text' | 'json' | 'html' | 'kcidb';
export const VERIFY_FORMATS: readonly VerifyFormat[] = ['text', 'json', 'html', 'kcidb'];

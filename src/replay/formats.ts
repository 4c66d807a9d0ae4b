/** replay's output formats (light: the CLI lists them without loading the reader and replay). */
export type ReplayFormat = 'text' | 'json' | 'ktap' | 'junit' | 'html' | 'perfetto';
export const REPLAY_FORMATS: readonly ReplayFormat[] = ['text', 'json', 'ktap', 'junit', 'html', 'perfetto'];
/** Formats that draw the trace: they need the timelines collected while replaying. */
export const PICTURE_FORMATS: readonly ReplayFormat[] = ['html', 'perfetto'];

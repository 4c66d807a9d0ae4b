/** Types shared by the decompressors (decompress.ts and the decoders it runs). */

export type Compression = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'lz4';

/** What is known about the compressed input while it is read. */
export interface CompressedInput {
  /** The file as the user named it (for messages). */
  file: string;
  /** Compressed size when known up front (a regular file); stdin and pipes: unknown. */
  size?: number;
  /** Compressed bytes read from the input so far (counted by decompress()). */
  read: number;
  /** The input was read to its end. */
  ended: boolean;
}

/** What a decoder found wrong: where, in compressed bytes. */
export interface Damage {
  /** e.g. `cut short`, `damaged (incorrect data check)`, `followed by trailing garbage`. */
  what: string;
  /** Compressed byte offset where it was found (the compressed size read when the decoder gives none). */
  at: number;
}

/** Counts of what was decompressed before the damage, for the message. */
export interface Decompressed {
  bytes: number;
  lines: number;
}

/** Decoders report damage by throwing this, after yielding what decoded before it. */
export class DamageFound extends Error implements Damage {
  constructor(readonly what: string, readonly at: number) {
    super(`${what} at byte ${at}`);
  }
}

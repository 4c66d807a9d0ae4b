/**
 * Cutting input bytes into lines at '\n' bytes, across chunks of any boundaries, without making
 * strings: a line is handed on as a range of its chunk (or, when it spans chunks, of a buffer
 * joining its parts). Memory stays bounded: a "line" longer than MAX_LINE (binary data without
 * newlines) is dropped up to its end, not accumulated.
 */
import { isAscii } from 'node:buffer';

/** A line longer than this is dropped. */
export const MAX_LINE = 1 << 20;

export abstract class LineCutter {
  /** Bytes of a line not finished in the previous chunk. */
  private carry: Buffer[] = [];
  private carryLen = 0;
  /** Inside a line longer than MAX_LINE: dropping bytes up to its end. */
  private skippingLong = false;

  /** One complete line buf[a..e), without its newline; `ascii`: every byte of buf is ASCII. */
  protected abstract line(buf: Buffer, a: number, e: number, ascii: boolean): void;
  /** A line longer than MAX_LINE was dropped. */
  protected abstract longLine(): void;
  /** The input ended inside this line (no newline after it). */
  protected abstract unfinishedLine(line: Buffer): void;

  /** Cut one chunk of input: its complete lines go to line(), the start of an unfinished one is kept. */
  protected cut(buf: Buffer): void {
    const len = buf.length;
    let pos = 0;
    if (this.skippingLong || this.carryLen) {
      const nl = buf.indexOf(10);
      if (nl === -1) {
        this.hold(buf);
        return;
      }
      if (this.skippingLong) {
        this.longLine();
        this.skippingLong = false;
      } else {
        this.carry.push(buf.subarray(0, nl));
        const line = Buffer.concat(this.carry, this.carryLen + nl);
        this.carry = [];
        this.carryLen = 0;
        this.line(line, 0, line.length, isAscii(line));
      }
      pos = nl + 1;
    }
    const last = buf.lastIndexOf(10);
    if (last >= pos) {
      const ascii = isAscii(buf);
      while (pos <= last) {
        const nl = buf.indexOf(10, pos);
        this.line(buf, pos, nl, ascii);
        pos = nl + 1;
      }
    }
    if (pos < len) this.hold(buf.subarray(pos));
  }

  /** End of input: a line still unfinished goes to unfinishedLine() (or longLine()). */
  protected cutEnd(): void {
    if (this.skippingLong) {
      this.longLine();
      this.skippingLong = false;
    } else if (this.carryLen) {
      const line = Buffer.concat(this.carry, this.carryLen);
      this.carry = [];
      this.carryLen = 0;
      this.unfinishedLine(line);
    }
  }

  /** Keep the start of an unfinished line (bounded: an overlong line is dropped up to its end). */
  private hold(part: Buffer): void {
    if (this.skippingLong) return;
    this.carry.push(Buffer.from(part)); // a copy: the source reuses its buffer
    this.carryLen += part.length;
    if (this.carryLen > MAX_LINE) {
      this.carry = [];
      this.carryLen = 0;
      this.skippingLong = true;
    }
  }
}

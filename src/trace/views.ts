/**
 * Decoding a view (plan.ts) of one argument: from its raw text (the text path, and values read
 * from `$caller`, `$func`, `$text`), or from its bytes (what generated decoders call).
 */
import type { Ipv4Order, Radix } from './probemap.ts';
import type { ViewType, ViewValue } from './plan.ts';
import {
  decodeIpv4, decodeNumber, decodePointer, decodeString, decodeU32, ipv4OfU32, numberFromBytes, pointerFromBytes,
} from './decode.ts';
import { latin1, symbolName, type ParsedLine } from './lineparse.ts';

/** How a view decodes its argument. */
export interface ViewDecoding {
  type: ViewType;
  radix: Radix;
  ipv4: Ipv4Order;
}

/** A view of a raw text value. */
export function decodeView(raw: string, v: ViewDecoding): ViewValue {
  switch (v.type) {
    case 'pointer':
      return decodePointer(raw, v.radix);
    case 'ipv4':
      return decodeIpv4(raw, v.radix, v.ipv4);
    case 'u32':
      return decodeU32(raw, v.radix);
    case 'number':
      return decodeNumber(raw, v.radix);
    case 'string':
      return decodeString(raw);
    case 'present':
      return 1;
  }
}

/** What a generated decoder calls to decode one view from bytes (one function per view type). */
export const VIEW_DECODERS = {
  pointer: (buf: Buffer, a: number, b: number, r: Radix): ViewValue => pointerFromBytes(buf, a, b, r),
  ipv4: (buf: Buffer, a: number, b: number, r: Radix, o: Ipv4Order): ViewValue => {
    for (let i = a + 1; i < b; i++) if (buf[i] === 46 /* . */) return decodeIpv4(latin1(buf, a, b), r, o);
    const n = numberFromBytes(buf, a, b, r);
    return n === undefined ? undefined : ipv4OfU32(n >>> 0, o);
  },
  u32: (buf: Buffer, a: number, b: number, r: Radix): ViewValue => {
    const n = numberFromBytes(buf, a, b, r);
    return n === undefined ? undefined : n >>> 0;
  },
  number: (buf: Buffer, a: number, b: number, r: Radix): ViewValue => numberFromBytes(buf, a, b, r),
  string: (buf: Buffer, a: number, b: number): ViewValue => decodeString(latin1(buf, a, b)),
  present: (): ViewValue => 1,
};

/** A view read from text ($caller, $func, $text): undefined when there is no such text. */
export function textField(raw: string | undefined, v: ViewDecoding): ViewValue {
  return raw === undefined ? undefined : decodeView(raw, v);
}

/** The probed function's name ($func). */
export function funcOf(pl: ParsedLine): string | undefined {
  return pl.symStart === -1 ? undefined : symbolName(pl.s.slice(pl.arrow !== -1 ? pl.arrow + 4 : pl.symStart, pl.symEnd), false);
}

/** The event body ($text). */
export function textOf(pl: ParsedLine): string {
  return pl.s.slice(pl.body);
}

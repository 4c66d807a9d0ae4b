/**
 * Decoding of fetch-arg values as kernels print them, into canonical field values.
 *
 * Kernels differ: 3.0 prints unsigned values in hex without 0x; modern kernels print u32/u64 in
 * decimal, x32/x64 with 0x, signed types in decimal with '-'. A map says which radix applies to
 * values without 0x (Radix), and the canonical field says what the value is (pointer, address,
 * genid, number). A value that cannot be decoded (`(fault)`, garbage) is absent, never guessed.
 */
import type { Ipv4Order, Radix } from './probemap.ts';

const INTERN_MAX = 1 << 16;
let intern = new Map<string, string>();

/**
 * Pointers, task names and callers repeat all the time; interning returns one standalone copy
 * per distinct value, so events kept by a consumer never pin the reader's 1 MB text chunks
 * (a sliced string keeps its parent alive). Bounded: the table is dropped when full.
 */
export function internString(s: string): string {
  const hit = intern.get(s);
  if (hit !== undefined) return hit;
  if (intern.size >= INTERN_MAX) intern = new Map();
  // `' ' + s` is a cons string; slicing it flattens into a fresh small string not tied to `s`'s parent.
  const own = s.length < 13 ? s : (' ' + s).slice(1);
  intern.set(own, own);
  return own;
}

/** A standalone copy of a (possibly sliced) string, not interned (marker text, rare values). */
export function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

function isHexDigits(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

function isDecDigits(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Value of a hex digit, or -1. */
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Digits of `raw` from `from` in base 16 or 10, by hand (no slice, no parseInt); undefined if not all digits. */
function digitsValue(raw: string, from: number, base16: boolean): number | undefined {
  const len = raw.length;
  if (from >= len) return undefined;
  let v = 0;
  for (let i = from; i < len; i++) {
    const c = raw.charCodeAt(i);
    if (base16) {
      const d = hexVal(c);
      if (d < 0) return undefined;
      v = v * 16 + d;
    } else {
      if (c < 48 || c > 57) return undefined;
      v = v * 10 + (c - 48);
    }
  }
  return v;
}

/** A number from a raw value: '-' → signed decimal; 0x → hex; else by radix. */
export function decodeNumber(raw: string, radix: Radix): number | undefined {
  const c0 = raw.charCodeAt(0);
  if (c0 === 45 /* - */) {
    const v = digitsValue(raw, 1, false);
    return v === undefined ? undefined : -v;
  }
  if (c0 === 48 && (raw.charCodeAt(1) | 32) === 120 /* 0x */) return digitsValue(raw, 2, true);
  return digitsValue(raw, 0, radix === 'hex');
}

/** u32 (genids): as decodeNumber, wrapped to 0 .. 2^32-1 (a negative s32 print is the same u32). */
export function decodeU32(raw: string, radix: Radix): number | undefined {
  const n = decodeNumber(raw, radix);
  return n === undefined ? undefined : n >>> 0;
}

/** An IPv4 address: a dotted quad as printed, or a u32 holding it in network order. */
export function decodeIpv4(raw: string, radix: Radix, order: Ipv4Order): string | undefined {
  if (raw.indexOf('.') > 0) {
    const parts = raw.split('.');
    if (parts.length !== 4) return undefined;
    for (const p of parts) {
      if (!isDecDigits(p, 0) || Number(p) > 255) return undefined;
    }
    return parts.map(Number).join('.');
  }
  const n0 = decodeNumber(raw, radix);
  if (n0 === undefined) return undefined;
  return ipv4OfU32(n0 >>> 0, order);
}

/** The dotted quad of a u32 holding an address in the given byte order (cached). */
export function ipv4OfU32(n: number, order: Ipv4Order): string {
  const cache = order === 'le' ? ipLe : ipBe;
  const hit = cache.get(n);
  if (hit !== undefined) return hit;
  if (cache.size >= INTERN_MAX) cache.clear();
  const ip = order === 'le'
    ? `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${n >>> 24}`
    : `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  cache.set(n, ip);
  return ip;
}
/** Addresses repeat: formatting one is slower than a lookup. */
const ipLe = new Map<number, string>();
const ipBe = new Map<number, string>();

/**
 * Pointers in events must not be slices of the reader's text chunks (a kept event would pin a
 * whole chunk), and they repeat all the time: a direct-mapped cache hashed on the last
 * characters returns one standalone copy per pointer without allocating on a hit.
 */
const PTR_SLOTS = 1 << 14;
const ptrCache: string[] = new Array<string>(PTR_SLOTS).fill('');
export function pointerIntern(s: string): string {
  return pointerFromDigits(s, 2);
}

/** The canonical pointer `0x` + s.slice(from) (s lower-case hex digits, no leading zero), cached. */
function pointerFromDigits(s: string, from: number): string {
  const len = s.length;
  const n = len - from;
  // The cache slot: a hash of the last (most varying) 10 digits, as pointerFromBytes computes it.
  let h = n;
  for (let i = len - 10 > from ? len - 10 : from; i < len; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  const slot = h & (PTR_SLOTS - 1);
  const c = ptrCache[slot]!;
  if (c.length === n + 2 && (from === 2 ? c === s : c.endsWith(s))) return c;
  // Flat copies: a cons or sliced string would keep the reader's chunk alive.
  const own = from === 2 ? (len < 13 ? s : (' ' + s).slice(1)) : (' 0x' + s).slice(1);
  ptrCache[slot] = own;
  return own;
}

/**
 * A pointer, normalised to lower-case 0x hex without leading zeros ("0x0" for NULL).
 * Without 0x: hex when the radix is hex or the value has hex letters, decimal otherwise
 * (a u64 printed in decimal by a modern kernel); negative values are taken as u64.
 */
export function decodePointer(raw: string, radix: Radix): string | undefined {
  const len = raw.length;
  if (len === 0) return undefined;
  const c0 = raw.charCodeAt(0);
  // Fast path: already canonical (modern kernels' x64): 0x + lower-case hex, no leading zero.
  if (c0 === 48 && raw.charCodeAt(1) === 120 && len > 2) {
    let canonical = raw.charCodeAt(2) !== 48 || len === 3;
    for (let i = 2; i < len && canonical; i++) {
      const c = raw.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) canonical = false;
    }
    if (canonical) return pointerIntern(raw);
  }
  let digits: string;
  if (c0 === 45 /* - */) {
    if (!isDecDigits(raw, 1)) return undefined;
    digits = BigInt.asUintN(64, BigInt(raw)).toString(16);
  } else if (c0 === 48 && (raw.charCodeAt(1) | 32) === 120) {
    if (!isHexDigits(raw, 2)) return undefined;
    digits = raw.slice(2).toLowerCase();
  } else if (radix === 'hex' || (!isDecDigits(raw, 0) && isHexDigits(raw, 0))) {
    let lower = true;
    for (let k = 0; k < len; k++) {
      const c = raw.charCodeAt(k);
      if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue;
      if (c >= 65 && c <= 70) lower = false;
      else return undefined;
    }
    if (c0 !== 48) return pointerFromDigits(lower ? raw : raw.toLowerCase(), 0);
    digits = lower ? raw : raw.toLowerCase();
  } else if (isDecDigits(raw, 0)) {
    digits = len < 16 ? parseInt(raw, 10).toString(16) : BigInt(raw).toString(16);
  } else {
    return undefined;
  }
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return pointerIntern('0x' + (i ? digits.slice(i) : digits));
}

/** ERR_PTR range: the top 4095 values of the address space. */
export function isErrPtr(ptr: string): boolean {
  return ptr.length === 18 && ptr.startsWith('0xfffffffffffff') && ptr !== '0xfffffffffffff000';
}

/** A quoted string arg (`name="a b"`) without its quotes; other values as they are. */
export function decodeString(raw: string): string {
  if (raw.length >= 2 && raw.charCodeAt(0) === 34 && raw.charCodeAt(raw.length - 1) === 34) {
    return ownString(raw.slice(1, -1));
  }
  return ownString(raw);
}

// ------------------------------------------------------------------ from bytes (the reader's fast path)

type Bytes = Uint8Array;

function bytesValue(buf: Bytes, a: number, b: number, base16: boolean): number | undefined {
  if (a >= b) return undefined;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (base16) {
      const d = hexVal(c);
      if (d < 0) return undefined;
      v = v * 16 + d;
    } else {
      if (c < 48 || c > 57) return undefined;
      v = v * 10 + (c - 48);
    }
  }
  return v;
}

/** decodeNumber of the ASCII text buf[a..b), without making the string. */
export function numberFromBytes(buf: Bytes, a: number, b: number, radix: Radix): number | undefined {
  if (a >= b) return undefined;
  const c0 = buf[a]!;
  if (c0 === 45 /* - */) {
    const v = bytesValue(buf, a + 1, b, false);
    return v === undefined ? undefined : -v;
  }
  if (c0 === 48 && b - a > 1 && (buf[a + 1]! | 32) === 120 /* 0x */) return bytesValue(buf, a + 2, b, true);
  return bytesValue(buf, a, b, radix === 'hex');
}

/**
 * decodePointer of the ASCII text buf[a..b). The common case (bare lower-case hex read as hex, as
 * 3.0 kernels print pointers) is found in the pointer cache by its bytes, without making a string;
 * anything else goes through decodePointer.
 */
export function pointerFromBytes(buf: Uint8Array, a: number, b: number, radix: Radix): string | undefined {
  const n = b - a;
  if (n <= 0) return undefined;
  const c0 = buf[a]!;
  if (n === 1 && c0 === 48) return '0x0';
  if (c0 !== 48 && c0 !== 45 && n <= 16) {
    // Up to 16 lower-case hex digits without a leading zero: the value (two 32-bit halves) and
    // the digit count say exactly which string it is, so the cache is checked on integers.
    let letter = false;
    let hi = 0;
    let lo = 0;
    let i = a;
    for (; i < b; i++) {
      const c = buf[i]!;
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) {
        d = c - 87;
        letter = true;
      } else break;
      hi = (hi << 4) | (lo >>> 28);
      lo = (lo << 4) | d;
    }
    if (i === b && (letter || radix === 'hex')) {
      const slot = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0) % PTR_SLOTS;
      if (hexLen[slot] === n && hexLo[slot] === lo && hexHi[slot] === hi) return hexStr[slot]!;
      const own = pointerFromDigits(latin1Of(buf, a, b), 0);
      hexLen[slot] = n;
      hexLo[slot] = lo;
      hexHi[slot] = hi;
      hexStr[slot] = own;
      return own;
    }
  }
  return decodePointer(latin1Of(buf, a, b), radix);
}

/** The byte path's pointer cache, keyed on the value and digit count (see pointerFromBytes). */
const hexLen = new Uint8Array(PTR_SLOTS);
const hexLo = new Int32Array(PTR_SLOTS);
const hexHi = new Int32Array(PTR_SLOTS);
const hexStr: string[] = new Array<string>(PTR_SLOTS).fill('');

function latin1Of(buf: Uint8Array, a: number, b: number): string {
  return (buf as unknown as { latin1Slice(a: number, b: number): string }).latin1Slice(a, b);
}

/*
 * The compiled line scanner of the trace reader (built into scan.wasm by scripts/build-wasm.sh).
 *
 * It does in one call per chunk what LineCutter (line-cutter.ts) and parseEventBytes
 * (lineparse.ts) do per line in JavaScript: cut the bytes into lines at '\n' (an unfinished last
 * line carried to the next chunk, a line still unfinished at a chunk's end with more than
 * max_line bytes dropped up to its newline) and, for each ASCII line parseEventBytes would
 * accept, locate its columns and read its numbers. One fixed-size record per line goes into a
 * table the JavaScript side reads (scanner.ts); every line it does not take apart is handed on
 * as a byte range for the ordinary JavaScript path. The JavaScript code is the reference: every
 * number here is computed as it computes it (doubles in the same order of operations, 32-bit
 * wrapping hashes), so the records are bit-identical to what it would fill in.
 *
 * Freestanding: no libc; memory.copy (bulk memory) for moves, SIMD for the newline search.
 */
#include <wasm_simd128.h>

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;

/* Record layout: 24 32-bit words; words 18..23 are three doubles (8-byte aligned). */
#define REC_WORDS 24
/* A table of 24 kB stays in the L1 cache between its writing here and its reading in JavaScript. */
#define MAX_RECS 256
#define R_KIND 0
#define R_A 1
#define R_E 2
#define R_TASK_START 3
#define R_TASK_END 4
#define R_FLAGS_START 5
#define R_FLAGS_END 6
#define R_TS_START 7
#define R_TS_END 8
#define R_EV_START 9
#define R_EV_END 10
#define R_EV_HASH 11
#define R_BODY 12
#define R_SYM_START 13
#define R_SYM_END 14
#define R_ARROW 15
#define R_ARGS 16
#define R_CALLER_HASH 17
#define R_TS 9 /* as doubles */
#define R_PID 10
#define R_CPU 11

/* What a record is. */
#define K_EVENT 0 /* taken apart: bytes a..e without its CR, columns filled in */
#define K_ASCII 1 /* a line for the JavaScript path, every byte ASCII: bytes a..e with its CR */
#define K_TEXT 2  /* a line for the JavaScript path with a non-ASCII byte */
#define K_LONG 3  /* a line longer than max_line was dropped */

extern u8 __heap_base;

static i32 recs[MAX_RECS * REC_WORDS] __attribute__((aligned(16)));

static u32 max_line;
/* The input region: an unfinished line carried over, then the bytes of the current slice. */
static u32 region; /* its address */
static u32 cap;    /* its size */
static u32 data_end; /* end of the current data (offset in the region) */
static u32 pos;      /* start of the next line */
static u32 search;   /* where the newline search resumes (bytes pos..search hold none) */
static u32 line_hi;  /* high bits of the bytes pos..search (non-zero: not ASCII) */
static i32 skipping; /* inside a dropped overlong line, up to its newline */
static i32 last_slice; /* the current slice ends a chunk: the overlong rule applies at its end */
static i32 slice_done;
/* Bytes kept free after the region: a 16-byte load at any byte of it stays within the memory. */
#define SLACK 16

/* A byte of linear memory by its address (an integer cast: not arithmetic on a null pointer). */
#define AT(x) ((u8 *)(__UINTPTR_TYPE__)(x))

__attribute__((export_name("records"))) i32 *records(void) { return recs; }
__attribute__((export_name("recordWords"))) u32 record_words(void) { return REC_WORDS; }
__attribute__((export_name("maxRecords"))) u32 max_records(void) { return MAX_RECS; }

/* Forget everything (a new trace); lines longer than maxLine are dropped. */
__attribute__((export_name("init"))) void init(u32 maxLine) {
  max_line = maxLine;
  region = ((u32)&__heap_base + 15) & ~15u;
  cap = ((u32)__builtin_wasm_memory_size(0) << 16) - region - SLACK;
  data_end = pos = search = line_hi = 0;
  skipping = last_slice = 0;
  slice_done = 1;
}

/*
 * Make room for n more bytes after the line carried over: returns the address to write them
 * to, 0 when memory cannot grow. The memory may grow (the caller's views of it are then stale).
 */
__attribute__((export_name("begin"))) u32 begin(u32 n) {
  u32 carry = data_end - pos;
  if (carry && pos) __builtin_memmove(AT(region), AT(region + pos), carry);
  search -= pos;
  data_end = carry;
  pos = 0;
  if (cap - carry < n) {
    u32 need = n - (cap - carry);
    u32 pages = (need + 65535u) >> 16;
    if (__builtin_wasm_memory_grow(0, pages) == (__SIZE_TYPE__)-1) return 0;
    cap += pages << 16;
  }
  return region + carry;
}

/* The first '\n' in region bytes i..end (end when none); the high bits of the bytes before it are ORed into *hi. */
static u32 find_nl(u32 i, u32 end, u32 *hi) {
  const u8 *b = AT(region);
  u32 h = *hi;
  const v128_t nl = wasm_i8x16_splat('\n');
  while (i + 16 <= end) {
    v128_t v = wasm_v128_load(b + i);
    u32 m = wasm_i8x16_bitmask(wasm_i8x16_eq(v, nl));
    u32 t = wasm_i8x16_bitmask(v);
    if (m) {
      u32 k = (u32)__builtin_ctz(m);
      *hi = h | (t & ((1u << k) - 1u));
      return i + k;
    }
    h |= t;
    i += 16;
  }
  for (; i < end; i++) {
    u8 c = b[i];
    if (c == '\n') break;
    h |= c & 0x80;
  }
  *hi = h;
  return i;
}

/* The first i in [i, e) whose byte is ch (e when none): 16 bytes at a time (those after e are ignored). */
static i32 find_eq(i32 i, i32 e, u8 ch) {
  const v128_t v = wasm_i8x16_splat((char)ch);
  while (i < e) {
    u32 m = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(AT(i)), v));
    if (m) {
      i += __builtin_ctz(m);
      return i < e ? i : e;
    }
    i += 16;
  }
  return e;
}

/* The first i in [i, e) whose byte is not ch (e when none). */
static i32 skip_eq(i32 i, i32 e, u8 ch) {
  const v128_t v = wasm_i8x16_splat((char)ch);
  while (i < e) {
    u32 m = ~wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(AT(i)), v)) & 0xffffu;
    if (m) {
      i += __builtin_ctz(m);
      return i < e ? i : e;
    }
    i += 16;
  }
  return e;
}

/*
 * parseEventBytes of lineparse.ts on the bytes a..e (ASCII, no newline), writing its fields into the
 * record r (positions relative to a). Returns 0 for a line it refuses (r then undefined).
 */
static i32 parse(i32 a, i32 e, i32 *r, double *f) {
  u32 c = 0;
  i32 p = skip_eq(a, e, ' ');
  if (p >= e) return 0;
  i32 lb = find_eq(p + 1, e, '[');
  if (lb >= e) return 0;
  i32 i = lb + 1;
  double cpu = 0;
  while (i < e && (c = *AT(i)) >= 48 && c <= 57) {
    cpu = cpu * 10.0 + (double)c - 48.0;
    i++;
  }
  if (i == lb + 1 || i >= e || *AT(i) != 93 /* ] */) return 0;
  i32 rb = i;
  i32 te = lb - 1;
  while (te > p && *AT(te) == 32) te--;
  if (*AT(te) == 41 /* ) */) return 0; /* TGID column: the general path */
  i32 dash = te;
  while (dash >= p && *AT(dash) != 45 /* - */) dash--;
  if (dash < p || dash == te) return 0;
  double pid = 0;
  for (i32 k = dash + 1; k <= te; k++) {
    c = *AT(k);
    if (c < 48 || c > 57) return 0;
    pid = pid * 10.0 + (double)c - 48.0;
  }
  i32 q = skip_eq(rb + 1, e, ' ');
  i32 sp = find_eq(q, e, ' ');
  if (sp >= e) return 0;
  i32 flags_start = -1, flags_end = -1;
  if (*AT(sp - 1) != 58 /* : */) {
    if (sp - q > 8) return 0;
    flags_start = q;
    flags_end = sp;
    q = skip_eq(sp, e, ' ');
    sp = find_eq(q, e, ' ');
    if (sp >= e || *AT(sp - 1) != 58) return 0;
  }
  i32 ts_end = sp - 1;
  c = *AT(q);
  if (c < 48 || c > 57) return 0;
  /* `secs.frac` as parseEventBytes reads it (a '.' in the fraction counts as a digit of value -2 there too). */
  double ts_int = 0, ts_frac = 0, ts_scale = 1;
  i32 k = q;
  for (; k < ts_end; k++) {
    c = *AT(k);
    if (c == 46) break;
    if (c < 48 || c > 57) return 0;
    ts_int = ts_int * 10.0 + (double)c - 48.0;
  }
  for (k++; k < ts_end; k++) {
    c = *AT(k);
    if ((c < 48 || c > 57) && c != 46) return 0;
    if (ts_scale < 1e15) {
      ts_frac = ts_frac * 10.0 + (double)c - 48.0;
      ts_scale *= 10.0;
    }
  }
  i32 ts_start = q;
  q = skip_eq(sp + 1, e, ' ');
  /* The event name up to ':', no space before it; hashed as Math.imul(h, 31) + c. */
  i32 colon = q;
  u32 h = 0;
  while (colon < e && (c = *AT(colon)) != 58 && c != 32) {
    h = h * 31u + c;
    colon++;
  }
  if (colon >= e || c != 58) return 0;
  r[R_TASK_START] = p - a;
  r[R_TASK_END] = dash - a;
  r[R_FLAGS_START] = flags_start < 0 ? -1 : flags_start - a;
  r[R_FLAGS_END] = flags_end < 0 ? -1 : flags_end - a;
  r[R_TS_START] = ts_start - a;
  r[R_TS_END] = ts_end - a;
  r[R_EV_START] = q - a;
  r[R_EV_END] = colon - a;
  r[R_EV_HASH] = (i32)h;
  f[R_TS] = ts_int + ts_frac / ts_scale;
  f[R_PID] = pid;
  f[R_CPU] = cpu;
  /* The body, as parseBody finds it. */
  i32 b = skip_eq(colon + 1, e, ' ');
  u32 caller_hash = 0;
  i32 sym_start = -1, sym_end = -1, arrow = -1, args = b;
  if (b < e && *AT(b) == 40 /* ( */) {
    /* The closing `) ` (first ')' followed by a space, before the last byte)... */
    i32 close = b + 1;
    for (;; close++) {
      close = find_eq(close, e - 1, ')');
      if (close >= e - 1 || *AT(close + 1) == 32) break;
    }
    /* ...and the first ` <- ` before it, the arrow of a return's caller (close + 2 == e: the byte
     * after the line is its CR or newline, never a space). */
    i32 lt = -1;
    for (i32 k = b + 2;; k++) {
      k = find_eq(k, close, '<');
      if (k >= close) break;
      if (*AT(k + 1) == 45 && *AT(k - 1) == 32 && k + 2 < e && *AT(k + 2) == 32) {
        lt = k;
        break;
      }
    }
    /* The caller's hash: every byte before the arrow (its space included). */
    if (lt != -1) {
      u32 ch = 0;
      for (i32 k = b + 1; k < lt; k++) ch = ch * 31u + *AT(k);
      caller_hash = ch;
    }
    if (close >= e - 1) {
      close = *AT(e - 1) == 41 ? e - 1 : -1;
      if (lt != -1 && lt >= close - 2) lt = -1;
    }
    if (close != -1) {
      sym_start = b + 1 - a;
      sym_end = close - a;
      arrow = lt == -1 ? -1 : lt - 1 - a;
      args = skip_eq(close + 1, e, ' ');
    }
  }
  r[R_BODY] = b - a;
  r[R_SYM_START] = sym_start;
  r[R_SYM_END] = sym_end;
  r[R_ARROW] = arrow;
  r[R_ARGS] = args - a;
  r[R_CALLER_HASH] = (i32)caller_hash;
  return 1;
}

/* One complete line region[s..nl) into record n; hi: the high bits of its bytes. */
static void line(u32 n, u32 s, u32 nl, u32 hi) {
  i32 *r = recs + n * REC_WORDS;
  i32 a = (i32)(region + s);
  i32 e = (i32)(region + nl);
  r[R_A] = a;
  if (hi) {
    r[R_KIND] = K_TEXT;
    r[R_E] = e;
    return;
  }
  i32 ec = e > a && *AT(e - 1) == 13 ? e - 1 : e; /* one CR before the newline */
  u8 c0 = *AT(a);
  if (ec > a && c0 != 35 /* # */ && c0 != 64 /* @ */ && parse(a, ec, r, (double *)r)) {
    r[R_KIND] = K_EVENT;
    r[R_E] = ec;
    return;
  }
  r[R_KIND] = K_ASCII;
  r[R_E] = e;
}

/*
 * Lines of the data written after begin(n): records into the table, up to MAX_RECS; returns how
 * many. `last`: these bytes end a chunk of the input. When it returns MAX_RECS, more() gives the
 * next records once the caller has read these (their bytes stay in place until the next begin()).
 */
__attribute__((export_name("more"))) u32 more(void);

__attribute__((export_name("scan"))) u32 scan(u32 n, i32 last) {
  data_end += n;
  last_slice = last;
  slice_done = 0;
  return more();
}

u32 more(void) {
  if (slice_done) return 0;
  u32 nrec = 0;
  if (skipping) {
    u32 hi = 0;
    u32 nl = find_nl(search, data_end, &hi);
    if (nl == data_end) {
      pos = search = data_end; /* all of it dropped */
      slice_done = 1;
      return 0;
    }
    recs[R_KIND] = K_LONG;
    nrec = 1;
    skipping = 0;
    pos = search = nl + 1;
    line_hi = 0;
  }
  while (nrec < MAX_RECS) {
    u32 nl = find_nl(search, data_end, &line_hi);
    if (nl == data_end) {
      search = data_end;
      /* The chunk's unfinished line: kept for the next, or dropped when already too long. */
      if (last_slice && data_end - pos > max_line) {
        skipping = 1;
        pos = search = data_end;
        line_hi = 0;
      }
      slice_done = 1;
      return nrec;
    }
    line(nrec++, pos, nl, line_hi);
    pos = search = nl + 1;
    line_hi = 0;
  }
  return nrec;
}

/* Where the unfinished line starts (its length: finish()). */
__attribute__((export_name("tail"))) u32 tail(void) { return region + pos; }

/*
 * End of input: -1 when it ended inside a dropped overlong line, else the length of the
 * unfinished line at tail() (0: there is none).
 */
__attribute__((export_name("finish"))) i32 finish(void) {
  i32 r = skipping ? -1 : (i32)(data_end - pos);
  skipping = 0;
  return r;
}

/**
 * The code generated for a compiled probe map: per emit, a fill function (direct property stores
 * on the one Ev shape), and per probe, the byte decoder of its learned args layout. Generated so
 * the hot path runs straight-line code with constants instead of walking tables.
 *
 * Only identifiers this module makes (canonical field names checked against FIELD_TYPES, view
 * types, names cleaned to identifiers), integers and JSON literals enter the code.
 */
import type { MappableField } from './probemap.ts';
import { FIELD_TYPES } from './probemap.ts';
import { Src, type CompiledField, type Decoder, type Fill, type ProbePlan } from './plan.ts';
import { funcOf, textField, textOf, VIEW_DECODERS } from './views.ts';

/** A function's source: its name (in stack traces and profiles), parameters and body lines. */
export interface GeneratedCode {
  name: string;
  params: string[];
  body: string[];
}

/** The source text of generated code: what the function it makes prints as. */
export function sourceOf(code: GeneratedCode): string {
  return `function ${code.name}(${code.params.join(', ')}) {\n${code.body.join('\n')}\n}`;
}

/**
 * Make a function of generated code. `deps` are the values the code may name besides its
 * parameters. Its name is what a profile or a stack trace shows. (No `//# sourceURL` comment:
 * measured, it made a trace whose probe switches between two layouts, with a new decoder at each
 * switch, read about a third slower.)
 */
export function generate<F>(code: GeneratedCode, deps: Record<string, unknown>): F {
  if (!IDENT.test(code.name)) throw new Error(`not an identifier: ${code.name}`);
  const names = Object.keys(deps);
  const factory = new Function(...names, `return ${sourceOf(code)};`);
  return factory(...names.map((n) => deps[n])) as F;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A name made an identifier (probe names may hold `:`, `.`, `-`). */
export function identifier(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, '_');
  return IDENT.test(id) ? id : `_${id}`;
}

/**
 * The fill function of one emit: its constant `set` values, then each field from its view
 * (a defined value overrides the constant). Text sources are decoded through `T` (textField)
 * from the caller, `FN(pl)` (funcOf) or `TX(pl)` (textOf); `F[k]` is field k's decoding.
 */
export function fillCode(name: string, set: [MappableField, string | number][], fields: CompiledField[]): GeneratedCode {
  const lines: string[] = ['const cv = call === undefined ? undefined : call.vv;', 'let v;'];
  // One local per within/context probe read, declared once at the top.
  const locals = new Map<string, string>();
  const local = (name: string, init: string): string => {
    let v = locals.get(init);
    if (v === undefined) {
      locals.set(init, (v = name));
      lines.splice(2, 0, `const ${v} = ${init};`);
    }
    return v;
  };
  for (const [f, v] of set) {
    if (!IDENT.test(f) || !(f in FIELD_TYPES)) throw new Error(`not a canonical field: ${f}`);
    lines.push(`ev.${f} = ${JSON.stringify(v)};`);
  }
  fields.forEach((f, k) => {
    if (!IDENT.test(f.field) || !(f.field in FIELD_TYPES)) throw new Error(`not a canonical field: ${f.field}`);
    let get: string;
    switch (f.src) {
      case Src.Self:
        get = f.view < 0 ? 'undefined' : `sv[${f.view}]`;
        break;
      case Src.Entry:
        get = f.view < 0 ? 'undefined' : `(cv === undefined ? undefined : cv[${f.view}])`;
        break;
      case Src.Within: {
        const w = local(`w${locals.size}`, `call === undefined || call.within === undefined ? undefined : call.within.get(${JSON.stringify(f.probe)})`);
        get = `(${w} === undefined ? undefined : ${w}[${f.view}])`;
        break;
      }
      case Src.Context: {
        const c = local(`c${locals.size}`, `em.contextViews(${JSON.stringify(f.probe)}, taskKey)`);
        get = `(${c} === undefined ? undefined : ${c}[${f.view}])`;
        break;
      }
      case Src.Caller:
        get = `T(callerText, F[${k}])`;
        break;
      case Src.Func:
        get = `T(FN(pl), F[${k}])`;
        break;
      case Src.Text:
        get = `T(TX(pl), F[${k}])`;
        break;
    }
    lines.push(`v = ${get}; if (v !== undefined) ev.${f.field} = v;`);
  });
  return { name, params: ['ev', 'sv', 'call', 'em', 'taskKey', 'callerText', 'pl'], body: lines };
}

/** The fill function of one emit of probe `probe` (see fillCode). */
export function compileFill(probe: string, kind: string, set: [MappableField, string | number][], fields: CompiledField[]): Fill {
  const code = fillCode(`fill_${identifier(probe)}_${identifier(kind)}`, set, fields);
  return generate<Fill>(code, { F: fields, T: textField, FN: funcOf, TX: textOf });
}

/**
 * The byte decoder of a plan's learned layout: the token walk of extractByLayout (tokenize.ts)
 * over bytes, unrolled (each token's whole `name=` compared byte by byte), decoding each
 * view of a wanted token as soon as its value is found through `D` (VIEW_DECODERS). It returns
 * false when the line does not fit the layout (the caller then reads it as text; the views
 * written so far are overwritten there). Undefined when no layout is learned.
 */
export function decoderCode(p: ProbePlan): GeneratedCode | undefined {
  const keyIdx = p.layoutKey;
  const lens = p.layoutLen;
  const names = p.layoutNames;
  if (keyIdx === undefined || lens === undefined || names === undefined) return undefined;
  const viewsOfSlot = new Map<number, number[]>();
  p.views.forEach((v, i) => {
    const l = viewsOfSlot.get(v.slot);
    if (l) l.push(i);
    else viewsOfSlot.set(v.slot, [i]);
  });
  const code: string[] = ['let vs = 0, ve = 0;'];
  const inLayout = new Set<number>();
  for (let t = 0; t < keyIdx.length; t++) inLayout.add(keyIdx[t]!);
  // Views of args the layout does not have are absent.
  p.views.forEach((v, i) => {
    if (!inLayout.has(v.slot)) code.push(`vv[${i}] = undefined;`);
  });
  for (let t = 0; t < keyIdx.length; t++) {
    const nl = lens[t]!;
    const name = names[t]!;
    // Bytes are compared with the name's characters: only an ASCII name has one byte per character.
    if (!Number.isInteger(nl) || name.length !== nl || !/^[\x21-\x7e]+$/.test(name)) return undefined;
    const sameName = [...name].map((c, j) => `buf[pos${j ? ` + ${j}` : ''}] !== ${c.charCodeAt(0)}`).join(' || ');
    code.push(
      'if (pos >= len) return false;',
      `vs = pos + ${nl};`,
      `if (vs > len || ${sameName}) return false;`,
      'if (vs < len && buf[vs] === 34) { ve = vs + 1; while (ve < len && buf[ve] !== 34) ve++; ve = ve >= len ? len : ve + 1; }',
      'else { ve = vs; while (ve < len && buf[ve] !== 32) ve++; }',
    );
    for (const i of viewsOfSlot.get(keyIdx[t]!) ?? []) {
      const v = p.views[i]!;
      code.push(`vv[${i}] = D.${v.type}(buf, vs, ve, ${JSON.stringify(v.radix)}, ${JSON.stringify(v.ipv4)});`);
    }
    code.push('pos = ve + 1;');
  }
  code.push('return pos >= len;');
  return { name: `decode_${identifier(p.name)}`, params: ['buf', 'pos', 'len', 'vv'], body: code };
}

/** The byte decoder of a plan's learned layout (see decoderCode). */
export function compileDecoder(p: ProbePlan): Decoder | undefined {
  const code = decoderCode(p);
  return code === undefined ? undefined : generate<Decoder>(code, { D: VIEW_DECODERS });
}

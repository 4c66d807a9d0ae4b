import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { envMissing } from '../../core/errors.ts';
import type { KernelTypes } from './types.ts';
import { TYPES_SCHEMA } from './schema.ts';

/**
 * DWARF fallback for self-built kernels without BTF (the seed era, 2.6.39-3.5): gdb's Python
 * API walks the same member paths and prototypes as the BTF reader and prints JSON in the
 * KernelTypes shape. gdb is the one DWARF reader Debian ships everywhere; pahole is used for
 * BTF generation, not needed here.
 */
function pyScript(wantPath: string, outPath: string): string {
  return `
import gdb, json
want = json.load(open(${JSON.stringify(wantPath)}))
out = {"members": {}, "missingMembers": [], "functions": {}, "missingFunctions": [], "structSizes": {}}

def strip(t):
    while True:
        c = t.code
        if c == gdb.TYPE_CODE_TYPEDEF:
            t = t.target()
        else:
            u = t.unqualified()
            if u == t:
                return t
            t = u

def tinfo(t):
    s = strip(t)
    d = {}
    if s.code == gdb.TYPE_CODE_INT or s.code == gdb.TYPE_CODE_ENUM or s.code == gdb.TYPE_CODE_BOOL or s.code == gdb.TYPE_CODE_CHAR:
        d["signed"] = bool(getattr(s, "is_signed", s.code == gdb.TYPE_CODE_INT and not str(s).startswith("unsigned")))
    if s.code == gdb.TYPE_CODE_PTR:
        d["pointer"] = True
        p = strip(s.target())
        if p.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION) and p.tag:
            d["pointee"] = p.tag
    return d

def find(t, name):
    for f in t.fields():
        if f.name == name:
            return f, f.bitpos
    for f in t.fields():
        if f.name is None or f.name == "":
            inner = strip(f.type)
            if inner.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
                r = find(inner, name)
                if r:
                    return r[0], r[1] + f.bitpos
    return None

def lookup_struct(n):
    for kw in ("struct", "union"):
        try:
            return gdb.lookup_type(kw + " " + n)
        except gdb.error:
            pass
    return None

for p in want["members"]:
    parts = p.split(".")
    st = lookup_struct(parts[0])
    if parts[0] not in out["structSizes"]:
        out["structSizes"][parts[0]] = st.sizeof if st is not None else 0
    if st is None:
        out["missingMembers"].append(p); continue
    cur = strip(st); bit = 0; f = None; ok = True
    for i, step in enumerate(parts[1:]):
        r = find(cur, step)
        if r is None:
            ok = False; break
        f, b = r; bit += b
        if i < len(parts) - 2:
            cur = strip(f.type)
            if cur.code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
                ok = False; break
    if not ok or f is None:
        out["missingMembers"].append(p); continue
    size = f.type.sizeof
    fact = {"path": p, "offset": bit // 8, "size": size, "type": str(f.type)}
    fact.update(tinfo(f.type))
    if f.bitsize:
        unit = max(1, size)
        start = (bit // (unit * 8)) * unit
        if bit - start * 8 + f.bitsize > unit * 8:
            unit = 8; start = (bit // 64) * 8
        fact.update({"offset": start, "size": unit, "bitOffset": bit - start * 8, "bitSize": f.bitsize})
    out["members"][p] = fact

for fn in want["functions"]:
    sym = gdb.lookup_global_symbol(fn) or gdb.lookup_static_symbol(fn)
    if sym is None or sym.type is None or sym.type.code != gdb.TYPE_CODE_FUNC:
        out["missingFunctions"].append(fn); continue
    # A function inlined everywhere has DWARF but no code of its own: like BTF, report it missing.
    try:
        addr = int(sym.value().address)
    except Exception:
        addr = 0
    if not addr:
        out["missingFunctions"].append(fn); continue
    params = []
    try:
        # The entry pc may sit in a function gcc inlined there (dev_net in ipv4_dst_check): climb
        # to the block of this very function, not the first block that names a function.
        blk = gdb.block_for_pc(addr)
        while blk is not None and (blk.function is None or blk.function.name != fn):
            blk = blk.superblock
        if blk is None:
            raise Exception("no block of its own")
        for s in (blk or []):
            if s.is_argument:
                d = {"name": s.name, "type": str(s.type), "size": s.type.sizeof}
                d.update(tinfo(s.type)); params.append(d)
    except Exception:
        params = [dict({"name": "arg%d" % (i + 1), "type": str(a.type), "size": a.type.sizeof}, **tinfo(a.type)) for i, a in enumerate(sym.type.fields())]
    rt = sym.type.target()
    f = {"name": fn, "params": params, "returns": str(rt), "returnSize": 0 if rt.code == gdb.TYPE_CODE_VOID else rt.sizeof,
         "linkage": "global" if gdb.lookup_global_symbol(fn) else "static"}
    ri = tinfo(rt)
    if ri.get("pointer"):
        f["returnPointer"] = True
        if "pointee" in ri: f["returnPointee"] = ri["pointee"]
    out["functions"][fn] = f

json.dump(out, open(${JSON.stringify(outPath)}, "w"))
`;
}

export async function readDwarfTypes(vmlinux: string, wanted: { members: readonly string[]; functions: readonly string[] }): Promise<KernelTypes> {
  const q = $({ quiet: true, nothrow: true });
  if ((await q`command -v gdb`).exitCode !== 0) {
    throw envMissing(`${vmlinux} has DWARF but no BTF, and gdb (the DWARF reader) is not installed: apt-get install gdb`);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'peerprop-dwarf-'));
  try {
    const wantPath = path.join(dir, 'want.json');
    const outPath = path.join(dir, 'out.json');
    const scriptPath = path.join(dir, 'types.py');
    await writeFile(wantPath, JSON.stringify(wanted));
    await writeFile(scriptPath, pyScript(wantPath, outPath));
    const r = await q`gdb --batch -nx -ex ${`python exec(open(${JSON.stringify(scriptPath)}).read())`} ${vmlinux}`;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(await readFile(outPath, 'utf8'));
    } catch {
      const why = r.stderr.split('\n').filter(Boolean).pop() ?? `exit ${r.exitCode}`;
      throw envMissing(`gdb could not read the DWARF of ${vmlinux}: ${why}`);
    }
    return { schema: TYPES_SCHEMA, source: `DWARF of ${vmlinux} (gdb)`, format: 'dwarf', ...parsed } as KernelTypes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A rule's `when` conditions on one line: each reads a view of the line, of its entry, of an open
 * call (within./context.), or text of the line ($caller, $func, $text), and tests it.
 */
import { isErrPtr } from './decode.ts';
import type { ParsedLine } from './lineparse.ts';
import { Src, type CompiledCond, type FieldGetter, type OpenCalls, type PendingCall, type ViewValue } from './plan.ts';
import { decodeView, funcOf, textOf } from './views.ts';

/** A view's value (undefined when the argument is absent, or the call or probe it is read from is not there). */
function viewValue(view: number, g: FieldGetter, vv: ViewValue[], call: PendingCall | undefined, calls: OpenCalls, taskKey: number): ViewValue {
  if (view < 0) return undefined;
  switch (g.src) {
    case Src.Self:
      return vv[view];
    case Src.Entry:
      return call ? call.vv[view] : undefined;
    case Src.Within:
      return call?.within?.get(g.probe)?.[view];
    case Src.Context:
      return calls.contextViews(g.probe, taskKey)?.[view];
    default:
      return undefined;
  }
}

/** Whether condition `c` holds on the line (its views `vv`, its entry `call`, its caller text). */
export function conditionHolds(
  c: CompiledCond, vv: ViewValue[], call: PendingCall | undefined, calls: OpenCalls, taskKey: number,
  pl: ParsedLine, callerText: string | undefined,
): boolean {
  let present: boolean;
  let v: ViewValue;
  if (c.src === Src.Caller || c.src === Src.Func || c.src === Src.Text) {
    const raw = c.src === Src.Caller ? callerText : c.src === Src.Func ? funcOf(pl) : textOf(pl);
    present = raw !== undefined;
    v = raw === undefined ? undefined : decodeView(raw, c.decodeAs);
  } else {
    present = viewValue(c.presence, c, vv, call, calls, taskKey) !== undefined;
    v = viewValue(c.view, c, vv, call, calls, taskKey);
  }
  switch (c.op) {
    case 'present':
      return present;
    case 'absent':
      return !present;
    case 'zero':
      return present && v === '0x0';
    case 'nonzero':
      return present && v !== undefined && v !== '0x0';
    case 'errptr':
      return present && v !== undefined && isErrPtr(v as string);
    case 'noterrptr':
      return present && !(v !== undefined && isErrPtr(v as string));
    case 'eq':
      return present && v === c.to;
    case 'ne':
      return present && v !== c.to;
    default:
      return false;
  }
}

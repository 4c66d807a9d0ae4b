/** Windows of route creations, exception updates and flushes in the fnhe era (which may have raced which). */
import { describe, expect, it } from 'vitest';
import { CreationRaces } from '../../src/replay/fnhe-races.ts';
import { callKey, IRQ_SOFT } from '../../src/trace/callctx.ts';

const TASK_A = 100;
const TASK_B = 101;
const SOFT0 = callKey(undefined, 0, IRQ_SOFT);

function races() {
  const marked: string[] = [];
  const changed: string[] = [];
  const c = new CreationRaces<string>(
    (r) => marked.push(r),
    (r, why) => changed.push(`${r}:${why}`),
  );
  return { c, marked, changed };
}

describe('fnhe creation races', () => {
  it('an update whose context has shown nothing since overlaps a later creation; once it moved on, it does not', () => {
    const { c } = races();
    c.seen(TASK_A);
    c.updated(TASK_A, '10.0.3.1');
    c.seen(TASK_B);
    expect(c.created(TASK_B, 'R1', true, '10.0.3.1')).toEqual({ raced: true, updated: true });
    // Task A prints again: its update returned. A creation whose window (from B's previous event) starts after that is clean.
    c.seen(TASK_A);
    c.seen(TASK_B);
    c.seen(TASK_B);
    expect(c.created(TASK_B, 'R2', true, '10.0.3.1')).toEqual({ raced: false, updated: false });
  });

  it("an update of another destination's exception does not change the one a route binds", () => {
    const { c } = races();
    c.seen(TASK_A);
    c.updated(TASK_A, '10.0.4.1');
    c.seen(TASK_B);
    expect(c.created(TASK_B, 'R1', true, '10.0.3.1').updated).toBe(false);
  });

  it('a softirq update has returned once its CPU shows a task-level event (not one on another CPU)', () => {
    const other = races();
    other.c.seen(SOFT0, [], 0, IRQ_SOFT);
    other.c.updated(SOFT0, '10.0.3.1');
    other.c.seen(TASK_B, [], 1, 0); // another CPU: the softirq may still run
    other.c.seen(TASK_B, [], 1, 0);
    expect(other.c.created(TASK_B, 'R1', true, '10.0.3.1').updated).toBe(true);
    const same = races();
    same.c.seen(SOFT0, [], 0, IRQ_SOFT);
    same.c.updated(SOFT0, '10.0.3.1');
    same.c.seen(TASK_B, [SOFT0], 0, 0); // CPU 0 runs task code again: the softirq returned
    same.c.seen(TASK_B, [], 0, 0);
    expect(same.c.created(TASK_B, 'R1', true, '10.0.3.1').updated).toBe(false);
  });

  it('a creation still open when another context creates or updates is marked (displaced, or cached past a kill)', () => {
    const { c, marked, changed } = races();
    c.seen(TASK_A);
    c.created(TASK_A, 'R1', true, '10.0.3.1');
    c.seen(TASK_B);
    c.updated(TASK_B, '10.0.3.1');
    expect(marked).toEqual(['R1']);
    expect(changed).toEqual(['R1:updated']);
  });

  it('a flush elsewhere since the previous event of the context (or still open) is reported; a /proc flush marks open binds', () => {
    const { c, changed } = races();
    c.seen(TASK_A);
    c.created(TASK_A, 'R1', true, '10.0.3.1');
    c.seen(TASK_B);
    c.flushed(TASK_B, true);
    expect(changed).toEqual(['R1:fnhe-genid']);
    c.seen(TASK_A);
    expect(c.flushSincePrevious(TASK_A)).toBe(true);
    expect(c.effectOpen(TASK_A)).toBe(true);
    c.seen(TASK_B);
    c.seen(TASK_A);
    c.seen(TASK_A);
    expect(c.flushSincePrevious(TASK_A, true)).toBe(false);
    expect(c.effectOpen(TASK_A)).toBe(false);
  });
});

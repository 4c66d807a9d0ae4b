/**
 * The scheduler of the multi-CPU models (smp.ts for the routing-cache eras, smp-fnhe.ts for the
 * fnhe era): which task takes the next atomic step. The schedule's entries pick among the tasks
 * that can step now (modulo their number); with a fault, the faulty call runs alone once every
 * call in flight has finished, so its effect shows at one line.
 */
export interface SchedulerTasks {
  count: number;
  /** The task has calls (or steps) left. */
  hasWork(t: number): boolean;
  /** The task can step now (not pushed off every CPU by softirqs in progress). */
  canRun(t: number): boolean;
  /** The task is inside a call. */
  inFlight(t: number): boolean;
  /** The index of the task's next call (its current one while in flight). */
  nextCall(t: number): number;
  /** One atomic step of the task. */
  step(t: number): void;
  /** Before the faulty call's first step (e.g. it starts in task context). */
  beforeFault?(t: number): void;
}

export function runSchedule(tasks: SchedulerTasks, schedule: readonly number[], fault?: { task: number; call: number }): void {
  let k = 0;
  for (;;) {
    const ready: number[] = [];
    for (let t = 0; t < tasks.count; t++) if (tasks.hasWork(t) && tasks.canRun(t)) ready.push(t);
    if (ready.length === 0) return;
    let t = ready[(schedule.length ? schedule[k++ % schedule.length]! : k++) % ready.length]!;
    if (fault && t === fault.task && !tasks.inFlight(t) && tasks.nextCall(t) + 1 === fault.call) {
      // The faulty call starts: let every call in flight finish first, then run it alone.
      for (let o = 0; o < tasks.count; o++) while (o !== t && tasks.inFlight(o)) tasks.step(o);
      tasks.beforeFault?.(t);
      tasks.step(t);
      while (tasks.inFlight(t)) tasks.step(t);
      continue;
    }
    if (fault && tasks.inFlight(fault.task) && t !== fault.task) t = fault.task;
    tasks.step(t);
  }
}

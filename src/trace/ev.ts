import type { CanonicalEvent, EventKind } from './events.ts';

/**
 * A canonical event with every field declared, so all events share one object shape (fast for
 * the reader and for whoever consumes them). Unobserved fields are undefined.
 */
export class Ev implements CanonicalEvent {
  declare kind: EventKind;
  declare file: string;
  declare line: number;
  declare ts: number | undefined;
  declare cpu: number | undefined;
  declare task: string | undefined;
  declare pid: number | undefined;
  /** Interrupt level when the line's flags show one (callctx.ts); set only then. */
  declare irq: number | undefined;
  declare probe: string | undefined;
  declare caller: string | undefined;
  declare unpaired: number | undefined;
  declare rt: string | undefined;
  declare daddr: string | undefined;
  declare peer: string | undefined;
  declare peerBefore: string | undefined;
  declare create: number | undefined;
  declare rtGenid: number | undefined;
  declare genid: number | undefined;
  declare ret: string | undefined;
  declare old: number | undefined;
  declare new: number | undefined;
  declare mtu: number | undefined;
  declare gateway: string | undefined;
  declare oldGateway: string | undefined;
  declare rtGateway: string | undefined;
  declare rtMtu: number | undefined;
  declare flags: number | undefined;
  declare obsolete: number | undefined;
  declare net: string | undefined;
  declare fnheGenid: number | undefined;
  declare exceptionGenid: number | undefined;
  declare counter: 'peer' | 'rt' | 'fnhe' | undefined;
  declare text: string | undefined;
  declare fnhe: string | undefined;
  declare dev: string | undefined;
  declare oldMtu: number | undefined;
  declare pmtuLearned: number | undefined;
  declare pmtuOrig: number | undefined;
  declare pmtuExpires: number | undefined;
  declare now: number | undefined;
  declare redirectLearned: string | undefined;
  declare devMtu: number | undefined;
  declare metrics: string | undefined;
  declare mtuMetric: number | undefined;
  declare mtuMetricRo: number | undefined;
  declare icmpMtu: number | undefined;
  declare minPmtu: number | undefined;
  constructor(
    kind: EventKind, file: string, line: number, ts?: number, cpu?: number, task?: string, pid?: number,
    probe?: string, caller?: string,
  ) {
    // Assignments in the constructor (not class fields): one hidden class, fastest allocation.
    this.kind = kind;
    this.file = file;
    this.line = line;
    this.ts = ts;
    this.cpu = cpu;
    this.task = task;
    this.pid = pid;
    this.probe = probe;
    this.caller = caller;
    this.unpaired = undefined;
    this.rt = undefined;
    this.daddr = undefined;
    this.peer = undefined;
    this.peerBefore = undefined;
    this.create = undefined;
    this.rtGenid = undefined;
    this.genid = undefined;
    this.ret = undefined;
    this.old = undefined;
    this.new = undefined;
    this.mtu = undefined;
    this.gateway = undefined;
    this.oldGateway = undefined;
    this.rtGateway = undefined;
    this.rtMtu = undefined;
    this.flags = undefined;
    this.obsolete = undefined;
    this.net = undefined;
    this.fnheGenid = undefined;
    this.exceptionGenid = undefined;
    this.counter = undefined;
    this.text = undefined;
    this.fnhe = undefined;
    this.dev = undefined;
    this.oldMtu = undefined;
    this.pmtuLearned = undefined;
    this.pmtuOrig = undefined;
    this.pmtuExpires = undefined;
    this.now = undefined;
    this.redirectLearned = undefined;
    this.devMtu = undefined;
    this.metrics = undefined;
    this.mtuMetric = undefined;
    this.mtuMetricRo = undefined;
    this.icmpMtu = undefined;
    this.minPmtu = undefined;
  }
}

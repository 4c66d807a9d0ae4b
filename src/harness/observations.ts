/**
 * The workload's records (workload/wl.h documents the protocol) as data: per scenario, what
 * a user observed at each step.
 *
 *   @@OBS scenario=udp-pmtu step=icmp sock=A ip_mtu=1200
 *   @@OBS scenario=udp-pmtu step=icmp route=A dst=198.51.100.10 via=192.0.2.2 mtu=1200 lock=0
 */

export interface Observation {
  scenario: string;
  step: string;
  /** The subject: `sock=A` -> { kind: 'sock', id: 'A' }; lines without one have kind 'none'. */
  subject: { kind: 'sock' | 'route' | 'none'; id: string };
  fields: Record<string, string>;
  /** 1-based line in the capture (for reports). */
  line: number;
}

export interface ScenarioRecord {
  name: string;
  begun: boolean;
  ended: boolean;
  rc?: number;
  steps: string[];
  observations: Observation[];
  notes: string[];
  errors: string[];
}

export interface WorkloadRecords {
  started: boolean;
  ended: boolean;
  rc?: number;
  /** Scenario list announced at start. */
  announced: string[];
  scenarios: Map<string, ScenarioRecord>;
  /** Errors outside any scenario (unknown scenario name ...). */
  errors: string[];
}

function kv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tok of text.trim().split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq > 0) out[tok.slice(0, eq)] = tok.slice(eq + 1);
  }
  return out;
}

export function parseWorkload(lines: { text: string; line: number }[]): WorkloadRecords {
  const w: WorkloadRecords = { started: false, ended: false, announced: [], scenarios: new Map(), errors: [] };
  const rec = (name: string): ScenarioRecord => {
    let r = w.scenarios.get(name);
    if (!r) {
      r = { name, begun: false, ended: false, steps: [], observations: [], notes: [], errors: [] };
      w.scenarios.set(name, r);
    }
    return r;
  };
  for (const { text, line } of lines) {
    const sp = text.indexOf(' ');
    const tag = sp < 0 ? text : text.slice(0, sp);
    const rest = sp < 0 ? '' : text.slice(sp + 1);
    switch (tag) {
      case '@@WL_START': {
        w.started = true;
        const s = kv(rest).scenarios;
        w.announced = s ? s.split(',').filter(Boolean) : [];
        break;
      }
      case '@@WL_END':
        w.ended = true;
        w.rc = Number(kv(rest).rc);
        break;
      case '@@SCENARIO_BEGIN':
        rec(rest.trim()).begun = true;
        break;
      case '@@SCENARIO_END': {
        const [name] = rest.trim().split(/\s+/);
        const r = rec(name!);
        r.ended = true;
        r.rc = Number(kv(rest).rc);
        break;
      }
      case '@@STEP': {
        const [name, step] = rest.trim().split(/\s+/);
        if (name && step) rec(name).steps.push(step);
        break;
      }
      case '@@OBS': {
        const f = kv(rest);
        const scenario = f.scenario ?? '';
        const step = f.step ?? '';
        delete f.scenario;
        delete f.step;
        let subject: Observation['subject'] = { kind: 'none', id: '' };
        if (f.sock !== undefined) {
          subject = { kind: 'sock', id: f.sock };
          delete f.sock;
        } else if (f.route !== undefined) {
          subject = { kind: 'route', id: f.route };
          delete f.route;
        }
        rec(scenario).observations.push({ scenario, step, subject, fields: f, line });
        break;
      }
      case '@@NOTE':
      case '@@ERROR': {
        const m = /^scenario=(\S+)\s*(.*)$/.exec(rest);
        if (!m) {
          if (tag === '@@ERROR') w.errors.push(rest);
          break;
        }
        const r = rec(m[1]!);
        (tag === '@@ERROR' ? r.errors : r.notes).push(m[2]!);
        break;
      }
    }
  }
  return w;
}

/** The value of `key` observed at `step` for subject `kind=id` (the last one, if several). */
export function observed(r: ScenarioRecord, step: string, kind: 'sock' | 'route' | 'none', id: string, key: string): string | undefined {
  let v: string | undefined;
  for (const o of r.observations) {
    if (o.step === step && o.subject.kind === kind && o.subject.id === id && o.fields[key] !== undefined) v = o.fields[key];
  }
  return v;
}

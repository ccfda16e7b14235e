import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { seededRandom } from '../util/rng';

// Faults on demand. A rule matches requests (method, path regex, operation id,
// subscription) and injects one effect, with a seeded probability and optional limits.

export type FaultAction =
  /** Answer with this status and an ARM error body instead of processing the request. */
  | { kind: 'status'; status: number; code?: string; message?: string; retryAfterSeconds?: number }
  /** 429 with Retry-After, as ARM throttling does. */
  | { kind: 'throttle'; retryAfterSeconds?: number }
  /** Close the connection without an answer; 'after' processes the request first (the client never learns it worked). */
  | { kind: 'drop'; phase?: 'before' | 'after' }
  /** Answer normally, after a delay of real milliseconds. */
  | { kind: 'delay'; ms: number }
  /** Accept a long-running Site Recovery operation, then fail its job with this ASR error. */
  | {
      kind: 'failJob';
      code?: string;
      message?: string;
      possibleCauses?: string;
      recommendedAction?: string;
      providerErrorCode?: number;
      atTask?: number;
    };

export interface FaultMatch {
  method?: string;
  /** Regular expression tested against the path (case-insensitive). */
  path?: string;
  operationId?: string;
  subscriptionId?: string;
}

export interface FaultRule {
  id?: string;
  match?: FaultMatch;
  action: FaultAction;
  /** 0..1, drawn from the emulator's seeded generator. Default 1. */
  probability?: number;
  /** Let this many matching requests through before the rule starts firing. */
  after?: number;
  /** Fire at most this many times. */
  times?: number;
}

export interface FaultRuleState extends FaultRule {
  id: string;
  matched: number;
  fired: number;
}

export interface FaultRequest {
  method: string;
  path: string;
  operationId?: string;
  subscriptionId?: string;
}

const KINDS = new Set(['status', 'throttle', 'drop', 'delay', 'failJob']);

export function validateRule(r: unknown, where: string): FaultRule {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof r !== 'object' || r === null) return fail('a fault rule must be an object with an "action"');
  const rule = r as FaultRule;
  if (typeof rule.action !== 'object' || rule.action === null || !KINDS.has((rule.action as { kind: string }).kind)) {
    return fail(`action.kind must be one of ${[...KINDS].join(', ')}`);
  }
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1))
    fail('probability must be between 0 and 1');
  if (rule.action.kind === 'status' && !(rule.action.status >= 400 && rule.action.status <= 599))
    fail('action.status must be an HTTP error status (400-599)');
  if (rule.action.kind === 'delay' && !(rule.action.ms >= 0))
    fail('action.ms must be a non-negative number of milliseconds');
  if (rule.match?.path !== undefined) {
    try {
      new RegExp(rule.match.path, 'i');
    } catch (e) {
      fail(`match.path is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  return rule;
}

export function loadFaultFile(file: string): FaultRule[] {
  const data: unknown = parseYaml(readFileSync(file, 'utf8'));
  const list = Array.isArray(data) ? data : (data as { rules?: unknown[] } | null)?.rules;
  if (!Array.isArray(list)) throw new Error(`${file}: expected a list of fault rules (or {rules: [...]})`);
  return list.map((r, i) => validateRule(r, `${file}: rule ${i + 1}`));
}

export class FaultInjector {
  private rules: FaultRuleState[] = [];
  private random: () => number;
  private counter = 0;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  add(rule: FaultRule): FaultRuleState {
    const state: FaultRuleState = { ...rule, id: rule.id ?? `fault-${++this.counter}`, matched: 0, fired: 0 };
    this.rules = this.rules.filter((r) => r.id !== state.id);
    this.rules.push(state);
    return state;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRuleState[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The first rule that fires for this request, if any. `kinds` limits which actions are considered. */
  pick(req: FaultRequest, kinds: ReadonlyArray<FaultAction['kind']>): FaultRuleState | undefined {
    for (const r of this.rules) {
      if (!kinds.includes(r.action.kind)) continue;
      if (!matches(r.match, req)) continue;
      r.matched += 1;
      if (r.after !== undefined && r.matched <= r.after) continue;
      if (r.times !== undefined && r.fired >= r.times) continue;
      if (r.probability !== undefined && r.probability < 1 && this.random() >= r.probability) continue;
      r.fired += 1;
      return r;
    }
    return undefined;
  }

  /** Gives back a firing that had no effect (a failJob rule met a request that started no job). */
  refund(rule: FaultRuleState): void {
    rule.fired = Math.max(0, rule.fired - 1);
  }
}

function matches(m: FaultMatch | undefined, req: FaultRequest): boolean {
  if (!m) return true;
  if (m.method !== undefined && m.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (m.operationId !== undefined && m.operationId.toLowerCase() !== (req.operationId ?? '').toLowerCase())
    return false;
  if (m.subscriptionId !== undefined && m.subscriptionId.toLowerCase() !== (req.subscriptionId ?? '').toLowerCase())
    return false;
  if (m.path !== undefined && !new RegExp(m.path, 'i').test(req.path)) return false;
  return true;
}

// What the admin API exposes about traffic: a bounded request log (optionally with bodies,
// for conformance checks) and counters of *effective* operations — requests that changed
// something (a job started, a resource created), not those answered idempotently.

export interface RequestLogEntry {
  seq: number;
  time: string;
  /** The x-ms-request-id (and x-ms-correlation-request-id) of the answer, as Azure sends them. */
  requestId?: string;
  method: string;
  path: string;
  query: string;
  status: number;
  operationId?: string;
  tenantId?: string;
  appId?: string;
  subscriptionId?: string;
  durationMs: number;
  fault?: string;
  throttled?: boolean;
  requestBody?: unknown;
  responseBody?: unknown;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  /** Bodies are kept for the newest `bodyCapacity` entries only, so a long run does not hoard memory. */
  constructor(
    private readonly capacity = 20_000,
    public recordBodies = true,
    private readonly bodyCapacity = 5_000,
  ) {}

  add(e: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const entry: RequestLogEntry = { seq: ++this.seq, ...e };
    if (!this.recordBodies) {
      delete entry.requestBody;
      delete entry.responseBody;
    }
    this.entries.push(entry);
    const old = this.entries[this.entries.length - 1 - this.bodyCapacity];
    if (old) {
      delete old.requestBody;
      delete old.responseBody;
    }
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    return entry;
  }

  since(seq: number, withBodies: boolean): RequestLogEntry[] {
    return this.entries
      .filter((e) => e.seq > seq)
      .map((e) => {
        if (withBodies) return e;
        const { requestBody: _q, responseBody: _r, ...rest } = e;
        return rest;
      });
  }

  lastSeq(): number {
    return this.seq;
  }

  clear(): void {
    this.entries = [];
  }
}

export class Counters {
  private data = new Map<string, Map<string, number>>();
  private labels = new Map<string, string>();

  /** `resource` is an ARM id (or a name for non-ARM things); `label` a human name like the VM. */
  inc(operation: string, resource: string, label?: string): void {
    let m = this.data.get(operation);
    if (!m) {
      m = new Map();
      this.data.set(operation, m);
    }
    const key = resource.toLowerCase();
    m.set(key, (m.get(key) ?? 0) + 1);
    if (label !== undefined) this.labels.set(key, label);
  }

  get(operation: string, resource: string): number {
    return this.data.get(operation)?.get(resource.toLowerCase()) ?? 0;
  }

  toJSON(): Record<string, Record<string, { count: number; label?: string }>> {
    const out: Record<string, Record<string, { count: number; label?: string }>> = {};
    for (const [op, m] of this.data) {
      out[op] = {};
      for (const [res, count] of m) {
        const label = this.labels.get(res);
        out[op][res] = label !== undefined ? { count, label } : { count };
      }
    }
    return out;
  }

  clear(): void {
    this.data.clear();
    this.labels.clear();
  }
}

import type { IncomingHttpHeaders } from 'node:http';

export interface RequestContext {
  method: string;
  url: URL;
  /** Path without query string, as received (ARM paths are matched case-insensitively). */
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** Parsed JSON body, or undefined when empty / not JSON. */
  body: unknown;
  params: Record<string, string>;
  requestId: string;
  /** Origin the client used, e.g. https://127.0.0.1:4443, for absolute links in headers. */
  origin: string;
}

export interface HttpResult {
  status: number;
  headers?: Record<string, string>;
  /** JSON body; omitted for 202/204 without content. */
  body?: unknown;
  /** Non-JSON body (form posts, text). */
  text?: string;
  contentType?: string;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): HttpResult {
  return { status, body, ...(headers ? { headers } : {}) };
}

import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpResult, RequestContext } from './types';

export interface Outcome {
  result: HttpResult;
  /** Close the socket without answering (before = nothing processed; after = processed, answer lost). */
  drop?: 'before' | 'after';
  delayMs?: number;
}

export type Dispatcher = (ctx: RequestContext) => Promise<Outcome>;

const MAX_BODY = 16 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function writeResult(res: ServerResponse, result: HttpResult, requestId: string): void {
  const headers: Record<string, string> = {
    'x-ms-request-id': requestId,
    'x-ms-correlation-request-id': requestId,
    ...(result.headers ?? {}),
  };
  let payload: string | undefined;
  if (result.text !== undefined) {
    payload = result.text;
    headers['content-type'] = result.contentType ?? 'text/plain; charset=utf-8';
  } else if (result.body !== undefined) {
    payload = JSON.stringify(result.body);
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  else headers['content-length'] = '0';
  res.writeHead(result.status, headers);
  res.end(payload);
}

export function createHttpsServer(tls: { certPem: string; keyPem: string }, dispatch: Dispatcher): https.Server {
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem, keepAlive: true }, (req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 30_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch {
      res.destroy();
      return;
    }
    const host = req.headers.host ?? `127.0.0.1:${(server.address() as { port: number } | null)?.port ?? 0}`;
    // ARM takes `//subscriptions/…`, which @azure/arm-resources sends for calls by resource id
    // (`/{resourceId}` with an id that starts with '/'); as a URL it would name a host.
    const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), `https://${host}`);
    let body: unknown;
    if (raw.length > 0 && !/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? ''))) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        writeResult(
          res,
          {
            status: 400,
            body: {
              error: {
                code: 'InvalidRequestContent',
                message: 'The request content was invalid and could not be deserialized: the body is not valid JSON.',
              },
            },
          },
          requestId,
        );
        return;
      }
    }
    const ctx: RequestContext = {
      method: req.method ?? 'GET',
      url,
      path: decodePath(url.pathname),
      headers: req.headers,
      rawBody: raw,
      body,
      params: {},
      requestId,
      origin: `https://${host}`,
    };
    let outcome: Outcome;
    try {
      outcome = await dispatch(ctx);
    } catch (e) {
      outcome = {
        result: { status: 500, body: { error: { code: 'InternalServerError', message: (e as Error).message } } },
      };
    }
    if (outcome.drop === 'before' || outcome.drop === 'after') {
      req.socket.destroy();
      return;
    }
    if (outcome.delayMs) await new Promise((r) => setTimeout(r, outcome.delayMs));
    if (res.destroyed) return;
    writeResult(res, outcome.result, requestId);
  }

  return server;
}

function decodePath(p: string): string {
  try {
    return decodeURI(p);
  } catch {
    return p;
  }
}

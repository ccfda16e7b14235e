import findMyWay from 'find-my-way';
import type { EmulatorCore } from '../core';
import type { AccessClaims } from '../entra/tokens';
import type { HttpResult, RequestContext } from '../https/types';
import type { FaultRuleState } from '../faults/rules';
import { authenticate } from './auth';
import { ArmError } from './errors';
import type { RequestClass } from './throttling';

export const API = {
  asr: [
    '2023-06-01',
    '2023-04-01',
    '2023-02-01',
    '2023-01-01',
    '2023-08-01',
    '2024-01-01',
    '2024-02-01',
    '2024-04-01',
    '2024-10-01',
    '2025-01-01',
    '2025-02-01',
  ],
  vaults: [
    '2024-04-01',
    '2024-02-01',
    '2024-01-01',
    '2023-08-01',
    '2023-06-01',
    '2023-04-01',
    '2023-02-01',
    '2024-09-30-preview',
    '2024-10-01',
    '2025-02-01',
  ],
  storage: [
    '2025-08-01',
    '2025-06-01',
    '2025-01-01',
    '2024-01-01',
    '2023-05-01',
    '2023-01-01',
    '2022-09-01',
    '2021-09-01',
  ],
  network: [
    '2024-05-01',
    '2024-07-01',
    '2024-10-01',
    '2025-01-01',
    '2025-03-01',
    '2025-05-01',
    '2024-03-01',
    '2024-01-01',
    '2023-11-01',
    '2023-09-01',
  ],
  // Microsoft.Compute (availability sets): recent stable versions, 2024-07-01 first.
  compute: [
    '2024-07-01',
    '2024-11-01',
    '2025-04-01',
    '2024-03-01',
    '2023-09-01',
    '2023-07-01',
    '2023-03-01',
    '2022-11-01',
    '2022-08-01',
  ],
  resources: [
    '2025-04-01',
    '2024-11-01',
    '2024-07-01',
    '2024-03-01',
    '2023-07-01',
    '2022-09-01',
    '2021-04-01',
    '2020-06-01',
  ],
  any: [] as string[],
} as const;

export interface ArmContext extends RequestContext {
  core: EmulatorCore;
  claims: AccessClaims;
  subscriptionId: string;
  apiVersion: string;
  now: number;
  query: URLSearchParams;
  operationId: string;
  /** Faults that act on accepted work (failJob) for this request, if one fired. */
  jobFault?: FaultRuleState;
  /** Records an effective operation on a resource for the admin counters. */
  count(resource: string, label?: string): void;
}

export type ArmHandler = (ctx: ArmContext) => HttpResult | Promise<HttpResult>;

export interface ArmRoute {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH' | 'HEAD';
  path: string;
  operationId: string;
  apiVersions: readonly string[];
  handler: ArmHandler;
}

interface Stored {
  route: ArmRoute;
}

export interface Dispatch {
  result: HttpResult;
  operationId?: string;
  subscriptionId?: string;
  claims?: AccessClaims;
  fault?: FaultRuleState;
  throttled?: boolean;
  /** Transport-level effects the server applies. */
  dropBefore?: boolean;
  dropAfter?: boolean;
  delayMs?: number;
}

export class ArmRouter {
  private readonly fmw = findMyWay({ caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 400 });
  readonly routes: ArmRoute[] = [];
  private readonly suffixRoutes: Array<{ pattern: RegExp; route: ArmRoute }> = [];

  /** Routes matched by a regular expression on the path when no exact route matches (named groups become params). */
  addPattern(pattern: RegExp, route: ArmRoute): void {
    this.routes.push(route);
    this.suffixRoutes.push({ pattern, route });
  }

  add(route: ArmRoute): void {
    this.routes.push(route);
    const stored: Stored = { route };
    this.fmw.on(route.method, route.path, () => undefined, stored);
  }

  match(method: string, path: string): { route: ArmRoute; params: Record<string, string> } | undefined {
    const found = this.fmw.find(method as 'GET', path);
    if (!found) {
      for (const r of this.suffixRoutes) {
        if (r.route.method !== method) continue;
        const m = r.pattern.exec(path);
        if (m) return { route: r.route, params: { ...(m.groups ?? {}) } };
      }
      return undefined;
    }
    const store = found.store as Stored;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) if (typeof v === 'string') params[k] = decodeURIComponent(v);
    return { route: store.route, params };
  }

  async dispatch(core: EmulatorCore, ctx: RequestContext): Promise<Dispatch> {
    const method = ctx.method.toUpperCase();
    const matched = this.match(method, ctx.path);
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(ctx.path)?.[1];
    const out: Dispatch = { result: { status: 500 }, ...(subscriptionId ? { subscriptionId } : {}) };
    try {
      if (!matched) {
        const anyMethod = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'].some(
          (m) => m !== method && this.match(m, ctx.path),
        );
        if (anyMethod)
          throw new ArmError(
            405,
            'MethodNotAllowed',
            `The requested resource does not support http method '${method}'.`,
          );
        throw new ArmError(
          404,
          'InvalidResourceType',
          `The resource type could not be found in the namespace for api version '${ctx.url.searchParams.get('api-version') ?? ''}'. Path: ${ctx.path}`,
        );
      }
      const { route, params } = matched;
      out.operationId = route.operationId;
      const faultReq = {
        method,
        path: ctx.path,
        operationId: route.operationId,
        ...(subscriptionId ? { subscriptionId } : {}),
      };

      const pre = core.faults.pick(faultReq, ['status', 'throttle', 'drop', 'delay']);
      if (pre) {
        out.fault = pre;
        const a = pre.action;
        if (a.kind === 'drop' && (a.phase ?? 'before') === 'before') {
          out.dropBefore = true;
          return out;
        }
        if (a.kind === 'drop') out.dropAfter = true;
        if (a.kind === 'delay') out.delayMs = a.ms;
        if (a.kind === 'throttle') {
          const s = a.retryAfterSeconds ?? 5;
          throw new ArmError(
            429,
            'TooManyRequests',
            `The request is being throttled as the limit has been reached for operation type - ${method === 'GET' ? 'Read' : 'Write'}. For more information, see - https://aka.ms/srpthrottlinglimits`,
            { headers: { 'retry-after': String(s) } },
          );
        }
        if (a.kind === 'status') {
          const headers: Record<string, string> =
            a.retryAfterSeconds !== undefined ? { 'retry-after': String(a.retryAfterSeconds) } : {};
          throw new ArmError(a.status, a.code ?? defaultCode(a.status), a.message ?? defaultMessage(a.status), {
            headers,
          });
        }
      }

      const claims = await authenticate(core, ctx.headers.authorization, subscriptionId);
      out.claims = claims;

      const apiVersion = ctx.url.searchParams.get('api-version');
      if (!apiVersion)
        throw new ArmError(
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        );
      if (route.apiVersions.length > 0 && !route.apiVersions.includes(apiVersion)) {
        throw new ArmError(
          400,
          'InvalidApiVersionParameter',
          `The api-version '${apiVersion}' is invalid. The supported versions are '${route.apiVersions.join(',')}'.`,
        );
      }

      if (subscriptionId) {
        const decision = core.throttler.check(
          'westeurope',
          subscriptionId,
          claims.oid || claims.appid,
          classOf(method),
        );
        if (!decision.allowed) {
          out.throttled = true;
          const code = decision.scope === 'principal' ? 'TooManyRequests' : 'SubscriptionRequestsThrottled';
          throw new ArmError(
            429,
            code,
            `Number of ${classOf(method).replace(/s$/, '')} requests for subscription '${subscriptionId}' and ${decision.scope === 'principal' ? `principal '${claims.oid}'` : 'all principals'} exceeded the limit. Please try again after '${decision.retryAfterSeconds}' seconds.`,
            {
              headers: { ...decision.headers, 'retry-after': String(decision.retryAfterSeconds) },
            },
          );
        }
        Object.assign(ctx, { rateHeaders: decision.headers });
      }

      const now = core.advance();
      const jobFault = method === 'GET' || method === 'HEAD' ? undefined : core.faults.pick(faultReq, ['failJob']);
      const actx: ArmContext = {
        ...ctx,
        params,
        core,
        claims,
        subscriptionId: subscriptionId ?? '',
        apiVersion,
        now,
        query: ctx.url.searchParams,
        operationId: route.operationId,
        ...(jobFault ? { jobFault } : {}),
        count: (resource: string, label?: string) => core.counters.inc(route.operationId, resource, label),
      };
      let result: HttpResult;
      try {
        result = await route.handler(actx);
      } catch (e) {
        if (jobFault) core.faults.refund(jobFault);
        throw e;
      }
      // A failJob rule is for the job an accepted request starts: a refused request (say, a
      // recovery point that rolled over) leaves it armed for the next one.
      if (jobFault && result.status >= 300) core.faults.refund(jobFault);
      else if (jobFault) out.fault = jobFault;
      const rate = (ctx as { rateHeaders?: Record<string, string> }).rateHeaders;
      if (rate) result.headers = { ...rate, ...(result.headers ?? {}) };
      out.result = result;
      return out;
    } catch (e) {
      if (e instanceof ArmError) {
        out.result = { status: e.status, body: e.toBody(), ...(e.extra.headers ? { headers: e.extra.headers } : {}) };
        return out;
      }
      const err = e as Error;
      out.result = {
        status: 500,
        body: { error: { code: 'InternalServerError', message: `Emulator error: ${err.message}` } },
      };
      return out;
    }
  }
}

function classOf(method: string): RequestClass {
  if (method === 'GET' || method === 'HEAD') return 'reads';
  if (method === 'DELETE') return 'deletes';
  return 'writes';
}

function defaultCode(status: number): string {
  switch (status) {
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalServerError';
    case 502:
      return 'BadGateway';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'GatewayTimeout';
    case 409:
      return 'Conflict';
    default:
      return status >= 500 ? 'InternalServerError' : 'BadRequest';
  }
}

function defaultMessage(status: number): string {
  if (status === 503) return 'The service is temporarily unavailable. Please retry the request later.';
  if (status === 504) return 'The gateway did not receive a response within the specified time period.';
  if (status >= 500) return 'The server encountered an internal error. Please retry the request.';
  return 'The request was rejected (injected fault).';
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, rawRequest, startTestEmulator, TENANTS, tokenFor, type TestEmulator } from './helpers';

const path = (sub: string) => `/subscriptions/${sub}/resourcegroups?api-version=2025-04-01`;

describe('ARM throttling (token bucket per subscription and principal)', () => {
  let small: TestEmulator;
  let defaults: TestEmulator;
  beforeAll(async () => {
    small = await startTestEmulator({
      throttling: { reads: { burst: 5, refillPerSecond: 0.5 }, writes: { burst: 3, refillPerSecond: 0.5 } },
    });
    defaults = await startTestEmulator();
  });
  afterAll(async () => {
    await small?.close();
    await defaults?.close();
  });

  it("reports Azure's default bucket sizes in x-ms-ratelimit-remaining-* headers", async () => {
    const token = await tokenFor(clientsFor(defaults, 'contoso'));
    const first = await rawRequest(defaults, 'GET', path(TENANTS.contoso.subscriptionId), { token });
    expect(first.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('249');
    const write = await rawRequest(
      defaults,
      'PUT',
      `/subscriptions/${TENANTS.contoso.subscriptionId}/resourcegroups/rg-t?api-version=2025-04-01`,
      { token, body: { location: 'westeurope' } },
    );
    expect(write.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('199');
  });

  it('answers 429 with Retry-After once a burst empties the bucket, per principal', async () => {
    const token = await tokenFor(clientsFor(small, 'contoso'));
    const answers = [];
    for (let i = 0; i < 8; i++)
      answers.push(await rawRequest(small, 'GET', path(TENANTS.contoso.subscriptionId), { token }));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.slice(0, 5).map((a) => a.headers['x-ms-ratelimit-remaining-subscription-reads'])).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
    ]);
    const throttled = answers[7]!;
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(throttled.body).toMatchObject({ error: { code: 'TooManyRequests' } });
    // Another tenant's principal on its own subscription has its own bucket.
    const other = await rawRequest(small, 'GET', path(TENANTS.northwind.subscriptionId), {
      token: await tokenFor(clientsFor(small, 'northwind')),
    });
    expect(other.status).toBe(200);
    // Reads and writes are separate buckets.
    const write = await rawRequest(
      small,
      'PUT',
      `/subscriptions/${TENANTS.contoso.subscriptionId}/resourcegroups/rg-w?api-version=2025-04-01`,
      { token, body: { location: 'westeurope' } },
    );
    expect(write.status).toBe(201);
  });

  it('lets the SDK recover: it honours Retry-After and succeeds', async () => {
    const c = clientsFor(small, 'litware');
    const token = await tokenFor(c);
    for (let i = 0; i < 5; i++) await rawRequest(small, 'GET', path(TENANTS.litware.subscriptionId), { token });
    const before = (await small.admin.requests()).lastSeq;
    const page = await c.resources.resourceGroups.list().next();
    expect(page.done).toBe(true);
    const log = (await small.admin.requests(before)).entries.filter(
      (e) => e.subscriptionId === TENANTS.litware.subscriptionId,
    );
    expect(log.map((e) => e.status)).toEqual([429, 200]);
  });
});

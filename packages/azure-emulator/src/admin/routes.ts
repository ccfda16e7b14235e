import { timingSafeEqual } from 'node:crypto';
import { vmKey, type EmulatorCore } from '../core';
import type { HttpResult, RequestContext } from '../https/types';
import { validateRule } from '../faults/rules';
import { installProvider, upgradeProvider } from '../siterecovery/registration';
import { jobView, vmIdOf } from '../siterecovery/views';
import { scopeOfVault } from '../siterecovery/scope';
import { iso } from '../sim/clock';
import { lower } from '../util/ids';

export interface AdminDeps {
  core: EmulatorCore;
  adminToken: string;
  save(): string | undefined;
}

function authorized(ctx: RequestContext, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(String(ctx.headers.authorization ?? ''));
  const given = Buffer.from(m?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * The one estate VM a caller means. A name alone is enough while it is unique; VM names
 * repeat across clouds (tenants of a shared VMM server), and then the cloud (and, across
 * servers, the VMM server) must say which one.
 */
function resolveVm(
  core: EmulatorCore,
  name: string,
  cloud: string | undefined,
  vmm: string | undefined,
): { vmm: string; cloud: string; vm: string } | { error: string } {
  const where = { ...(cloud !== undefined ? { cloud } : {}), ...(vmm !== undefined ? { vmm } : {}) };
  const found = core.vmsNamed(name, where);
  const scope = [cloud !== undefined ? `cloud '${cloud}'` : '', vmm !== undefined ? `VMM server '${vmm}'` : '']
    .filter((x) => x !== '')
    .join(' of ');
  if (found.length === 0) return { error: `no VM named '${name}'${scope ? ` in ${scope}` : ''} in the estate` };
  if (found.length > 1) {
    const places = found.map((f) => `${f.vm.cloud} (${f.vmm.name})`).join(', ');
    const sameCloud = new Set(found.map((f) => lower(f.vm.cloud))).size < found.length;
    const hint = cloud !== undefined ? 'Pass "vmm" too' : sameCloud ? 'Pass "cloud" and "vmm"' : 'Pass "cloud"';
    return { error: `VM name '${name}' is ambiguous: it is in clouds ${places}. ${hint} to say which` };
  }
  const [one] = found;
  if (!one) return { error: `no VM named '${name}'` };
  return { vmm: one.vmm.name, cloud: one.vm.cloud, vm: one.vm.name };
}

const err = (status: number, message: string): HttpResult => ({
  status,
  body: { error: { code: status === 401 ? 'Unauthorized' : 'BadRequest', message } },
});

function bodyOf(ctx: RequestContext): Record<string, unknown> {
  return typeof ctx.body === 'object' && ctx.body !== null && !Array.isArray(ctx.body)
    ? (ctx.body as Record<string, unknown>)
    : {};
}

// The emulator's control surface, under /_admin, guarded by its own bearer token
// (not an Entra token): state, traffic, counters, faults, time, and the on-premises actions.
export async function handleAdmin(ctx: RequestContext, deps: AdminDeps): Promise<HttpResult> {
  if (!authorized(ctx, deps.adminToken))
    return err(
      401,
      'The admin API needs "Authorization: Bearer <admin token>" (see admin-token in the data directory).',
    );
  const { core } = deps;
  const sub = ctx.path.replace(/^\/_admin\/?/i, '').replace(/\/+$/, '');
  const seg = sub.split('/');
  const m = ctx.method.toUpperCase();
  const now = core.advance();

  if (m === 'GET' && sub === 'state') {
    return {
      status: 200,
      body: {
        clock: core.clock.toJSON(),
        activeJobs: core.jobs.activeCount(),
        world: core.world,
        throttling: core.throttler.config,
        faults: core.faults.list(),
      },
    };
  }
  if (m === 'GET' && sub === 'requests') {
    const since = Number(ctx.url.searchParams.get('since') ?? '0') || 0;
    const bodies = ctx.url.searchParams.get('bodies') === '1' || ctx.url.searchParams.get('bodies') === 'true';
    return { status: 200, body: { lastSeq: core.log.lastSeq(), entries: core.log.since(since, bodies) } };
  }
  if (m === 'GET' && sub === 'counters') return { status: 200, body: core.counters.toJSON() };
  if (m === 'GET' && sub === 'faults') return { status: 200, body: { rules: core.faults.list() } };
  if (m === 'POST' && sub === 'faults') {
    const b = ctx.body;
    const list = Array.isArray(b) ? b : Array.isArray(bodyOf(ctx)['rules']) ? (bodyOf(ctx)['rules'] as unknown[]) : [b];
    try {
      const added = list.map((r, i) => core.faults.add(validateRule(r, `rule ${i + 1}`)));
      const seed = bodyOf(ctx)['seed'];
      if (typeof seed === 'number') core.faults.reseed(seed);
      return { status: 200, body: { rules: added } };
    } catch (e) {
      return err(400, (e as Error).message);
    }
  }
  if (m === 'DELETE' && sub === 'faults') {
    core.faults.clear();
    return { status: 200, body: { rules: [] } };
  }
  if (m === 'DELETE' && seg[0] === 'faults' && seg[1]) {
    return core.faults.remove(decodeURIComponent(seg[1]))
      ? { status: 200, body: { removed: seg[1] } }
      : err(404, `no fault rule '${seg[1]}'`);
  }
  if (sub === 'time' && m === 'GET') return { status: 200, body: core.clock.toJSON() };
  if (sub === 'time' && (m === 'PUT' || m === 'POST')) {
    const b = bodyOf(ctx);
    try {
      if (typeof b['speed'] === 'number') core.clock.setSpeed(b['speed']);
      if (typeof b['advanceSeconds'] === 'number') core.clock.advance(b['advanceSeconds'] * 1000);
    } catch (e) {
      return err(400, (e as Error).message);
    }
    core.advance();
    return { status: 200, body: core.clock.toJSON() };
  }
  if (sub === 'throttling' && (m === 'PUT' || m === 'POST')) {
    core.throttler.configure(bodyOf(ctx));
    return { status: 200, body: core.throttler.config };
  }
  if (sub === 'reset' && m === 'POST') {
    core.reset();
    return { status: 200, body: { reset: true } };
  }
  if (sub === 'save' && m === 'POST') {
    const file = deps.save();
    return file ? { status: 200, body: { saved: file } } : err(400, 'persistence is off (start with --persist)');
  }
  if (sub === 'providers/install' && m === 'POST') {
    const b = bodyOf(ctx);
    if (typeof b['credentials'] !== 'string' || typeof b['vmm'] !== 'string')
      return err(400, 'expected {"credentials": "<vault credentials XML>", "vmm": "<VMM server name>"}');
    const outcome = installProvider(core, b['credentials'], b['vmm']);
    return { status: outcome.ok ? 200 : 422, body: outcome };
  }
  if (sub === 'items/health' && (m === 'PUT' || m === 'POST')) {
    const b = bodyOf(ctx);
    const health = text(b['health'], '');
    const optional = (k: string) => (typeof b[k] === 'string' ? b[k] : undefined);
    if (
      typeof b['vm'] !== 'string' ||
      !['Normal', 'Warning', 'Critical'].includes(health) ||
      (b['cloud'] !== undefined && optional('cloud') === undefined) ||
      (b['vmm'] !== undefined && optional('vmm') === undefined)
    ) {
      return err(
        400,
        'expected {"vm": "<VM name>", "cloud"?: "<VMM cloud>", "vmm"?: "<VMM server>", "health": "Normal" | "Warning" | "Critical"}',
      );
    }
    const found = resolveVm(core, b['vm'], optional('cloud'), optional('vmm'));
    if ('error' in found) return err(400, found.error);
    core.world.itemHealth = {
      ...(core.world.itemHealth ?? {}),
      [vmKey(found.vmm, found.cloud, found.vm)]: health as 'Normal' | 'Warning' | 'Critical',
    };
    return { status: 200, body: { vm: found.vm, cloud: found.cloud, vmm: found.vmm, replicationHealth: health } };
  }
  if (sub === 'providers/upgrade' && m === 'POST') {
    const b = bodyOf(ctx);
    const out = upgradeProvider(core, text(b['vmm'], ''), text(b['version'], '5.1.2250.0'));
    return { status: out.ok ? 200 : 400, body: out };
  }
  if (seg[0] === 'jobs' && seg[1] && m === 'GET') {
    for (const v of Object.values(core.world.vaults)) {
      const j = v.asr.jobs[lower(decodeURIComponent(seg[1]))];
      if (j) return { status: 200, body: jobView(scopeOfVault(v), j) };
    }
    return err(404, `no job '${seg[1]}'`);
  }
  if (sub === 'estate' && m === 'GET') {
    return {
      status: 200,
      body: {
        vmmServers: core.estate.vmmServers.map((v) => ({
          name: v.name,
          providerVersion: core.providerVersion(v.name),
          registeredWith: core.world.vmmRegistrations[lower(v.name)] ?? null,
          clouds: v.clouds.map((c) => c.name),
          vms: v.vms.map((vm) => ({
            name: vm.name,
            cloud: vm.cloud,
            id: vmIdOf(v.name, vm.cloud, vm.name),
            powerState: core.world.onPremVms[vmKey(v.name, vm.cloud, vm.name)]?.powerState,
          })),
        })),
        azureVms: Object.values(core.world.azureVms),
        now: iso(now),
      },
    };
  }
  if (sub === 'tokens' && m === 'POST') {
    // Tokens with a chosen lifetime (negative = already expired), for tests of ARM's token checks.
    const b = bodyOf(ctx);
    const tenantId = text(b['tenantId'], '');
    const clientId = text(b['clientId'], '');
    if (!core.directory.tenant(tenantId)) return err(400, `unknown tenant '${tenantId}'`);
    const lifetime = typeof b['lifetimeSeconds'] === 'number' ? b['lifetimeSeconds'] : 3600;
    const issued = await core.tokens.issue({
      tenantId,
      clientId,
      objectId: core.directory.servicePrincipalId(clientId, tenantId),
      audience: text(b['audience'], 'https://management.azure.com/'),
      issuer: `${core.origin}/${tenantId}/v2.0`,
      lifetimeSeconds: lifetime,
    });
    return { status: 200, body: { accessToken: issued.token, expiresOn: iso(Date.now() + lifetime * 1000) } };
  }
  return err(404, `unknown admin endpoint ${m} /_admin/${sub}`);
}

/** A string field of an admin request's body, or the fallback when it is missing or not text. */
function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

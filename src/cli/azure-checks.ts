import https from 'node:https';
import type { AzureTarget } from '../azure/clients';
import { AzureClientFactory } from '../azure/clients';
import { loadAzureTarget } from '../azure/target';
import { loadPlan } from '../domain/plan/load';
import type { CheckResult } from './doctor';
import { errorMessage } from './doctor';

/** Any HTTP answer over verified TLS proves the endpoint is there; a 401 is the expected one. */
function probe(url: string, target: AzureTarget): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ...(target.agent ? { agent: target.agent } : {}), timeout: 10_000 },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
  });
}

export async function azureEndpointCheck(env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const name = 'Azure endpoint reachable';
  let target: AzureTarget;
  try {
    target = loadAzureTarget(env);
  } catch (error) {
    return {
      name,
      ok: false,
      detail: errorMessage(error),
      fix: 'fix ASRFLOW_ARM_ENDPOINT / ASRFLOW_AUTHORITY_HOST / ASRFLOW_CA_FILE',
    };
  }
  try {
    const status = await probe(`${target.armEndpoint}/subscriptions?api-version=2022-12-01`, target);
    return { name, ok: true, detail: `${target.armEndpoint} answered ${status} over verified TLS` };
  } catch (error) {
    const tls = /certificate|self.signed|CERT_/i.test(errorMessage(error));
    return {
      name,
      ok: false,
      detail: `${target.armEndpoint}: ${errorMessage(error)}`,
      fix: tls
        ? "trust the endpoint's CA with ASRFLOW_CA_FILE (the emulator prints its caCertPath); never turn TLS verification off"
        : 'check ASRFLOW_ARM_ENDPOINT and the network path to it',
    };
  }
}

/** One check per credential a plan names: the provider's and each tenant's, each for its own tenant. */
export async function credentialChecks(planFile: string, env: NodeJS.ProcessEnv): Promise<CheckResult[]> {
  let plan;
  try {
    ({ plan } = loadPlan(planFile, { env }));
  } catch (error) {
    return [
      {
        name: `Plan ${planFile}`,
        ok: false,
        detail: errorMessage(error),
        fix: `run 'asrflow plan validate ${planFile}' for every error with its line and fix`,
      },
    ];
  }
  // One attempt each: doctor should answer in seconds, and a wrong secret will not get better.
  const azure = new AzureClientFactory(loadAzureTarget(env), env, { tokenMaxRetries: 0 });
  const principals = [
    ...(plan.scenario === 'multitenant-vmm'
      ? [
          {
            label: `provider ${plan.provider.name}`,
            tenantId: plan.provider.tenantId,
            credential: plan.provider.credential,
          },
        ]
      : []),
    ...plan.tenants.map((t) => ({ label: `tenant ${t.name}`, tenantId: t.tenantId, credential: t.credential })),
  ];
  const audience = (azure.target.armAudience ?? 'https://management.azure.com/').replace(/\/$/, '');
  const results: CheckResult[] = [];
  for (const p of principals) {
    const name = `Credential of ${p.label}`;
    try {
      const token = await azure.credential(p).getToken(`${audience}/.default`);
      results.push({
        name,
        ok: Boolean(token?.token),
        detail: `token for tenant ${p.tenantId} (${p.credential.type}), valid until ${new Date(token?.expiresOnTimestamp ?? 0).toISOString()}`,
      });
    } catch (error) {
      results.push({
        name,
        ok: false,
        detail: `tenant ${p.tenantId}: ${errorMessage(error)}`,
        fix: 'check the client id and secret/certificate the plan references, and that the app is registered (or consented) in this tenant',
      });
    }
  }
  return results;
}

import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { AsrTenant, AsrVm } from '../temporal/workflow/search-attributes';
import { EXIT, ExitCode } from './exit-codes';

// Names a person typed (a tenant, a VM) that Temporal does not know end in one line naming the
// ones it does know — from visibility, since these commands take no plan — and exit 1: the
// command line was well formed, the namespace just has no such workflows.

/** Bounds the visibility scan: a namespace with more runs than this is listed partially. */
const SCAN_LIMIT = 2_000;

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** Distinct values of a search attribute over asrflow's workflows matching `query`, sorted. */
async function distinct(client: Client, query: string, key: typeof AsrTenant): Promise<string[]> {
  const seen = new Set<string>();
  let scanned = 0;
  for await (const execution of client.workflow.list({ query })) {
    const value = execution.typedSearchAttributes.get(key);
    if (value) seen.add(value);
    if (++scanned >= SCAN_LIMIT) break;
  }
  return [...seen].sort();
}

/** The tenants of asrflow's workflows in the namespace (AsrTenant), sorted. */
export function knownTenants(client: Client): Promise<string[]> {
  return distinct(client, `AsrKind IN ('tenant-onboarding', 'vm-protection', 'failover')`, AsrTenant);
}

/** The VMs of a tenant that have workflows of the given kind (AsrVm), sorted. */
export function knownVms(client: Client, tenant: string, kind: 'vm-protection' | 'failover'): Promise<string[]> {
  return distinct(client, `AsrTenant = ${quote(tenant)} AND AsrKind = ${quote(kind)}`, AsrVm);
}

function tenantList(tenants: string[], namespace: string): string {
  return tenants.length > 0
    ? `known tenants: ${tenants.join(', ')}`
    : `namespace '${namespace}' has no asrflow workflows yet (start with: asrflow onboard PLAN)`;
}

/** Stops with exit 1 unless some asrflow workflow of the tenant exists, naming the known ones. */
export async function requireKnownTenant(client: Client, tenant: string): Promise<void> {
  const tenants = await knownTenants(client);
  if (tenants.includes(tenant)) return;
  console.error(`asrflow: unknown tenant '${tenant}': ${tenantList(tenants, client.options.namespace)}`);
  throw new ExitCode(EXIT.failure);
}

/** What a command addressed: the workflow id and the names it was built from. */
export interface Addressed {
  workflowId: string;
  tenant?: string;
  vm?: string;
  /** The kind of workflow `vm` names: its VM protection, or its failover. */
  vmKind?: 'vm-protection' | 'failover';
}

/**
 * Turns a WorkflowNotFoundError into the one line a person needs — which name was wrong and the
 * names that would work — and exit 1. Other errors pass through.
 */
export async function explainNotFound(client: Client, target: Addressed, error: unknown): Promise<never> {
  if (!(error instanceof WorkflowNotFoundError)) throw error;
  const namespace = client.options.namespace;
  if (target.tenant) {
    const tenants = await knownTenants(client);
    if (!tenants.includes(target.tenant)) {
      console.error(
        `asrflow: unknown tenant '${target.tenant}' (no workflow ${target.workflowId}): ${tenantList(tenants, namespace)}`,
      );
      throw new ExitCode(EXIT.failure);
    }
    if (target.vm && target.vmKind) {
      const vms = await knownVms(client, target.tenant, target.vmKind);
      const what = target.vmKind === 'failover' ? 'failover' : 'protection';
      console.error(
        `asrflow: tenant ${target.tenant} has no ${what} workflow for VM '${target.vm}' (${target.workflowId}); ${vms.length > 0 ? `VMs with one: ${vms.join(', ')}` : `no VM of ${target.tenant} has one`}`,
      );
      throw new ExitCode(EXIT.failure);
    }
  }
  console.error(`asrflow: no workflow ${target.workflowId} in namespace '${namespace}'`);
  throw new ExitCode(EXIT.failure);
}

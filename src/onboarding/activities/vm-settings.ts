import { Context } from '@temporalio/activity';
import type { AzureClientFactory } from '../../azure/clients';
import {
  readItemSettings,
  updateItemSettings,
  type ItemSettings,
  type NicSettings,
  type SettingsUpdate,
} from '../../azure/site-recovery/item-settings';
import { availabilitySetExists } from '../../azure/compute';
import { listTargetComputeSizes } from '../../azure/site-recovery/compute-sizes';
import type { ItemRef } from '../../azure/site-recovery/protected-items';
import { asrVault } from '../../azure/site-recovery/vault';
import { sizeProblem } from '../../domain/vm-sizes';
import { availabilitySetId } from '../../domain/vm-settings';
import type { VmProtectionInput, VmSpec } from '../contract';

// After a VM is protected, the settings enable-protection does not take (static IPs, test
// failover subnets and addresses) — and, on a changed plan, any setting it changed — are
// written with one update of the protected item. The item is read first: a value Azure shows
// as the plan had it before is updated; one changed in Azure since (the portal) is reported
// and left alone; one already as wanted costs nothing, so a retried activity updates once.

/** One managed field: what the plan wants, what asrflow set before, what Azure shows. */
type Field = Exclude<keyof SettingsUpdate, 'nics' | 'recoveryNetworkId' | 'testNetworkId'>;

export interface SettingsDecision {
  update: Partial<Pick<SettingsUpdate, Field | 'nics'>>;
  /** Fields updated, for the step's summary. */
  changed: string[];
  /** Values changed in Azure since asrflow set them: reported, not overwritten. */
  conflicts: string[];
}

type Wanted = Partial<Record<Field, string | Record<string, string>>> & { nics?: Array<Omit<NicSettings, 'nicId'>> };

const same = (a: unknown, b: unknown): boolean =>
  typeof a === 'string' && typeof b === 'string'
    ? a.toLowerCase() === b.toLowerCase()
    : JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

function sorted(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
}

/** The plan's settings as the item would show them. */
export function wantedOf(spec: VmSpec | undefined, resourceGroupId: string, vmSize?: string): Wanted {
  if (!spec) return {};
  return {
    // Without a name in Azure the VM keeps its VMM name, which is then a valid Azure name.
    azureName: spec.azureName ?? spec.name,
    ...((spec.vmSize ?? vmSize) ? { vmSize: spec.vmSize ?? vmSize } : {}),
    ...(spec.licenseType ? { licenseType: spec.licenseType } : {}),
    ...(spec.sqlServerLicenseType ? { sqlServerLicenseType: spec.sqlServerLicenseType } : {}),
    ...(spec.zone ? { zone: spec.zone } : {}),
    ...(spec.availabilitySet ? { availabilitySetId: availabilitySetId(resourceGroupId, spec.availabilitySet) } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
    ...(spec.nics
      ? {
          nics: spec.nics.map((n) => ({
            subnet: n.subnet,
            ...(n.ip ? { ip: n.ip } : {}),
            testSubnet: n.subnet,
            ...(n.testIp ? { testIp: n.testIp } : {}),
          })),
        }
      : {}),
  };
}

const FIELDS: Field[] = [
  'azureName',
  'vmSize',
  'licenseType',
  'sqlServerLicenseType',
  'zone',
  'availabilitySetId',
  'tags',
];

/**
 * What to update: a field the plan sets that Azure shows otherwise is updated when Azure still
 * shows what asrflow set before (`base`), and reported when it shows something else. Without a
 * previous plan, `base` is what enable-protection set: the same values for what it takes, and
 * no static addresses for the NICs.
 */
export function decideSettings(wanted: Wanted, base: Wanted | undefined, current: ItemSettings): SettingsDecision {
  const decision: SettingsDecision = { update: {}, changed: [], conflicts: [] };
  const update = decision.update as Record<string, unknown>;
  for (const field of FIELDS) {
    const want = wanted[field];
    if (want === undefined) continue;
    const now = current[field];
    if (same(now, want)) continue;
    const was = base ? base[field] : want;
    if (was === undefined || same(now, was)) {
      update[field] = want;
      decision.changed.push(field);
    } else {
      decision.conflicts.push(`${field} is ${show(now)} in Azure, changed since asrflow set ${show(was)}`);
    }
  }
  if (wanted.nics) {
    const nics = current.nics.map((n) => ({ ...n }));
    let changed = false;
    wanted.nics.forEach((want, i) => {
      const now = nics[i];
      if (!now) {
        decision.conflicts.push(`the plan sets NIC ${i + 1}, but the VM has ${current.nics.length} NIC(s)`);
        return;
      }
      const was = base?.nics?.[i];
      for (const key of ['subnet', 'ip', 'testSubnet', 'testIp'] as const) {
        const value = want[key];
        if (value === undefined || same(now[key], value)) continue;
        // Enable sets no static address; a subnet it sets is the VM's (the NIC's want).
        const before = base ? was?.[key] : key === 'ip' || key === 'testIp' ? undefined : now[key];
        if (now[key] === undefined || before === undefined || same(now[key], before)) {
          now[key] = value;
          changed = true;
        } else {
          decision.conflicts.push(
            `NIC ${i + 1} ${key} is ${show(now[key])} in Azure, changed since asrflow set ${show(before)}`,
          );
        }
      }
    });
    if (changed) {
      update['nics'] = nics;
      decision.changed.push('nics');
    }
  }
  return decision;
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

export interface SettingsResult {
  changed: string[];
  conflicts: string[];
}

export function createVmSettingsActivities(azure: AzureClientFactory) {
  return {
    /**
     * Writes the VM's settings to its protected item: read first, one update at most. A size
     * Site Recovery does not offer this VM, or an availability set that does not exist, is a
     * step warning (a failover would fail on it, and its preflight refuses it); such a size is
     * not written.
     */
    async applyVmSettings(input: VmProtectionInput & { itemName: string }): Promise<SettingsResult> {
      const v = asrVault(azure, input.vault);
      const ref = { fabricName: input.fabricName, containerName: input.containerName, itemName: input.itemName };
      const current = await readItemSettings(v, ref);
      const t = input.targets;
      const wanted = wantedOf(input.settings, t.resourceGroupId, t.vmSize);
      const base = input.previousSettings ? wantedOf(input.previousSettings, t.resourceGroupId) : undefined;
      const decision = decideSettings(wanted, base, current);
      const warnings = [...decision.conflicts, ...(await placementProblems(azure, v, ref, input, wanted))];
      if (warnings.some((w) => w.startsWith(SIZE_WARNING)) && decision.update.vmSize !== undefined) {
        delete decision.update.vmSize;
        decision.changed = decision.changed.filter((f) => f !== 'vmSize');
      }
      if (decision.changed.length > 0) {
        Context.current().log.info('updating protected item settings', {
          vm: input.vm.friendlyName,
          fields: decision.changed,
        });
        await updateItemSettings(
          v,
          ref,
          {
            ...decision.update,
            recoveryNetworkId: t.networkId,
            ...(t.testNetworkId ? { testNetworkId: t.testNetworkId } : {}),
          },
          `update settings of ${input.vm.friendlyName}`,
        );
      }
      return { changed: decision.changed, conflicts: warnings };
    },
  };
}

const SIZE_WARNING = 'size ';

/** What would stop a failover of this VM where the plan places it: its size, its availability set. */
async function placementProblems(
  azure: AzureClientFactory,
  v: ReturnType<typeof asrVault>,
  ref: ItemRef,
  input: VmProtectionInput,
  wanted: Wanted,
): Promise<string[]> {
  const problems: string[] = [];
  const size = typeof wanted.vmSize === 'string' ? wanted.vmSize : input.targets.vmSize;
  if (size) {
    const problem = sizeProblem(size, await listTargetComputeSizes(v, ref));
    // Starts with SIZE_WARNING: the size is then not written.
    if (problem) problems.push(`${problem}: set vmSize of ${input.vm.friendlyName} in the plan to one that can`);
  }
  const setId = typeof wanted.availabilitySetId === 'string' ? wanted.availabilitySetId : undefined;
  const principal = input.targets.principal;
  if (setId && principal && !(await availabilitySetExists(azure, principal, input.targets.subscriptionId, setId))) {
    const group = /\/resourceGroups\/([^/]+)\//i.exec(setId)?.[1] ?? '';
    problems.push(
      `availability set ${setId.split('/').pop() ?? setId} does not exist in resource group ${group}: a failover of ${input.vm.friendlyName} fails until it does; create it there (same region as the tenant) before one`,
    );
  }
  return problems;
}

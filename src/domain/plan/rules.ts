// The static preflight: every rule a plan can be checked against without touching Azure or the
// machine. Pure functions over a possibly malformed document (values of the wrong JSON type have
// been removed by the parser), so that one run reports everything. Findings carry a path into the
// document; parse.ts turns paths into file positions. Imported by workflows: no I/O here.
//
// Convention: a message says what is wrong and shows the offending value ("got 'x'") unless the
// value sits under a credential, where nothing is echoed (a secret pasted into the wrong field
// must never be printed).

import { contains, formatCidr, isCanonical, overlaps, parseCidr, type Cidr } from './cidr';
import {
  APP_CONSISTENT_FREQUENCY_MAX_HOURS,
  AZURE_REGIONS,
  AZURE_RESERVED_RANGES,
  DEFAULT_POLICY,
  GEO_REDUNDANT_SKUS,
  KNOWN_STORAGE_SKUS,
  NIL_GUID,
  PLAN_VERSION,
  RECOVERY_POINT_HISTORY_MAX_HOURS,
  REPLICATION_INTERVALS,
  SCENARIOS,
  SMALLEST_SUBNET_PREFIX,
  VM_LIMITS,
  matches,
} from './constants';
import { Findings, formatPath, q, type Check, type Problem } from './findings';
import { checkRecoveryPlans } from './recovery-plan-rules';
import { closest } from './suggest';
import {
  checkTags,
  checkVmAddresses,
  checkVmEntry,
  checkVmmVmName,
  tenantSubnets,
  type TenantSubnets,
} from './vm-rules';
import type {
  Loose,
  LoosePlanDocument,
  NetworkDocument,
  PathSegment,
  PolicyDocument,
  RuleIssue,
  SubnetSpec,
  TargetDocument,
  TenantDocument,
  VmDocument,
} from './types';

// ---- Single values ------------------------------------------------------------------------------

export const checkStorageAccountName: Check = (name) => {
  if (matches('storageAccount', name)) return undefined;
  let suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 24);
  if (suggestion.length < 3) suggestion = `${suggestion}asrdr`.slice(0, 24);
  return {
    message: `storage account name must be 3–24 lowercase letters and digits: got ${q(name)}`,
    fix: `use e.g. ${q(suggestion)}`,
  };
};

export const checkVaultName: Check = (name) => {
  if (matches('vault', name)) return undefined;
  let suggestion = name
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/^[^A-Za-z]+/, '')
    .slice(0, 50);
  if (suggestion.length < 2) suggestion = 'asr-vault';
  return {
    message: `vault name must be 2–50 letters, digits and hyphens, starting with a letter: got ${q(name)}`,
    fix: `use e.g. ${q(suggestion)}`,
  };
};

export const checkResourceGroupName: Check = (name) => {
  if (matches('resourceGroup', name)) return undefined;
  const suggestion =
    name
      .replace(/[^A-Za-z0-9_().-]/g, '-')
      .replace(/\.+$/, '')
      .slice(0, 90) || 'asr-dr-rg';
  return {
    message: `resource group name must be 1–90 letters, digits and _ ( ) - . and must not end with a period: got ${q(name)}`,
    fix: `use e.g. ${q(suggestion)}`,
  };
};

export const checkVnetName: Check = (name) => {
  if (matches('vnet', name)) return undefined;
  const suggestion =
    name
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .replace(/[.-]+$/, '')
      .slice(0, 64) || 'dr-vnet';
  return {
    message: `VNet name must be 2–64 letters, digits and _ . - , starting with a letter or digit and ending with a letter, digit or _: got ${q(name)}`,
    fix: `use e.g. ${q(suggestion.length >= 2 ? suggestion : 'dr-vnet')}`,
  };
};

export const checkSubnetName: Check = (name) => {
  if (matches('subnet', name)) return undefined;
  const suggestion =
    name
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .replace(/[.-]+$/, '')
      .slice(0, 80) || 'servers';
  return {
    message: `subnet name must be 1–80 letters, digits and _ . - , starting with a letter or digit and ending with a letter, digit or _: got ${q(name)}`,
    fix: `use e.g. ${q(suggestion)}`,
  };
};

export { formatPath, type Problem } from './findings';

export const checkKey =
  (what: 'tenant' | 'provider'): Check =>
  (name) => {
    if (matches('slug', name)) return undefined;
    const suggestion =
      name
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .replace(/^[^a-z]+/, '')
        .replace(/-+$/, '')
        .slice(0, 40) || what;
    return {
      message: `${what} key must be 1–40 lowercase letters, digits and hyphens, starting with a letter (it is used in workflow IDs): got ${q(name)}`,
      fix: `use e.g. ${q(suggestion)}`,
    };
  };

const GUID_HINTS = {
  tenantId: 'the Tenant ID on Microsoft Entra ID > Overview',
  subscriptionId: 'the Subscription ID (az account list --query "[].id")',
  clientId: "the app registration's Application (client) ID",
} as const;

/** `echo: false` under credentials: a secret pasted into clientId must not be printed. */
export const checkGuid =
  (field: keyof typeof GUID_HINTS, { echo = true } = {}): Check =>
  (value) => {
    if (!matches('guid', value))
      return {
        message: `${field} must be a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47${echo ? `: got ${q(value)}` : ''}`,
        fix: `copy ${GUID_HINTS[field]}`,
      };
    if (value === NIL_GUID)
      return {
        message: `${field} is the nil GUID (all zeros): a placeholder, not the id of a real ${field === 'clientId' ? 'app' : field === 'tenantId' ? 'tenant' : 'subscription'}`,
        fix: `copy ${GUID_HINTS[field]}`,
      };
    return undefined;
  };

/** A GUID that names something (well formed and not the nil GUID): only those are compared. */
const isRealGuid = (value: string): boolean => matches('guid', value) && value !== NIL_GUID;

export const checkRegion: Check = (region) => {
  if ((AZURE_REGIONS as readonly string[]).includes(region)) return undefined;
  const near = closest(region, AZURE_REGIONS);
  return {
    message: `unknown Azure region ${q(region)}`,
    fix: near
      ? `use the region's ARM name ${q(near)}`
      : 'use an ARM region name such as westeurope or northeurope (az account list-locations -o table lists them)',
  };
};

export const checkHostname: Check = (name) =>
  matches('hostname', name)
    ? undefined
    : {
        message: `VMM server must be a host name (FQDN): got ${q(name)}`,
        fix: "use the VMM server's DNS name, e.g. 'vmm01.fabrikam.local'",
      };

export const checkVmSize: Check = (size) =>
  matches('vmSize', size)
    ? undefined
    : {
        message: `VM size must be an Azure size name like Standard_D2s_v3: got ${q(size)}`,
        fix: 'use a size from az vm list-sizes --location <region>',
      };

export const checkStorageSku: Check = (sku) => {
  if ((GEO_REDUNDANT_SKUS as readonly string[]).includes(sku)) return undefined;
  const known = (KNOWN_STORAGE_SKUS as readonly string[]).includes(sku);
  if (!known) {
    const near = closest(sku, KNOWN_STORAGE_SKUS);
    const suggestion = near && (GEO_REDUNDANT_SKUS as readonly string[]).includes(near) ? near : 'Standard_GRS';
    return { message: `unknown storage SKU ${q(sku)}`, fix: `use ${q(suggestion)}` };
  }
  return {
    message: `storage account SKU must be geo-redundant (Standard_GRS or Standard_RAGRS): got ${q(sku)}`,
    fix: sku.includes('ZRS')
      ? "use 'Standard_GRS' (zone-redundant SKUs cannot hold the page blobs Hyper-V replication writes)"
      : "use 'Standard_GRS' (the replica must survive the loss of the region)",
  };
};

export const checkCidr: Check = (text) => {
  const c = parseCidr(text);
  if (!c)
    return {
      message: `${q(text)} is not an IPv4 address range`,
      fix: "write it in CIDR notation, e.g. '10.10.0.0/16'",
    };
  if (!isCanonical(text))
    return { message: `address range ${q(text)} has host bits set`, fix: `use ${q(formatCidr(c))}` };
  return undefined;
};

export const checkReplicationInterval = (value: number): Problem | undefined => {
  if ((REPLICATION_INTERVALS as readonly number[]).includes(value)) return undefined;
  const nearest = [...REPLICATION_INTERVALS].sort((a, b) => Math.abs(a - value) - Math.abs(b - value))[0];
  return {
    message: `replication interval must be 30, 300 or 900 seconds: got ${value}`,
    fix: `use ${nearest}, the nearest allowed value`,
  };
};

export const checkRecoveryPointHistory = (value: number): Problem | undefined =>
  Number.isInteger(value) && value >= 0 && value <= RECOVERY_POINT_HISTORY_MAX_HOURS
    ? undefined
    : {
        message: `recovery point history must be a whole number of hours from 0 to ${RECOVERY_POINT_HISTORY_MAX_HOURS}: got ${value}`,
        fix: `use ${RECOVERY_POINT_HISTORY_MAX_HOURS} or less (Site Recovery keeps at most ${RECOVERY_POINT_HISTORY_MAX_HOURS} h of recovery points for Hyper-V VMs)`,
      };

export const checkAppConsistentFrequency = (value: number): Problem | undefined =>
  Number.isInteger(value) && value >= 0 && value <= APP_CONSISTENT_FREQUENCY_MAX_HOURS
    ? undefined
    : {
        message: `app-consistent snapshot frequency must be a whole number of hours from 0 (off) to ${APP_CONSISTENT_FREQUENCY_MAX_HOURS}: got ${value}`,
        fix: `use a value from 1 to ${APP_CONSISTENT_FREQUENCY_MAX_HOURS}, or 0 to turn app-consistent snapshots off`,
      };

export const checkInitialReplicationStart: Check = (value) =>
  matches('startTime', value)
    ? undefined
    : {
        message: `initial replication start must be 'now' or a time of day HH:MM (24-hour): got ${q(value)}`,
        fix: "use e.g. 'now' or '22:00'",
      };

// ---- The document -------------------------------------------------------------------------------

type LooseTenant = Loose<TenantDocument>;
type LoosePolicy = Loose<PolicyDocument>;

/** Runs every static rule. The document may be partial; what is missing is the schema's to report. */
export function checkPlanRules(doc: LoosePlanDocument | undefined): RuleIssue[] {
  const f = new Findings();
  if (!doc) return f.issues;

  if (doc.version !== undefined && doc.version !== PLAN_VERSION) {
    f.add(
      ['version'],
      String(doc.version) === String(PLAN_VERSION)
        ? {
            message: `version must be the number ${PLAN_VERSION}, not the text ${q(doc.version)}`,
            fix: `write version: ${PLAN_VERSION} without quotes`,
          }
        : {
            message: `unsupported plan version ${doc.version}: this asrflow reads version ${PLAN_VERSION}`,
            fix: `set version: ${PLAN_VERSION}`,
          },
    );
  }

  const scenario = (SCENARIOS as readonly string[]).includes(doc.scenario ?? '') ? doc.scenario : undefined;
  if (doc.scenario !== undefined && !scenario) {
    const near = closest(doc.scenario, SCENARIOS);
    f.add(['scenario'], {
      message: `unknown scenario ${q(doc.scenario)}: it is multitenant-vmm or dedicated-vmm`,
      fix: near
        ? `use ${q(near)}`
        : "use 'multitenant-vmm' (shared VMM and vault, hosters) or 'dedicated-vmm' (a VMM server per tenant)",
    });
  }

  const provider = doc.provider;
  if (scenario === 'multitenant-vmm' && !provider) {
    f.add(['provider'], {
      message:
        'scenario multitenant-vmm needs a provider section: the shared vault and VMM server in your own (non-CSP) subscription',
      fix: 'add provider: with tenantId, subscriptionId, credential, region, resourceGroup, vault and vmmServer',
    });
  }
  if (scenario === 'dedicated-vmm' && provider) {
    f.add(['provider'], {
      message:
        'a provider section is only for scenario multitenant-vmm: in dedicated-vmm each tenant has its own vault',
      fix: 'remove provider:, or set scenario: multitenant-vmm',
    });
  }
  if (provider) {
    f.check(['provider', 'name'], provider.name, checkKey('provider'));
    f.check(['provider', 'tenantId'], provider.tenantId, checkGuid('tenantId'));
    f.check(['provider', 'subscriptionId'], provider.subscriptionId, checkGuid('subscriptionId'));
    checkCredential(f, ['provider', 'credential'], provider.credential);
    f.check(['provider', 'region'], provider.region, checkRegion);
    f.check(['provider', 'resourceGroup'], provider.resourceGroup, checkResourceGroupName);
    f.check(['provider', 'vault'], provider.vault, checkVaultName);
    f.check(['provider', 'vmmServer'], provider.vmmServer, checkHostname);
  }
  if (scenario === 'multitenant-vmm') {
    f.add(
      provider?.vmmServer !== undefined ? ['provider', 'vmmServer'] : ['scenario'],
      {
        message:
          "multitenant-vmm shares one VMM server among tenants, but today's Site Recovery support matrix says one VMM environment replicates to one Microsoft Entra tenant",
        fix: 'check with Microsoft that your shared-VMM setup is supported before relying on it, or use dedicated-vmm (one VMM server per tenant)',
      },
      'warning',
    );
  }

  checkPolicy(f, ['policy'], doc.policy);
  checkTarget(f, ['target'], doc.target);
  checkPolicyConsistency(f, ['policy'], doc.policy, undefined);

  const tenants = doc.tenants ?? [];
  tenants.forEach((tenant, i) => {
    if (tenant) checkTenant(f, ['tenants', i], tenant, scenario, doc);
  });
  checkAcrossTenants(f, tenants, scenario);
  return f.issues;
}

function checkCredential(f: Findings, path: PathSegment[], credential: LooseTenant['credential']): void {
  if (!credential || credential.type === undefined) return;
  if ('clientId' in credential && typeof credential.clientId === 'string') {
    f.check([...path, 'clientId'], credential.clientId, checkGuid('clientId', { echo: false }));
  }
  // Names only, never values: whatever sits under a credential may be a secret pasted by mistake.
  const envChecks: Array<['secretEnv' | 'certificatePasswordEnv', unknown]> = [];
  if ('secretEnv' in credential) envChecks.push(['secretEnv', credential.secretEnv]);
  if ('certificatePasswordEnv' in credential)
    envChecks.push(['certificatePasswordEnv', credential.certificatePasswordEnv]);
  for (const [key, value] of envChecks) {
    if (typeof value === 'string' && !matches('envVar', value)) {
      f.add([...path, key], {
        message: `${key} must be the name of an environment variable (letters, digits and _, not starting with a digit), not a secret`,
        fix: `put the secret in a variable such as ASRFLOW_SECRET_CONTOSO and write ${key}: ASRFLOW_SECRET_CONTOSO`,
      });
    }
  }
  for (const key of ['secretFile', 'certificateFile'] as const) {
    const value = key in credential ? (credential as Record<string, unknown>)[key] : undefined;
    if (value === '')
      f.add([...path, key], {
        message: `${key} must not be empty`,
        fix: `give the path of the ${key === 'secretFile' ? 'secret' : 'PEM'} file`,
      });
  }
}

function checkPolicy(f: Findings, path: PathSegment[], policy: LoosePolicy | undefined): void {
  if (!policy) return;
  f.check([...path, 'replicationInterval'], policy.replicationInterval, checkReplicationInterval);
  f.check([...path, 'recoveryPointHistoryHours'], policy.recoveryPointHistoryHours, checkRecoveryPointHistory);
  f.check([...path, 'appConsistentFrequencyHours'], policy.appConsistentFrequencyHours, checkAppConsistentFrequency);
  f.check([...path, 'initialReplicationStart'], policy.initialReplicationStart, checkInitialReplicationStart);
}

/**
 * App-consistent snapshots older than the retention window are useless (and refused), so the
 * frequency must not exceed the history. Checked on the merged values, reported where the
 * offending value is written: a tenant override if the tenant sets either field, else plan-wide.
 */
function checkPolicyConsistency(
  f: Findings,
  path: PathSegment[],
  own: LoosePolicy | undefined,
  planWide: LoosePolicy | undefined,
): void {
  if (
    planWide !== undefined &&
    own?.appConsistentFrequencyHours === undefined &&
    own?.recoveryPointHistoryHours === undefined
  )
    return;
  const history =
    own?.recoveryPointHistoryHours ?? planWide?.recoveryPointHistoryHours ?? DEFAULT_POLICY.recoveryPointHistoryHours;
  const app =
    own?.appConsistentFrequencyHours ??
    planWide?.appConsistentFrequencyHours ??
    DEFAULT_POLICY.appConsistentFrequencyHours;
  if (checkRecoveryPointHistory(history) || checkAppConsistentFrequency(app) || app <= history) return;
  const at =
    own?.appConsistentFrequencyHours !== undefined ? 'appConsistentFrequencyHours' : 'recoveryPointHistoryHours';
  f.add([...path, at], {
    message: `app-consistent snapshot frequency (${app} h) must not exceed the recovery point history (${history} h)`,
    fix:
      history === 0
        ? 'set appConsistentFrequencyHours: 0 (no history keeps no app-consistent points), or raise recoveryPointHistoryHours'
        : `set appConsistentFrequencyHours to ${history} or less, or raise recoveryPointHistoryHours`,
  });
}

function checkTarget(f: Findings, path: PathSegment[], target: Loose<TargetDocument> | undefined): void {
  if (!target) return;
  f.check([...path, 'vmSize'], target.vmSize, checkVmSize);
  checkTags(f, [...path, 'tags'], target.tags);
}

function checkTenant(
  f: Findings,
  path: PathSegment[],
  t: LooseTenant,
  scenario: string | undefined,
  doc: LoosePlanDocument,
): void {
  f.check([...path, 'name'], t.name, checkKey('tenant'));
  f.check([...path, 'tenantId'], t.tenantId, checkGuid('tenantId'));
  f.check([...path, 'subscriptionId'], t.subscriptionId, checkGuid('subscriptionId'));
  checkCredential(f, [...path, 'credential'], t.credential);
  f.check([...path, 'region'], t.region, checkRegion);
  f.check([...path, 'resourceGroup'], t.resourceGroup, checkResourceGroupName);
  f.check([...path, 'storageAccount', 'name'], t.storageAccount?.name, checkStorageAccountName);
  f.check([...path, 'storageAccount', 'sku'], t.storageAccount?.sku, checkStorageSku);
  checkPolicy(f, [...path, 'policy'], t.policy);
  checkPolicyConsistency(f, [...path, 'policy'], t.policy, doc.policy ?? {});
  checkTarget(f, [...path, 'target'], t.target);

  const provider = doc.provider;
  if (scenario === 'multitenant-vmm') {
    if (t.vault !== undefined) {
      f.add([...path, 'vault'], {
        message: "in multitenant-vmm every tenant replicates to the provider's shared vault",
        fix: 'remove vault: here (the shared vault is provider.vault)',
      });
    }
    if (
      provider?.region &&
      t.region &&
      provider.region !== t.region &&
      !checkRegion(t.region) &&
      !checkRegion(provider.region)
    ) {
      f.add([...path, 'region'], {
        message: `tenant region ${q(t.region)} differs from the shared vault's region ${q(provider.region)}: all resources of one recovery path must be in the same region`,
        fix: `set region: ${provider.region}; tenants in ${t.region} need a shared vault there, in a plan of their own`,
      });
    }
    if (
      provider?.tenantId &&
      t.tenantId &&
      isRealGuid(t.tenantId) &&
      provider.tenantId.toLowerCase() === t.tenantId.toLowerCase()
    ) {
      f.add([...path, 'tenantId'], {
        message:
          "tenant id is the provider's own tenant: in the CSP model each customer is an Entra tenant of its own, apart from the provider's",
        fix: "use the customer's tenant id (the Tenant ID on Microsoft Entra ID > Overview, signed in to the customer's tenant)",
      });
    }
    if (
      provider?.subscriptionId &&
      t.subscriptionId &&
      isRealGuid(t.subscriptionId) &&
      provider.subscriptionId.toLowerCase() === t.subscriptionId.toLowerCase()
    ) {
      f.add([...path, 'subscriptionId'], {
        message:
          "tenant subscription is the provider's own subscription: a tenant's storage and network belong in its CSP subscription",
        fix: "use the tenant's CSP subscription id",
      });
    }
    const server = t.vmm?.server;
    if (
      server !== undefined &&
      provider?.vmmServer !== undefined &&
      server.toLowerCase() !== provider.vmmServer.toLowerCase()
    ) {
      f.add([...path, 'vmm', 'server'], {
        message: `in multitenant-vmm every tenant's cloud is on the shared VMM server ${q(provider.vmmServer)}: got ${q(server)}`,
        fix: 'remove server: here, or use dedicated-vmm for tenants with their own VMM server',
      });
    }
  } else {
    // Without vault:, the name is derived from the key and valid whenever the key is (40 + 10 ≤ 50).
    f.check([...path, 'vault'], t.vault, checkVaultName);
  }
  if (scenario === 'dedicated-vmm' && t.vmm && t.vmm.server === undefined) {
    f.add([...path, 'vmm', 'server'], {
      message: "scenario dedicated-vmm needs each tenant's own VMM server",
      fix: "add server: with the FQDN of the tenant's VMM server under vmm:",
    });
  }
  f.check([...path, 'vmm', 'server'], t.vmm?.server, checkHostname);
  for (const key of ['cloud', 'vmNetwork'] as const) {
    const what = key === 'cloud' ? 'cloud' : 'VM network';
    const seen = new Set<string>();
    const names = key === 'cloud' ? placed(t.vmm?.cloud, ['vmm', 'cloud']) : tenantVmNetworks(t);
    for (const { name, at } of names) {
      const where = [...path, ...at];
      if (name.trim() === '')
        f.add(where, { message: `VMM ${what} name must not be empty`, fix: 'give the name as VMM shows it' });
      else if (seen.has(name.toLowerCase()))
        f.add(where, { message: `VMM ${what} ${q(name)} is listed twice`, fix: `list each ${what} once` });
      seen.add(name.toLowerCase());
    }
  }

  const vnets = new Map<string, TenantSubnets>();
  const primary = checkNetwork(f, [...path, 'network'], t.network);
  if (t.network?.vnet !== undefined)
    vnets.set(t.network.vnet.toLowerCase(), tenantSubnets(t.network, primary, 'network'));
  (t.networks ?? []).forEach((n, i) => {
    if (!n) return;
    const names = checkNetwork(f, [...path, 'networks', i], n);
    if (n.vnet !== undefined && !vnets.has(n.vnet.toLowerCase()))
      vnets.set(n.vnet.toLowerCase(), tenantSubnets(n, names, `networks[${i}]`));
  });
  checkTenantVnets(f, path, t);
  checkVms(f, [...path, 'vms'], t.vms, { primary: t.network?.vnet, vnets });
  checkRecoveryPlans(f, path, t);
}

/** A tenant's VM networks: those of `vmm.vmNetwork` and of each `networks[].vmNetwork`, with their paths. */
function tenantVmNetworks(t: LooseTenant): Array<{ name: string; at: PathSegment[] }> {
  return [
    ...placed(t.vmm?.vmNetwork, ['vmm', 'vmNetwork']),
    ...(t.networks ?? []).flatMap((n, i) => placed(n?.vmNetwork, ['networks', i, 'vmNetwork'])),
  ];
}

function placed(
  value: string | Array<string | undefined> | undefined,
  path: PathSegment[],
): Array<{ name: string; at: PathSegment[] }> {
  return placementNames(value).map(({ name, at }) => ({ name, at: [...path, ...at] }));
}

/**
 * Across a tenant's VNets (`network` and `networks`, production and test): each name once, and
 * production ranges apart — static addresses are checked per tenant, and VNets whose ranges
 * overlap can never be peered.
 */
function checkTenantVnets(f: Findings, path: PathSegment[], t: LooseTenant): void {
  const all = [
    { net: t.network, at: [...path, 'network'] },
    ...(t.networks ?? []).map((net, i) => ({ net, at: [...path, 'networks', i] })),
  ];
  // `owner`: the index in `all` of the VNet a name or range was written under.
  const names = new Map<string, { where: string; owner: number }>();
  const ranges: Array<{ text: string; cidr: Cidr; where: string; owner: number }> = [];
  all.forEach(({ net, at }, owner) => {
    if (!net) return;
    const named: Array<[string | undefined, PathSegment[]]> = [
      [net.vnet, [...at, 'vnet']],
      [net.testFailoverVnet?.name, [...at, 'testFailoverVnet', 'name']],
    ];
    for (const [name, nameAt] of named) {
      if (name === undefined) continue;
      const first = names.get(name.toLowerCase());
      // A test VNet named as its own production VNet is reported by checkNetwork.
      if (first === undefined) names.set(name.toLowerCase(), { where: formatPath(nameAt), owner });
      else if (first.owner !== owner)
        f.add(nameAt, {
          message: `VNet ${q(name)} is also ${first.where}: each of the tenant's VNets needs its own name`,
          fix: 'rename one of them',
        });
    }
    (net.addressSpace ?? []).forEach((text, i) => {
      const cidr = text !== undefined && !checkCidr(text) ? parseCidr(text) : undefined;
      if (!cidr || text === undefined) return;
      const clash = ranges.find((r) => r.owner !== owner && overlaps(r.cidr, cidr));
      if (clash)
        f.add([...at, 'addressSpace', i], {
          message: `address range ${q(text)} overlaps ${q(clash.text)} of ${clash.where}: a tenant's VNets need ranges apart (static addresses are unique per tenant, and overlapping VNets cannot be peered)`,
          fix: "use a range the tenant's other VNets do not cover",
        });
      ranges.push({ text, cidr, where: formatPath(at), owner });
    });
  });
}

/** Checks the VNet and the test-failover VNet; returns the production subnet names. */
function checkNetwork(
  f: Findings,
  path: PathSegment[],
  network: Loose<NetworkDocument> | undefined,
): string[] | undefined {
  if (!network) return undefined;
  f.check([...path, 'vnet'], network.vnet, checkVnetName);
  f.check([...path, 'resourceGroup'], network.resourceGroup, checkResourceGroupName);
  checkAddressing(f, path, network.addressSpace, network.subnets);
  const test = network.testFailoverVnet;
  if (test) {
    f.check([...path, 'testFailoverVnet', 'name'], test.name, checkVnetName);
    if (
      test.name !== undefined &&
      network.vnet !== undefined &&
      test.name.toLowerCase() === network.vnet.toLowerCase()
    ) {
      f.add([...path, 'testFailoverVnet', 'name'], {
        message: `the test failover VNet must not be the production VNet ${q(network.vnet)}: drill VMs would join production`,
        fix: `use an isolated VNet, e.g. ${q(`${network.vnet}-test`.slice(0, 64))}`,
      });
    }
    // Defaults to the production addressing; only what the user wrote is checked here.
    if (test.addressSpace !== undefined || test.subnets !== undefined) {
      const space = checkAddressing(
        f,
        [...path, 'testFailoverVnet'],
        test.addressSpace ?? network.addressSpace,
        test.subnets ?? network.subnets,
        {
          space: test.addressSpace !== undefined,
          subnets: test.subnets !== undefined,
        },
      );
      // Its own address space with the production subnets: they must fit in it. One message
      // for the VNet, naming every subnet that does not fit.
      if (test.addressSpace !== undefined && test.subnets === undefined && space) {
        const outside = (network.subnets ?? []).flatMap((sub) => {
          const cidr = sub?.prefix !== undefined && !checkCidr(sub.prefix) ? parseCidr(sub.prefix) : undefined;
          return cidr && !space.some((r) => contains(r, cidr)) ? [`${q(sub?.name ?? '?')} (${sub?.prefix})`] : [];
        });
        if (outside.length > 0) {
          const spaceText = space.map(formatCidr).join(', ');
          f.add([...path, 'testFailoverVnet', 'addressSpace'], {
            message: `the test failover VNet's address space (${spaceText}) does not contain subnet${outside.length > 1 ? 's' : ''} ${outside.join(', ')}, which it takes from network.subnets`,
            fix: `add subnets: under testFailoverVnet with ranges inside ${spaceText}, or leave out its addressSpace to reuse the production one`,
          });
        }
      }
    }
  }
  return network.subnets?.flatMap((s) => (s?.name !== undefined ? [s.name] : []));
}

/**
 * Checks a VNet's address space and subnets; returns the address space as ranges, or undefined
 * when part of it is not a valid range (then nothing is reported as outside it: the one mistake
 * is the range, reported once).
 */
function checkAddressing(
  f: Findings,
  path: PathSegment[],
  space: Array<string | undefined> | undefined,
  subnets: Array<Loose<SubnetSpec> | undefined> | undefined,
  own: { space: boolean; subnets: boolean } = { space: true, subnets: true },
): Cidr[] | undefined {
  const ranges: Array<{ text: string; cidr: Cidr }> = [];
  let spaceValid = true;
  (space ?? []).forEach((text, i) => {
    if (text === undefined) {
      spaceValid = false;
      return;
    }
    const problem = checkCidr(text);
    if (problem) {
      spaceValid = false;
      if (own.space) f.add([...path, 'addressSpace', i], problem);
      return;
    }
    const cidr = parseCidr(text) as Cidr;
    const reserved = AZURE_RESERVED_RANGES.find((r) => overlaps(parseCidr(r.cidr) as Cidr, cidr));
    const clash = ranges.find((r) => overlaps(r.cidr, cidr));
    if (reserved && own.space) {
      f.add([...path, 'addressSpace', i], {
        message:
          text === reserved.cidr
            ? `address range ${q(text)} is reserved (${reserved.what}): Azure refuses it in a VNet`
            : `address range ${q(text)} includes ${reserved.cidr} (${reserved.what}), which Azure refuses in a VNet`,
        fix: 'use a private range (RFC 1918: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) that avoids it',
      });
    } else if (clash && own.space)
      f.add([...path, 'addressSpace', i], {
        message: `address range ${q(text)} overlaps ${q(clash.text)} of the same VNet`,
        fix: 'use ranges that do not overlap',
      });
    ranges.push({ text, cidr });
  });

  const seen: Array<{ name: string; text: string; cidr: Cidr }> = [];
  const names = new Set<string>();
  (subnets ?? []).forEach((s, i) => {
    if (!s || !own.subnets) return;
    const at = [...path, 'subnets', i];
    if (s.name !== undefined) {
      f.check([...at, 'name'], s.name, checkSubnetName);
      if (names.has(s.name.toLowerCase()))
        f.add([...at, 'name'], {
          message: `subnet name ${q(s.name)} is used twice in this VNet`,
          fix: 'give each subnet its own name',
        });
      names.add(s.name.toLowerCase());
    }
    if (s.prefix === undefined) return;
    const problem = checkCidr(s.prefix);
    if (problem) return f.add([...at, 'prefix'], problem);
    const cidr = parseCidr(s.prefix) as Cidr;
    const label = s.name !== undefined ? `subnet ${q(s.name)}` : 'subnet';
    if (cidr.bits > SMALLEST_SUBNET_PREFIX) {
      f.add([...at, 'prefix'], {
        message: `${label} ${s.prefix} is too small: Azure subnets are /${SMALLEST_SUBNET_PREFIX} or larger`,
        fix: `use a /${SMALLEST_SUBNET_PREFIX} or a larger range`,
      });
    } else if (spaceValid && ranges.length > 0 && !ranges.some((r) => contains(r.cidr, cidr))) {
      f.add([...at, 'prefix'], {
        message: `${label} ${s.prefix} is outside the VNet address space (${ranges.map((r) => r.text).join(', ')})`,
        fix: `use a range inside ${ranges[0]?.text ?? 'the address space'}, or add its range to addressSpace`,
      });
    }
    const clash = seen.find((o) => overlaps(o.cidr, cidr));
    if (clash)
      f.add([...at, 'prefix'], {
        message: `${label} ${s.prefix} overlaps subnet ${q(clash.name)} (${clash.text})`,
        fix: 'use subnet ranges that do not overlap',
      });
    seen.push({ name: s.name ?? `#${i}`, text: s.prefix, cidr });
  });
  return spaceValid ? ranges.map((r) => r.cidr) : undefined;
}

/** A tenant's VNets by name (lowercase) with their subnets; `primary` is `network.vnet`. */
interface TenantVnets {
  primary: string | undefined;
  vnets: Map<string, TenantSubnets>;
}

function checkVms(f: Findings, path: PathSegment[], vms: LooseTenant['vms'], vnets: TenantVnets): void {
  if (!vms) return;
  const include = vms.include;
  if (Array.isArray(include)) {
    const firstAt = new Map<string, number>();
    include.forEach((item, i) => {
      if (item === undefined) return;
      const name = typeof item === 'string' ? item : item.name;
      const at: PathSegment[] = typeof item === 'string' ? [...path, 'include', i] : [...path, 'include', i, 'name'];
      const previous = name !== undefined ? firstAt.get(name.toLowerCase()) : undefined;
      // An invalid name is reported where it first appears; a repetition is reported as such only.
      checkVmEntry(
        f,
        [...path, 'include', i],
        item,
        vmSubnets(f, [...path, 'include', i], item, vnets),
        previous === undefined,
      );
      if (name === undefined) return;
      if (previous !== undefined) {
        f.add(at, {
          message: `VM ${q(name)} is selected twice (also ${formatPath([...path, 'include', previous])})`,
          fix: 'list each VM once',
        });
      } else {
        firstAt.set(name.toLowerCase(), i);
      }
      if (typeof item !== 'string') f.check([...path, 'include', i, 'vmSize'], item.vmSize, checkVmSize);
    });
    checkVmAddresses(f, [...path, 'include'], include);
    if (include.length > VM_LIMITS.perTenant) {
      f.add([...path, 'include'], {
        message: `${include.length} VMs are selected: asrflow protects at most ${VM_LIMITS.perTenant} VMs per tenant`,
        fix: `split the VMs over tenant entries of at most ${VM_LIMITS.perTenant} VMs each (each with its own VMM cloud)`,
      });
    }
    if (vms.exclude !== undefined) {
      f.add([...path, 'exclude'], {
        message: 'exclude only applies with include: all',
        fix: 'remove exclude:, or use include: all',
      });
    }
  } else if (include === 'all') {
    const seen = new Set<string>();
    (vms.exclude ?? []).forEach((name, i) => {
      if (name === undefined) return;
      if (!seen.has(name.toLowerCase())) f.check([...path, 'exclude', i], name, checkVmmVmName);
      if (seen.has(name.toLowerCase()))
        f.add([...path, 'exclude', i], { message: `VM ${q(name)} is excluded twice`, fix: 'list each VM once' });
      seen.add(name.toLowerCase());
    });
  }
}

/** The subnets of the VNet a listed VM names (or the tenant's first); an unknown VNet is reported. */
function vmSubnets(
  f: Findings,
  at: PathSegment[],
  item: string | Loose<VmDocument>,
  { primary, vnets }: TenantVnets,
): TenantSubnets {
  const unknown: TenantSubnets = { names: undefined, production: new Map(), test: new Map(), where: 'network' };
  const vnet = typeof item === 'string' ? undefined : item.vnet;
  if (vnet === undefined) return (primary !== undefined ? vnets.get(primary.toLowerCase()) : undefined) ?? unknown;
  const found = vnets.get(vnet.toLowerCase());
  if (!found) {
    const known = [primary, ...[...vnets.keys()]].filter((n): n is string => n !== undefined);
    f.add([...at, 'vnet'], {
      message: `VNet ${q(vnet)} is not one of the tenant's (${[...new Set(known.map((n) => n.toLowerCase()))].join(', ')})`,
      fix: 'use network.vnet or one of networks[].vnet, or add the VNet under networks',
    });
  }
  return found ?? unknown;
}

/** The names of `vmm.cloud` or `vmm.vmNetwork`, one or a list, each with where it is written. */
function placementNames(value: string | Array<string | undefined> | undefined): Array<{ name: string; at: number[] }> {
  if (value === undefined) return [];
  if (typeof value === 'string') return [{ name: value, at: [] }];
  return value.flatMap((name, i) => (name === undefined ? [] : [{ name, at: [i] }]));
}

function checkAcrossTenants(f: Findings, tenants: Array<LooseTenant | undefined>, scenario: string | undefined): void {
  const unique = (
    pick: (t: LooseTenant) => string | undefined,
    at: PathSegment[],
    problem: (value: string, first: number) => Problem,
    valid: (value: string) => boolean = () => true,
  ): void => {
    const first = new Map<string, number>();
    tenants.forEach((t, i) => {
      const value = t ? pick(t) : undefined;
      if (value === undefined || !valid(value)) return;
      const key = value.toLowerCase();
      const seenAt = first.get(key);
      if (seenAt === undefined) first.set(key, i);
      else f.add(['tenants', i, ...at], problem(value, seenAt));
    });
  };
  const who = (i: number): string => {
    const name = tenants[i]?.name;
    return name !== undefined ? `tenants[${i}] (${name})` : `tenants[${i}]`;
  };

  unique(
    (t) => t.name,
    ['name'],
    (v, i) => ({ message: `tenant key ${q(v)} is already used by ${who(i)}`, fix: 'give each tenant its own key' }),
  );
  unique(
    (t) => t.tenantId,
    ['tenantId'],
    (v, i) => ({
      message: `tenant id ${v} is already used by ${who(i)}: each CSP customer is its own Entra tenant`,
      fix: 'merge the two entries, or correct the tenant id',
    }),
    isRealGuid,
  );
  unique(
    (t) => t.subscriptionId,
    ['subscriptionId'],
    (v, i) => ({
      message: `subscription ${v} is already used by ${who(i)}: a CSP subscription belongs to one customer`,
      fix: 'correct the subscription id',
    }),
    isRealGuid,
  );
  unique(
    (t) => t.storageAccount?.name,
    ['storageAccount', 'name'],
    (v, i) => ({
      message: `storage account name ${q(v)} is already used by ${who(i)}: storage account names are globally unique`,
      fix: `choose another name, e.g. ${q(`${v.slice(0, 23)}2`)}`,
    }),
    (v) => matches('storageAccount', v),
  );
  if (scenario === 'multitenant-vmm') {
    // Counted from the VMs the plan lists; `include: all` is counted by the preflight.
    let listed = 0;
    tenants.forEach((t, i) => {
      const include = t?.vms?.include;
      if (!Array.isArray(include)) return;
      const before = listed;
      listed += include.length;
      if (before <= VM_LIMITS.perSharedVault && listed > VM_LIMITS.perSharedVault)
        f.add(['tenants', i, 'vms', 'include'], {
          message: `the tenants up to ${who(i)} select ${listed} VMs on the shared vault: asrflow protects at most ${VM_LIMITS.perSharedVault} VMs per shared vault`,
          fix: 'move tenants to another plan with their own shared vault (provider.vault), or use scenario dedicated-vmm',
        });
    });
    for (const [key, problem] of [
      [
        'cloud',
        (v: string, i: number) => ({
          message: `VMM cloud ${q(v)} is already used by ${who(i)}: on a shared VMM server each tenant needs its own cloud`,
          fix: "use the tenant's own VMM cloud",
        }),
      ],
      [
        'vmNetwork',
        (v: string, i: number) => ({
          message: `VMM VM network ${q(v)} is already used by ${who(i)}: a VM network maps to one tenant's Azure VNet`,
          fix: "use the tenant's own VM network",
        }),
      ],
    ] as const) {
      const first = new Map<string, number>();
      tenants.forEach((t, i) => {
        if (!t) return;
        const names = key === 'cloud' ? placed(t.vmm?.cloud, ['vmm', 'cloud']) : tenantVmNetworks(t);
        for (const { name, at } of names) {
          const seenAt = first.get(name.toLowerCase());
          if (seenAt === undefined) first.set(name.toLowerCase(), i);
          else if (seenAt !== i) f.add(['tenants', i, ...at], problem(name, seenAt));
        }
      });
    }
  }
  if (scenario === 'dedicated-vmm') {
    unique(
      (t) => t.vmm?.server,
      ['vmm', 'server'],
      (v, i) => ({
        message: `VMM server ${q(v)} is already used by ${who(i)}: a VMM server registers with one vault`,
        fix: 'give each tenant its own VMM server, or use scenario multitenant-vmm for a shared one',
      }),
    );
  }
}

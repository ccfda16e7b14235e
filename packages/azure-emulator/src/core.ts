import type { Directory } from './entra/directory';
import type { TokenService } from './entra/tokens';
import type { Estate, EstateVm, EstateVmmServer } from './estate/types';
import type { FaultInjector } from './faults/rules';
import type { Counters, RequestLog } from './admin/log';
import type { Throttler } from './arm/throttling';
import type { SimClock } from './sim/clock';
import { JobEngine } from './sim/jobs';
import { emptyWorld, type OnPremVmState, type WorldState } from './state/world';
import { lower, uuidFromName } from './util/ids';

export interface CoreConfig {
  /** Items per page of list answers before a nextLink. */
  pageSize: number;
  /** Fixed Retry-After for Site Recovery LROs; by default 30 simulated seconds, at least 1 s. */
  asrRetryAfterSeconds?: number;
  tokenLifetimeSeconds: number;
}

// The shared state and services every handler works with.
export class EmulatorCore {
  world: WorldState = emptyWorld();
  readonly jobs: JobEngine;
  origin = '';

  constructor(
    readonly estate: Estate,
    readonly clock: SimClock,
    readonly directory: Directory,
    readonly tokens: TokenService,
    readonly throttler: Throttler,
    readonly faults: FaultInjector,
    readonly log: RequestLog,
    readonly counters: Counters,
    readonly config: CoreConfig,
  ) {
    this.jobs = new JobEngine(this.world);
    this.seedWorld();
  }

  private seedWorld(): void {
    for (const v of this.estate.vmmServers) {
      this.world.providerVersions[lower(v.name)] = v.providerVersion;
      for (const vm of v.vms)
        this.world.onPremVms[vmKey(v.name, vm.cloud, vm.name)] = { powerState: vm.powerState ?? 'Running' };
    }
  }

  /**
   * Brings a saved world (state.json) to the current keys: VMs are identified by VMM server,
   * cloud and name, while files written before that keyed power state and health by
   * `vmm/vm` and by VM name, and items had no cloud. A VM the file does not know (the estate
   * grew since) starts from the estate's power state.
   */
  private upgradeWorld(world: WorldState): void {
    const onPrem: Record<string, OnPremVmState> = {};
    for (const v of this.estate.vmmServers) {
      for (const vm of v.vms) {
        onPrem[vmKey(v.name, vm.cloud, vm.name)] = world.onPremVms[vmKey(v.name, vm.cloud, vm.name)] ??
          world.onPremVms[`${lower(v.name)}/${lower(vm.name)}`] ?? { powerState: vm.powerState ?? 'Running' };
      }
    }
    world.onPremVms = onPrem;
    if (world.itemHealth) {
      const health: NonNullable<WorldState['itemHealth']> = {};
      for (const [key, value] of Object.entries(world.itemHealth)) {
        if (key.includes('/')) health[key] = value;
        // An old key was a bare VM name and applied to every VM of that name.
        else for (const { vmm, vm } of this.vmsNamed(key)) health[vmKey(vmm.name, vm.cloud, vm.name)] = value;
      }
      world.itemHealth = health;
    }
    for (const vault of Object.values(world.vaults)) {
      for (const f of Object.values(vault.asr.fabrics)) {
        // An item's cloud is its container's; ids it was created with are kept (clients hold them).
        for (const c of Object.values(f.containers))
          for (const item of Object.values(c.items)) item.cloud ??= c.cloudName;
      }
      // Files written before recovery plans existed have none.
      vault.asr.recoveryPlans ??= {};
    }
    // Azure VMs of older files were recorded without size, NICs and disks (they are read when
    // addresses are allocated); an unknown size stays empty rather than guessed.
    for (const vm of Object.values(world.azureVms)) {
      vm.vmSize ??= '';
      vm.nics ??= [];
      vm.disks ??= [];
    }
    // Files written before availability sets existed have none.
    world.availabilitySets ??= {};
  }

  reset(): void {
    this.world = emptyWorld();
    this.jobs.attach(this.world);
    this.seedWorld();
    this.throttler.reset();
    this.counters.clear();
    this.log.clear();
    this.faults.clear();
  }

  load(world: WorldState): void {
    this.upgradeWorld(world);
    this.world = world;
    this.jobs.attach(world);
  }

  now(): number {
    return this.clock.now();
  }

  /** Brings jobs and their effects up to the current simulated time. */
  advance(): number {
    const now = this.clock.now();
    this.jobs.advance(now);
    return now;
  }

  /** A fresh GUID that is still the same from run to run for the same request sequence. */
  newGuid(...parts: string[]): string {
    this.world.seq += 1;
    return uuidFromName(...parts, String(this.world.seq));
  }

  /** Seconds a client should wait before polling something that takes `simSeconds`. */
  retryAfter(simSeconds = 30): number {
    if (this.config.asrRetryAfterSeconds !== undefined) return this.config.asrRetryAfterSeconds;
    return Math.max(1, Math.min(simSeconds, Math.ceil(simSeconds / this.clock.speed)));
  }

  vmmServer(name: string): EstateVmmServer | undefined {
    return this.estate.vmmServers.find((v) => lower(v.name) === lower(name));
  }

  /** A VM by its identity: names are unique only within one cloud of a VMM server (as in VMM). */
  vm(vmmName: string, cloud: string, vmName: string): EstateVm | undefined {
    return this.vmmServer(vmmName)?.vms.find((v) => lower(v.cloud) === lower(cloud) && lower(v.name) === lower(vmName));
  }

  /** Every VM with this name, optionally only on one VMM server and/or in one cloud (for callers that know a name only). */
  vmsNamed(
    vmName: string,
    where: { vmm?: string; cloud?: string } = {},
  ): Array<{ vmm: EstateVmmServer; vm: EstateVm }> {
    return this.estate.vmmServers
      .filter((v) => where.vmm === undefined || lower(v.name) === lower(where.vmm))
      .flatMap((vmm) =>
        vmm.vms
          .filter(
            (vm) =>
              lower(vm.name) === lower(vmName) && (where.cloud === undefined || lower(vm.cloud) === lower(where.cloud)),
          )
          .map((vm) => ({ vmm, vm })),
      );
  }

  providerVersion(vmmName: string): string {
    return this.world.providerVersions[lower(vmmName)] ?? '0.0.0.0';
  }
}

/**
 * The key of an on-premises VM in the world's maps (power state, health): VMM server, cloud
 * and name, since two clouds of one server (two tenants of a hoster) may each have a VM of
 * the same name.
 */
export function vmKey(vmm: string, cloud: string, vm: string): string {
  return `${lower(vmm)}/${lower(cloud)}/${lower(vm)}`;
}

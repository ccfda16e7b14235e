import type { Directory } from './entra/directory';
import type { TokenService } from './entra/tokens';
import type { Estate, EstateVm, EstateVmmServer } from './estate/types';
import type { FaultInjector } from './faults/rules';
import type { Counters, RequestLog } from './admin/log';
import type { Throttler } from './arm/throttling';
import type { SimClock } from './sim/clock';
import { JobEngine } from './sim/jobs';
import { emptyWorld, type WorldState } from './state/world';
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
      for (const vm of v.vms) this.world.onPremVms[vmKey(v.name, vm.name)] = { powerState: vm.powerState ?? 'Running' };
    }
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

  vm(vmmName: string, vmName: string): EstateVm | undefined {
    return this.vmmServer(vmmName)?.vms.find((v) => lower(v.name) === lower(vmName));
  }

  providerVersion(vmmName: string): string {
    return this.world.providerVersions[lower(vmmName)] ?? '0.0.0.0';
  }
}

export function vmKey(vmm: string, vm: string): string {
  return `${lower(vmm)}/${lower(vm)}`;
}

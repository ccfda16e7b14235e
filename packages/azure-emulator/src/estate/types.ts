// The simulated world the emulator starts from: Entra tenants with their subscriptions and
// app registrations, and the on-premises VMM estate that the Provider installation exposes.

export interface EstateApp {
  clientId: string;
  /** Fake secret checked by the token endpoint. Never logged. */
  secret: string;
  /** Public certificates (PEM) the app may also sign its client assertions with (certificate credentials). */
  certificates?: string[];
  displayName?: string;
  /** Other tenants this (multi-tenant) app was consented in, e.g. a partner's app in a customer tenant. */
  consentedTenants?: string[];
}

export interface EstateSubscription {
  id: string;
  displayName?: string;
}

export interface EstateTenant {
  name: string;
  tenantId: string;
  subscriptions: EstateSubscription[];
  apps: EstateApp[];
}

export type OsType = 'Windows' | 'Linux';
export type DiskFormat = 'VHD' | 'VHDX';
export type PowerState = 'Running' | 'Off';

export interface EstateDisk {
  name: string;
  sizeGB: number;
  /** Data actually written, which is what initial replication copies. Defaults to sizeGB. */
  usedGB?: number;
  format: DiskFormat;
  os?: boolean;
  shared?: boolean;
}

export interface EstateVm {
  name: string;
  cloud: string;
  host?: string;
  generation: 1 | 2;
  osType: OsType;
  osName?: string;
  cpuCount?: number;
  memoryMB?: number;
  disks: EstateDisk[];
  networks?: string[];
  fibreChannel?: boolean;
  physicalDisk?: boolean;
  bitlocker?: boolean;
  is64Bit?: boolean;
  powerState?: PowerState;
}

export interface EstateVmNetwork {
  name: string;
  subnets?: Array<{ name: string; addressPrefix: string }>;
}

export interface EstateCloud {
  name: string;
  hostGroups?: string[];
}

export interface EstateHost {
  name: string;
  /** Recovery Services agent installed on the Hyper-V host (the seed's per-host step). */
  agentInstalled?: boolean;
}

export interface EstateVmmServer {
  name: string;
  providerVersion: string;
  /** Upload rate available to replication from this site, megabits per second. */
  uploadMbps?: number;
  hosts?: EstateHost[];
  clouds: EstateCloud[];
  vmNetworks: EstateVmNetwork[];
  vms: EstateVm[];
}

export interface Estate {
  region: string;
  tenants: EstateTenant[];
  vmmServers: EstateVmmServer[];
}

import { createHash } from 'node:crypto';

// Azure hands out GUIDs; the emulator derives them from names (UUID v5) so that a run
// repeated with the same requests sees the same identifiers, which keeps tests and
// recorded demos stable.
const NAMESPACE = Buffer.from('6f1c3a52a4b04f7e9a0c5d2e8b7a1c30', 'hex');

export function uuidFromName(...parts: string[]): string {
  const hash = createHash('sha1').update(NAMESPACE).update(parts.join('\u0000').toLowerCase()).digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A large positive integer, as ASR uses for a vault's `resourceId`. Kept below 2^53 so that
 * it survives JSON parsing in JavaScript clients unchanged.
 */
export function numericIdFromName(...parts: string[]): number {
  const hash = createHash('sha256').update(parts.join('\u0000').toLowerCase()).digest();
  return Number(hash.readBigUInt64BE(0) >> 11n);
}

export function lower(s: string): string {
  return s.toLowerCase();
}

export function vaultId(sub: string, rg: string, vault: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/${vault}`;
}

/** Site Recovery spells the first segment of its ids with a capital S; ARM ids compare case-insensitively. */
export function asrVaultId(sub: string, rg: string, vault: string): string {
  return `/Subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/${vault}`;
}

export interface ParsedArmId {
  subscriptionId: string;
  resourceGroup?: string;
  provider?: string;
  /** type/name pairs after the provider namespace */
  segments: Array<{ type: string; name: string }>;
}

export function parseArmId(id: string): ParsedArmId | undefined {
  const parts = id.split('/').filter((p) => p.length > 0);
  if (parts.length < 2 || lower(parts[0] ?? '') !== 'subscriptions') return undefined;
  const out: ParsedArmId = { subscriptionId: parts[1] ?? '', segments: [] };
  let i = 2;
  if (lower(parts[i] ?? '') === 'resourcegroups') {
    out.resourceGroup = parts[i + 1];
    i += 2;
  }
  if (lower(parts[i] ?? '') === 'providers') {
    out.provider = parts[i + 1];
    i += 2;
    while (i + 1 < parts.length) {
      out.segments.push({ type: parts[i] ?? '', name: parts[i + 1] ?? '' });
      i += 2;
    }
  }
  return out;
}

export function sameId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && lower(a) === lower(b);
}

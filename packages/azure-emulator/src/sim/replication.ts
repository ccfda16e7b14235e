import type { PolicyRec, ProtectedItemRec } from '../state/world';

// Replication to Azure as a function of simulated time: the initial copy moves the VM's
// used bytes at the site's upload rate; afterwards deltas ship every policy interval and
// Site Recovery keeps a crash-consistent recovery point every hour (app-consistent ones at
// the policy's snapshot frequency) for the retention window.

export const HOUR = 3600_000;

export interface ReplicationView {
  progressPercent: number;
  initialDone: boolean;
  initialEnd?: number;
  lastReplicatedTime?: number;
  rpoSeconds?: number;
}

export function initialEnd(item: ProtectedItemRec): number | undefined {
  const r = item.replication;
  if (!r) return undefined;
  return r.startedAt + Math.ceil((r.bytes / r.bytesPerSecond) * 1000);
}

export function replicationView(item: ProtectedItemRec, policy: PolicyRec | undefined, now: number): ReplicationView {
  const r = item.replication;
  if (!r) return { progressPercent: 0, initialDone: false };
  const end = initialEnd(item) ?? now;
  const until = Math.min(now, r.stoppedAt ?? now);
  if (until < end) {
    const pct = Math.floor(((until - r.startedAt) / Math.max(1, end - r.startedAt)) * 100);
    return { progressPercent: Math.max(0, Math.min(99, pct)), initialDone: false, initialEnd: end };
  }
  const interval = (policy?.replicationIntervalSeconds ?? 300) * 1000;
  const last = end + Math.floor((until - end) / interval) * interval;
  return {
    progressPercent: 100,
    initialDone: true,
    initialEnd: end,
    lastReplicatedTime: last,
    rpoSeconds: Math.max(0, Math.round((now - last) / 1000)),
  };
}

export interface RecoveryPointSpec {
  time: number;
  type: 'CrashConsistent' | 'AppConsistent';
}

export function recoveryPoints(
  item: ProtectedItemRec,
  policy: PolicyRec | undefined,
  now: number,
): RecoveryPointSpec[] {
  const v = replicationView(item, policy, now);
  if (!v.initialDone || v.initialEnd === undefined) return [];
  const r = item.replication;
  const until = Math.min(now, r?.stoppedAt ?? now);
  const retention = Math.max(1, policy?.recoveryPointHistoryDurationInHours ?? 24) * HOUR;
  const appEvery = (policy?.applicationConsistentSnapshotFrequencyInHours ?? 0) * HOUR;
  const out: RecoveryPointSpec[] = [];
  const first = Math.max(v.initialEnd, until - retention);
  // Hourly points aligned on the end of the initial copy.
  const k0 = Math.ceil((first - v.initialEnd) / HOUR);
  for (let t = v.initialEnd + k0 * HOUR; t <= until; t += HOUR) {
    const sinceStart = t - v.initialEnd;
    out.push({ time: t, type: appEvery > 0 && sinceStart % appEvery === 0 ? 'AppConsistent' : 'CrashConsistent' });
  }
  // The latest processed point (the last delta) is always available.
  if (
    v.lastReplicatedTime !== undefined &&
    (out.length === 0 || (out[out.length - 1]?.time ?? 0) < v.lastReplicatedTime)
  ) {
    out.push({ time: v.lastReplicatedTime, type: 'CrashConsistent' });
  }
  return out.reverse();
}

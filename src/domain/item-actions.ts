// The actions Site Recovery offers on a protected Hyper-V VM: one POST each, and the job it
// starts. Named once here for the failover contract (which decides which to run) and the Azure
// gateway (which sends them).
export type ItemAction =
  | 'testFailover'
  | 'testFailoverCleanup'
  | 'plannedFailover'
  | 'unplannedFailover'
  | 'failoverCommit'
  | 'applyRecoveryPoint'
  | 'failback'
  | 'reprotect';

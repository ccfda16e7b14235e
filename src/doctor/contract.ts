// The doctor probe's contract: `asrflow doctor` runs the probe workflow to prove that a worker
// executes both workflow and activity tasks, and learns which worker build answered.

export interface WorkerInfo {
  workerVersion: string;
  identity: string;
}

/** The one activity every worker serves for the probe. */
export interface DoctorActivities {
  workerInfo(): Promise<WorkerInfo>;
}

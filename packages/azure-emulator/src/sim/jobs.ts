import type { JobErrorSpec, JobRec, TaskRec, WorldState } from '../state/world';

export interface TaskSpec {
  name: string;
  friendlyName: string;
  /** Simulated duration. */
  seconds: number;
  pauseAfter?: boolean;
  /** The job suspends when it reaches this task; POST …/resume completes it (a manual action). */
  waitForUser?: boolean;
  taskType?: string;
  customDetails?: Record<string, unknown>;
  groupDetails?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface EffectHandlers {
  /** Runs once when the job succeeds, at the job's simulated end time. */
  onSuccess?(job: JobRec, at: number): void;
  /** Runs once when the job fails or is cancelled. */
  onFailure?(job: JobRec, at: number): void;
  /** Runs when a failed job is restarted, before its tasks run again. */
  onRestart?(job: JobRec, at: number): void;
  /**
   * Runs when a task starts (before its duration counts): it may change the task's duration,
   * mark it skipped, or set `job.failure` for it.
   */
  onTaskStart?(job: JobRec, index: number, at: number): void;
  /** Runs when a task ends, Succeeded or Failed, before the job moves on or ends. */
  onTaskEnd?(job: JobRec, index: number, at: number): void;
}

// Site Recovery jobs: a sequence of tasks with simulated durations. Nothing runs in the
// background; every request first advances the world to "now", completing tasks (and
// applying their effects) in the order of their simulated end times. The outcome is thus
// independent of how often anyone polls.
/** What starting an ASR job takes: its scenario, target, tasks, effect and an injected failure. */
export interface JobStart {
  scenarioName: string;
  friendlyName: string;
  targetObjectId: string;
  targetObjectName: string;
  targetInstanceType: string;
  tasks: TaskSpec[];
  effect: { kind: string; args: Record<string, string> };
  affectedObjectDetails?: Record<string, string>;
  failure?: { atTask: number; error: JobErrorSpec };
}

export class JobEngine {
  private readonly handlers = new Map<string, EffectHandlers>();
  private readonly active = new Set<JobRec>();

  constructor(private world: WorldState) {
    this.reindex();
  }

  attach(world: WorldState): void {
    this.world = world;
    this.reindex();
  }

  private reindex(): void {
    this.active.clear();
    for (const v of Object.values(this.world.vaults)) {
      for (const j of Object.values(v.asr.jobs)) if (j.state === 'InProgress') this.active.add(j);
    }
  }

  on(kind: string, h: EffectHandlers): void {
    this.handlers.set(kind, h);
  }

  create(input: JobStart & { vaultKey: string; name: string; now: number }): JobRec {
    const vault = this.world.vaults[input.vaultKey];
    if (!vault) throw new Error(`no vault ${input.vaultKey}`);
    const tasks: TaskRec[] = input.tasks.map((t, i) => ({
      taskId: `${input.name}-${i}`,
      name: t.name,
      friendlyName: t.friendlyName,
      durationMs: Math.max(0, Math.round(t.seconds * 1000)),
      ...(t.pauseAfter ? { pauseAfter: true } : {}),
      ...(t.waitForUser ? { waitForUser: true } : {}),
      ...(t.taskType ? { taskType: t.taskType } : {}),
      ...(t.customDetails ? { customDetails: structuredClone(t.customDetails) } : {}),
      ...(t.groupDetails ? { groupDetails: structuredClone(t.groupDetails) } : {}),
      ...(t.data ? { data: { ...t.data } } : {}),
      state: 'NotStarted',
    }));
    const job: JobRec = {
      name: input.name,
      vaultKey: input.vaultKey,
      scenarioName: input.scenarioName,
      friendlyName: input.friendlyName,
      targetObjectId: input.targetObjectId,
      targetObjectName: input.targetObjectName,
      targetInstanceType: input.targetInstanceType,
      activityId: `${input.name} ActivityId: ${input.name}`,
      tasks,
      state: 'InProgress',
      startTime: input.now,
      cursor: { task: 0, taskStart: input.now },
      errors: [],
      effect: input.effect,
      affectedObjectDetails: input.affectedObjectDetails ?? {},
      allowedActions: ['Cancel'],
      ...(input.failure ? { failure: input.failure } : {}),
    };
    vault.asr.jobs[job.name.toLowerCase()] = job;
    vault.asr.jobOrder.push(job.name.toLowerCase());
    this.active.add(job);
    this.startTask(job, 0, input.now);
    return job;
  }

  /** The effect handlers of a kind (a recovery plan's job applies its items' effects through them). */
  handler(kind: string): EffectHandlers | undefined {
    return this.handlers.get(kind);
  }

  /**
   * Starts task `idx` at `at`: its handler may set its duration or a failure; a task that
   * waits for the user suspends the job there. Past the last task the job succeeds.
   */
  private startTask(job: JobRec, idx: number, at: number): void {
    job.cursor = { task: idx, taskStart: at };
    const task = job.tasks[idx];
    if (!task) {
      this.finish(job, at, 'Succeeded');
      return;
    }
    task.state = 'InProgress';
    task.startTime = at;
    this.handlers.get(job.effect.kind)?.onTaskStart?.(job, idx, at);
    if (task.waitForUser && !task.skipped && job.failure?.atTask !== idx) {
      task.state = 'Suspended';
      job.state = 'Suspended';
      job.allowedActions = ['Resume', 'Cancel'];
      this.active.delete(job);
    }
  }

  /** Completes every task due by `now`, in simulated-time order across jobs. */
  advance(now: number): void {
    for (;;) {
      let next: JobRec | undefined;
      let nextEnd = Infinity;
      for (const j of this.active) {
        if (j.state !== 'InProgress') {
          this.active.delete(j);
          continue;
        }
        const t = j.tasks[j.cursor.task];
        const end = t ? j.cursor.taskStart + t.durationMs : j.cursor.taskStart;
        if (end <= now && end < nextEnd) {
          next = j;
          nextEnd = end;
        }
      }
      if (!next) return;
      this.step(next, nextEnd);
    }
  }

  private step(job: JobRec, end: number): void {
    const idx = job.cursor.task;
    const task = job.tasks[idx];
    if (!task) {
      this.finish(job, end, 'Succeeded');
      return;
    }
    task.endTime = end;
    const h = this.handlers.get(job.effect.kind);
    if (job.failure && job.failure.atTask === idx) {
      task.state = 'Failed';
      job.errors.push({ taskId: task.taskId, error: job.failure.error, at: end });
      h?.onTaskEnd?.(job, idx, end);
      this.finish(job, end, 'Failed');
      return;
    }
    task.state = 'Succeeded';
    h?.onTaskEnd?.(job, idx, end);
    job.cursor = { task: idx + 1, taskStart: end };
    if (task.pauseAfter && job.tasks[idx + 1]) {
      job.state = 'Suspended';
      job.allowedActions = ['Resume', 'Cancel'];
      this.active.delete(job);
      return;
    }
    this.startTask(job, idx + 1, end);
  }

  private finish(job: JobRec, at: number, state: 'Succeeded' | 'Failed' | 'Cancelled'): void {
    job.state = state;
    job.endTime = at;
    job.allowedActions = state === 'Failed' || state === 'Cancelled' ? ['Restart'] : [];
    this.active.delete(job);
    const h = this.handlers.get(job.effect.kind);
    if (state === 'Succeeded') h?.onSuccess?.(job, at);
    else h?.onFailure?.(job, at);
  }

  cancel(job: JobRec, now: number): boolean {
    if (job.state !== 'InProgress' && job.state !== 'Suspended' && job.state !== 'NotStarted') return false;
    for (const t of job.tasks) {
      if (t.state === 'InProgress' || t.state === 'NotStarted' || t.state === 'Suspended') {
        if (t.state !== 'NotStarted') t.endTime = now;
        t.state = 'Cancelled';
      }
    }
    this.finish(job, now, 'Cancelled');
    return true;
  }

  /**
   * Resumes a suspended job: a task that waited for the user (a manual action) succeeds now
   * and the next one starts; after a pause the next task starts.
   */
  resume(job: JobRec, now: number): boolean {
    if (job.state !== 'Suspended') return false;
    job.state = 'InProgress';
    job.allowedActions = ['Cancel'];
    this.active.add(job);
    const idx = job.cursor.task;
    const t = job.tasks[idx];
    if (t?.state === 'Suspended') {
      t.state = 'Succeeded';
      t.endTime = now;
      this.handlers.get(job.effect.kind)?.onTaskEnd?.(job, idx, now);
      this.startTask(job, idx + 1, now);
      return true;
    }
    this.startTask(job, idx, now);
    return true;
  }

  /** Runs a failed or cancelled job again from its first unfinished task. */
  restart(job: JobRec, now: number, failure?: { atTask: number; error: JobErrorSpec }): boolean {
    if (job.state !== 'Failed' && job.state !== 'Cancelled') return false;
    const from = job.tasks.findIndex((t) => t.state !== 'Succeeded');
    const start = from < 0 ? job.tasks.length : from;
    for (let i = start; i < job.tasks.length; i++) {
      const t = job.tasks[i];
      if (!t) continue;
      t.state = 'NotStarted';
      delete t.startTime;
      delete t.endTime;
    }
    job.state = 'InProgress';
    job.allowedActions = ['Cancel'];
    delete job.endTime;
    if (failure) job.failure = failure;
    else delete job.failure;
    job.cursor = { task: start, taskStart: now };
    this.handlers.get(job.effect.kind)?.onRestart?.(job, now);
    this.active.add(job);
    this.startTask(job, start, now);
    return true;
  }

  activeCount(): number {
    return this.active.size;
  }
}

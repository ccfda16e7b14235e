import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  condition,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from './failure-types';
import { inlineCode, operatorCommands, type OperatorCommands } from '../../domain/operator-commands';
import { AsrStage } from './search-attributes';
import {
  HANDLER_DESCRIPTIONS,
  operatorDecisionUpdate,
  progressQuery,
  type Progress,
  STEP_ABANDONED,
  type OperatorDecision,
  type StepError,
  type StepProgress,
} from './progress';

export interface StepOptions {
  /** What the operator should do when this step fails for a reason a person must fix (undefined: the default advice). */
  operatorHint?: (error: StepError) => string | undefined;
}

/**
 * Runs a workflow's steps in order and keeps their progress. A step whose activity fails for
 * good (a non-retryable Azure failure, or retries exhausted) does not fail the workflow: the
 * step waits, visibly, until an operator sends a validated `retry` (or `skip`, where safe)
 * through the operatorDecision update.
 */
export interface StepRunnerOptions {
  /**
   * Lets the operator give up on a waiting step: `run` then throws an ApplicationFailure of
   * type STEP_ABANDONED, which the workflow turns into its own outcome. Off by default, since
   * an abandoned onboarding would leave a tenant half built.
   */
  abandonable?: boolean;
  /**
   * The commands that reach this workflow's waiting step, for its hints (default: `asrflow
   * retry --workflow ID`, which reaches any workflow).
   */
  commands?: OperatorCommands;
}

/**
 * Runs a workflow's steps. `A` is what a step's function receives: its capability's activities,
 * labelled with the step's title (`activities` builds them; see activity-options.ts).
 */
export class StepRunner<A = Record<string, never>> {
  readonly steps: StepProgress[] = [];
  private readonly decisions = new Map<string, OperatorDecision>();
  private publishedStage: string | undefined;

  constructor(
    private readonly onChange: (runner: StepRunner<A>) => void = () => undefined,
    private readonly options: StepRunnerOptions & { activities?: (summary: string) => A } = {},
  ) {
    setHandler(
      operatorDecisionUpdate,
      (decision) => {
        this.decisions.set(decision.step, decision);
        return `${decision.action} accepted for step '${decision.step}'`;
      },
      {
        description: HANDLER_DESCRIPTIONS.operatorDecision,
        validator: (decision: OperatorDecision) => this.validate(decision),
      },
    );
  }

  /** Declares the steps up front so the progress shows the whole road, not just the past. */
  plan(steps: Array<{ name: string; title: string; skippable?: boolean }>): void {
    for (const s of steps) this.entry(s.name, s.title, s.skippable ?? false);
    this.changed();
  }

  get stage(): string {
    const active = this.steps.find((s) => s.state === 'running' || s.state === 'waiting-for-operator');
    if (active) return active.state === 'waiting-for-operator' ? `${active.name}:waiting-for-operator` : active.name;
    if (this.steps.some((s) => s.state === 'abandoned')) return 'abandoned';
    return this.steps.every((s) => s.state === 'done' || s.state === 'skipped')
      ? 'done'
      : (this.steps.find((s) => s.state === 'pending')?.name ?? 'starting');
  }

  get operatorAction(): string | undefined {
    return (
      this.steps.find((s) => s.state === 'waiting-for-operator') ??
      this.steps.find((s) => s.state === 'running' && s.operatorHint)
    )?.operatorHint;
  }

  /** Takes over the progress of the planned steps from an earlier run (continue-as-new). */
  restore(progress: StepProgress[]): void {
    for (const saved of progress) {
      const step = this.steps.find((s) => s.name === saved.name);
      if (step) Object.assign(step, saved);
    }
    this.changed();
  }

  /** Tells the operator what a running step waits for (e.g. the Provider installation). */
  hint(name: string, text: string | undefined): void {
    const step = this.steps.find((s) => s.name === name);
    if (step && step.operatorHint !== text) {
      step.operatorHint = text;
      this.changed();
    }
  }

  /** The state of a step, if it is declared. */
  stateOf(name: string): StepProgress['state'] | undefined {
    return this.steps.find((s) => s.name === name)?.state;
  }

  /**
   * Retries a step that waits for an operator, as a `retry` decision would (used when a new plan
   * fixed the value it failed on). Returns whether the step was waiting.
   */
  retryWaiting(name: string): boolean {
    if (this.stateOf(name) !== 'waiting-for-operator') return false;
    this.decisions.set(name, { step: name, action: 'retry', reason: 'the plan changed' });
    return true;
  }

  /** Records what a step found but left alone, so the operator sees it beside the step. */
  warn(name: string, warnings: string[] | undefined): void {
    const step = this.steps.find((s) => s.name === name);
    if (!step || !warnings || warnings.length === 0) return;
    step.warnings = warnings;
    this.changed();
  }

  /**
   * Shows a sub-step the workflow does not run itself (a task of a Site Recovery job), right
   * after its parent and its earlier siblings, so the UI reads in order.
   */
  track(
    parent: string,
    name: string,
    title: string,
    patch: Partial<Pick<StepProgress, 'state' | 'startedAt' | 'endedAt' | 'lastError'>>,
  ): void {
    let step = this.steps.find((s) => s.name === name);
    if (!step) {
      step = { name, title, state: 'pending', runs: 0, skippable: false };
      let at = this.steps.findIndex((s) => s.name === parent);
      while (at >= 0 && this.steps[at + 1]?.name.startsWith(`${parent}/`)) at++;
      this.steps.splice(at < 0 ? this.steps.length : at + 1, 0, step);
    }
    const before = JSON.stringify(step);
    Object.assign(step, patch);
    if (JSON.stringify(step) !== before) this.changed();
  }

  /**
   * Runs a required step: it returns the step's result, or keeps waiting for the operator; it
   * can never be skipped (the `skip` update is refused for it), so later steps may use its result.
   */
  async run<T>(name: string, fn: (activities: A) => Promise<T>, options: StepOptions = {}): Promise<T> {
    const outcome = await this.runStep(name, fn, options, false);
    if ('skipped' in outcome)
      throw ApplicationFailure.nonRetryable(`required step '${name}' was skipped`, FailureType.Fatal);
    return outcome.value;
  }

  /**
   * Runs a step declared safe to skip (nothing after it needs its result): undefined when the
   * operator skipped it. Which steps these are is said in the README.
   */
  async runSkippable<T>(
    name: string,
    fn: (activities: A) => Promise<T>,
    options: StepOptions = {},
  ): Promise<T | undefined> {
    const outcome = await this.runStep(name, fn, options, true);
    return 'skipped' in outcome ? undefined : outcome.value;
  }

  private async runStep<T>(
    name: string,
    fn: (activities: A) => Promise<T>,
    options: StepOptions,
    skippable: boolean,
  ): Promise<{ value: T } | { skipped: true }> {
    // Titles are written once, in plan(): a step run without being planned is a programming error.
    const step = this.steps.find((s) => s.name === name);
    if (!step) throw ApplicationFailure.nonRetryable(`step '${name}' was not planned`, FailureType.Fatal);
    step.skippable = skippable;
    for (;;) {
      step.state = 'running';
      step.startedAt ??= new Date().toISOString();
      step.runs += 1;
      step.operatorHint = undefined;
      this.changed();
      try {
        const value = await fn(this.options.activities ? this.options.activities(step.title) : ({} as A));
        step.state = 'done';
        step.endedAt = new Date().toISOString();
        this.changed();
        return { value };
      } catch (error) {
        if (
          isCancellation(error) ||
          error instanceof CancelledFailure ||
          !(error instanceof ActivityFailure || error instanceof ApplicationFailure)
        )
          throw error;
        step.lastError = describeFailure(error);
        step.state = 'waiting-for-operator';
        step.operatorHint = options.operatorHint?.(step.lastError) ?? defaultHint(step, step.lastError, this.commands);
        this.changed();
        await condition(() => this.decisions.has(name));
        const decision = this.decisions.get(name) as OperatorDecision;
        this.decisions.delete(name);
        if (decision.action === 'abandon') {
          step.state = 'abandoned';
          step.endedAt = new Date().toISOString();
          step.operatorHint = undefined;
          this.changed();
          throw ApplicationFailure.create({
            type: STEP_ABANDONED,
            nonRetryable: true,
            message: `the operator abandoned step '${name}'${decision.reason ? `: ${decision.reason}` : ''} after: ${step.lastError?.message ?? 'a failure'}`,
            details: [{ step: name, reason: decision.reason, lastError: step.lastError }],
          });
        }
        if (decision.action === 'skip') {
          step.state = 'skipped';
          step.endedAt = new Date().toISOString();
          step.operatorHint = undefined;
          this.changed();
          return { skipped: true };
        }
      }
    }
  }

  /** The commands for this workflow's hints; abandon only where the workflow allows it. */
  get commands(): OperatorCommands {
    const commands = this.options.commands ?? operatorCommands.workflow(workflowInfo().workflowId);
    return this.options.abandonable
      ? commands
      : { retry: commands.retry, ...(commands.skip ? { skip: commands.skip } : {}) };
  }

  private validate(decision: OperatorDecision): void {
    const step = this.steps.find((s) => s.name === decision.step);
    if (!step) throw new Error(`no step named '${decision.step}'; steps: ${this.steps.map((s) => s.name).join(', ')}`);
    if (step.state !== 'waiting-for-operator')
      throw new Error(`step '${decision.step}' is ${step.state}, not waiting for an operator`);
    const actions = this.options.abandonable ? ['retry', 'skip', 'abandon'] : ['retry', 'skip'];
    if (!actions.includes(decision.action))
      throw new Error(`action must be ${actions.join(' or ')}: got '${String(decision.action)}'`);
    if (decision.action === 'skip' && !step.skippable)
      throw new Error(`step '${decision.step}' cannot be skipped safely; fix the cause and retry`);
  }

  private entry(name: string, title: string, skippable: boolean): StepProgress {
    let step = this.steps.find((s) => s.name === name);
    if (!step) {
      step = { name, title, state: 'pending', runs: 0, skippable };
      this.steps.push(step);
    }
    return step;
  }

  private changed(): void {
    // Each upsert is a history event: write the stage only when it actually moved.
    const stage = this.stage;
    if (stage !== this.publishedStage) {
      upsertSearchAttributes([{ key: AsrStage, value: stage }]);
      this.publishedStage = stage;
    }
    this.onChange(this);
  }
}

export function describeFailure(error: unknown): StepError {
  let failure: unknown = error;
  while (failure instanceof ActivityFailure && failure.cause) failure = failure.cause;
  if (failure instanceof ApplicationFailure) {
    const details = (failure.details?.[0] ?? {}) as Partial<StepError>;
    return {
      message: failure.message,
      type: failure.type ?? undefined,
      ...(details.code ? { code: details.code } : {}),
      ...(details.possibleCauses ? { possibleCauses: details.possibleCauses } : {}),
      ...(details.recommendedAction ? { recommendedAction: details.recommendedAction } : {}),
      ...(details.fix ? { fix: details.fix } : {}),
      ...(details.requestId ? { requestId: details.requestId } : {}),
    };
  }
  return { message: failure instanceof Error ? failure.message : String(failure) };
}

function defaultHint(step: StepProgress, error: StepError, commands: OperatorCommands): string {
  const advice = error.recommendedAction ?? error.fix ?? 'fix the cause shown in lastError';
  const skip = step.skippable && commands.skip ? ` (or ${inlineCode(commands.skip)} to go on without it)` : '';
  const abandon = commands.abandon ? `, or ${inlineCode(commands.abandon)} to give up` : '';
  // The advice is quoted as ASR (or asrflow) wrote it, full stop included.
  const sentence = /[.!?]$/.test(advice.trim()) ? advice.trim() : `${advice.trim()}.`;
  return `${step.title} failed: ${error.message}. ${sentence} Then run ${inlineCode(commands.retry)}${skip}${abandon}.`;
}

/** True for the failure `StepRunner.run` throws when the operator abandons a step. */
export function isAbandoned(error: unknown): error is ApplicationFailure {
  return error instanceof ApplicationFailure && error.type === STEP_ABANDONED;
}

/** Renders progress as Markdown for the UI's "current details". */
export function renderDetails(title: string, steps: StepProgress[], extra: string[] = []): string {
  const icon: Record<StepProgress['state'], string> = {
    pending: '⏳',
    running: '▶️',
    'waiting-for-operator': '✋',
    done: '✅',
    skipped: '⏭️',
    abandoned: '🛑',
  };
  const lines = [
    `### ${title}`,
    '',
    ...steps.map(
      (s) =>
        `- ${icon[s.state]} **${s.title}** — ${s.state}${s.state === 'waiting-for-operator' ? failureLines(s.lastError) : ''}${s.operatorHint ? `\n  - **Operator:** ${s.operatorHint}` : ''}${(s.warnings ?? []).map((w) => `\n  - ⚠️ ${w}`).join('')}`,
    ),
    ...extra,
  ];
  return lines.join('\n');
}

/** What Site Recovery said about a waiting step's failure: its causes beside its recommended action. */
function failureLines(error: StepError | undefined): string {
  if (!error) return '';
  const lines: string[] = [];
  if (error.code)
    lines.push(`  - **Error code:** ${error.code}${error.requestId ? ` (Azure request id ${error.requestId})` : ''}`);
  if (error.possibleCauses) lines.push(`  - **Possible causes:** ${error.possibleCauses}`);
  if (error.recommendedAction) lines.push(`  - **Recommended action:** ${error.recommendedAction}`);
  return lines.map((l) => `\n${l}`).join('');
}

export function publishDetails(markdown: string): void {
  setCurrentDetails(markdown);
}

/** Answers the progress query from the steps, with what `describe` adds (kind, names, stage). */
export function answerProgress<A>(
  steps: StepRunner<A>,
  describe: () => Omit<Progress, 'steps' | 'operatorAction'>,
): void {
  setHandler(
    progressQuery,
    (): Progress => ({ ...describe(), steps: steps.steps, operatorAction: steps.operatorAction }),
    { description: HANDLER_DESCRIPTIONS.progress },
  );
}

/**
 * A workflow's current details with a result record: the next action for the operator first,
 * then what the workflow adds (`middle`), then its outcome once it has one.
 */
export function outcomeDetails<A>(
  title: string,
  steps: StepRunner<A>,
  record: { outcome: string; reason?: string },
  middle: string[] = [],
): string {
  const extra: string[] = [];
  if (steps.operatorAction) extra.push('', `**Next for the operator:** ${steps.operatorAction}`);
  extra.push(...middle);
  if (record.outcome !== 'running')
    extra.push('', `**Outcome:** ${record.outcome}${record.reason ? ` — ${record.reason}` : ''}`);
  return renderDetails(title, steps.steps, extra);
}

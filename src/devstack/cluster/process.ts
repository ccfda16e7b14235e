import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

/** One long-running process of the cluster, its output appended to a log file. */
export interface ClusterProcess {
  name: string;
  /** For a Temporal service: its gRPC address (host:port), which is also its identity in the cluster. */
  address?: string;
  /** For a Temporal service: its membership port (recorded in cluster_membership). */
  membershipPort?: number;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  running(): boolean;
  /** Sends `signal` (default SIGTERM), waits, and SIGKILLs after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export function spawnLogged(
  name: string,
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; logFile: string; cwd?: string },
): ClusterProcess {
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  return {
    name,
    child,
    pid: child.pid ?? -1,
    logFile: options.logFile,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    stop: (signal = 'SIGTERM', graceMs = 20_000) => stopProcess(child, signal, graceMs),
  };
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill(signal);
  });
}

/** The last lines of a log file, for error messages. */
export function tailOf(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}

/**
 * Polls `probe` until it returns true. Fails at the deadline, or at once when `child` exits
 * first, with the end of its log.
 */
export async function waitFor(
  probe: () => Promise<boolean>,
  options: {
    what: string;
    timeoutMs: number;
    child?: ChildProcess;
    logFile?: string;
    intervalMs?: number;
    /** Processes that must stay up meanwhile: one that exits fails the wait at once, with its log's end. */
    processes?: ClusterProcess[];
  },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const dead = options.processes?.find((p) => !p.running());
    if (dead) {
      throw new Error(
        `${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${options.what}; ` +
          `end of ${dead.logFile}:\n${tailOf(dead.logFile)}`,
      );
    }
    if (options.child && (options.child.exitCode !== null || options.child.signalCode !== null)) {
      throw new Error(
        `${options.what} exited (${options.child.exitCode ?? options.child.signalCode}) before it was ready` +
          (options.logFile ? `; end of ${options.logFile}:\n${tailOf(options.logFile)}` : ''),
      );
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${options.what} was not ready within ${options.timeoutMs} ms${lastError ? `: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}` : ''}` +
          (options.logFile ? `; end of ${options.logFile}:\n${tailOf(options.logFile)}` : ''),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}

/** Runs a one-shot job (a setup script) to completion, its output into `logFile`; fails with its end. */
export async function runJob(
  name: string,
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; logFile: string; timeoutMs: number },
): Promise<void> {
  const job = spawnLogged(name, command, args, options);
  const timer = setTimeout(() => job.child.kill('SIGKILL'), options.timeoutMs);
  const code = await job.exited;
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(
      `${name} failed (exit ${code ?? job.child.signalCode}); end of ${options.logFile}:\n${tailOf(options.logFile)}`,
    );
  }
}

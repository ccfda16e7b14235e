import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../domain/package-root';

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGTERM and wait: the worker drains in-flight activities before exiting. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Runs `asrflow worker` (the compiled CLI) as a child process, as a user would, with the
 * given environment on top of ours. Used by the local stack and by tests that need to kill
 * a worker for real.
 */
export function spawnWorker(
  env: Record<string, string>,
  options: { onOutput?: (line: string) => void; args?: string[]; nodeArgs?: string[] } = {},
): WorkerProcess {
  const cli = path.join(packageRoot(), 'bin', 'asrflow.js');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), cli, 'worker', ...(options.args ?? [])], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) options.onOutput?.(line);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

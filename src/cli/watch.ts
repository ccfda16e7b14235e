import { EXIT } from './exit-codes';
import { allEnded, renderStatus, type WorkflowStatus } from './status';

export interface WatchOptions {
  /** Reads the statuses to show; called once per interval. */
  collect: () => Promise<WorkflowStatus[]>;
  intervalMs: number;
  /** Redraw in place with colours and bars (a terminal), or print each change (pipes, CI logs). */
  tty: boolean;
  /** One JSON line per change instead of text (for scripts). */
  json: boolean;
  write: (text: string) => void;
  /** Ends the watch early (Ctrl-C); the workflows go on. */
  signal?: AbortSignal;
}

export interface WatchResult {
  statuses: WorkflowStatus[];
  /** false when the watch was interrupted before every workflow ended. */
  ended: boolean;
}

// Cursor home + clear to the end of the screen: redraws without scrolling the terminal.
const REDRAW = '\x1b[H\x1b[J';

/**
 * Shows status until every watched workflow has ended. A terminal gets one screen redrawn in
 * place; anything else gets a new block only when something changed, so a CI log stays short.
 */
export async function watchStatus(options: WatchOptions): Promise<WatchResult> {
  let last = '';
  for (;;) {
    const statuses = await options.collect();
    // What changed is judged without links and timestamps, which do not change what a person does.
    const fingerprint = JSON.stringify(statuses.map(({ uiUrl: _ui, ...s }) => s));
    if (options.json) {
      if (fingerprint !== last) options.write(`${JSON.stringify(statuses)}\n`);
    } else if (options.tty) {
      options.write(`${REDRAW}${renderStatus(statuses, { tty: true })}\n\n${stampLine(statuses)}\n`);
    } else if (fingerprint !== last) {
      options.write(`-- ${new Date().toISOString()}\n${renderStatus(statuses)}\n`);
    }
    last = fingerprint;
    if (allEnded(statuses)) return { statuses, ended: true };
    if (await pause(options.intervalMs, options.signal)) return { statuses, ended: false };
  }
}

function stampLine(statuses: readonly WorkflowStatus[]): string {
  const running = statuses.filter((s) => s.status === 'RUNNING').length;
  return `${new Date().toLocaleTimeString()} · ${running} running · Ctrl-C stops watching (the workflows go on)`;
}

/** Waits, or returns true at once when the signal aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The exit code a watch reports: 0 when every workflow completed, 1 when one did not, 130 when
 * Ctrl-C ended the watch first (the workflows go on; a script can tell it saw no end).
 */
export function watchExitCode(result: WatchResult): number {
  if (!result.ended) return EXIT.interrupted;
  return result.statuses.every((s) => s.status === 'COMPLETED') ? 0 : 1;
}

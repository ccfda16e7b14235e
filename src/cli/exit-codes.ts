/**
 * Exit codes, the same for every command (scripts and CI rely on them):
 * - 0: done;
 * - 1: refused or failed at run time — Azure, Temporal, the emulator or a workflow said no, or
 *   something named on the command line does not exist there (an unknown tenant, VM, VMM server);
 * - 2: bad usage or a bad plan — wrong flags or values, a plan or file that cannot be read or
 *   is invalid: nothing was tried, fix the command line;
 * - 130: interrupted by Ctrl-C before the command's work was done (a `--watch` whose workflows
 *   still run). Commands that run until Ctrl-C (`worker`, `dev up`, `dev temporal`, `emulator
 *   start`, the demo once it stays up) end with 0 on Ctrl-C: stopping them is how they finish.
 */
export const EXIT = { ok: 0, failure: 1, badInput: 2, interrupted: 130 } as const;

/** The convention in one paragraph, for the top-level `--help`. */
export const EXIT_CODES_HELP =
  'Exit codes: 0 done; 1 refused or failed at run time (e.g. an unknown tenant, a refusal by Azure or a workflow); ' +
  '2 bad usage or a bad plan (nothing was tried); 130 interrupted by Ctrl-C before the work was done (e.g. a --watch). ' +
  'Commands that run until Ctrl-C (worker, dev up, dev temporal, emulator start) exit 0 when stopped.';

/** Thrown by a command to end the CLI with a given code after it has printed its message. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Exit codes, the same for every command: scripts rely on them. */
export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

/** Thrown by a command to end the CLI with a given code after it has printed its message. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

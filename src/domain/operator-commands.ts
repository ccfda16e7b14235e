// The commands a paused step's hint tells the operator to run, built from the names that
// address its own workflow, so the printed command reaches it (pure: workflows import it).
// Hints are Markdown: commands go in inline code, so the Temporal UI shows them verbatim (no en
// dashes for `--`, no curly quotes, no `<file>` swallowed as HTML) and they copy and run as
// printed; the terminal prints the same text without the backticks (`plainText`).

export interface OperatorCommands {
  /** Runs the waiting step again. */
  retry: string;
  /** Passes a skippable waiting step. */
  skip?: string;
  /** Gives up on the waiting step, ending the workflow (failover only). */
  abandon?: string;
}

/** A word as a POSIX shell reads it back unchanged: bare when safe, else in single quotes. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9._:/@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export const operatorCommands = {
  tenantOnboarding: (tenant: string): OperatorCommands => ({
    retry: `asrflow retry --tenant ${shellWord(tenant)}`,
    skip: `asrflow skip --tenant ${shellWord(tenant)}`,
  }),
  vmProtection: (tenant: string, vm: string): OperatorCommands => ({
    retry: `asrflow retry --tenant ${shellWord(tenant)} --vm ${shellWord(vm)}`,
    skip: `asrflow skip --tenant ${shellWord(tenant)} --vm ${shellWord(vm)}`,
  }),
  /** Any workflow by id (the shared vault's, which no tenant name addresses). */
  workflow: (workflowId: string): OperatorCommands => ({
    retry: `asrflow retry --workflow ${shellWord(workflowId)}`,
    skip: `asrflow skip --workflow ${shellWord(workflowId)}`,
  }),
  failover: (tenant: string, vm: string): OperatorCommands => ({
    retry: `asrflow failover retry --tenant ${shellWord(tenant)} --vm ${shellWord(vm)}`,
    abandon: `asrflow failover abandon --tenant ${shellWord(tenant)} --vm ${shellWord(vm)}`,
  }),
  planFailover: (tenant: string, plan: string): OperatorCommands => ({
    retry: `asrflow failover retry --tenant ${shellWord(tenant)} --recovery-plan ${shellWord(plan)}`,
    abandon: `asrflow failover abandon --tenant ${shellWord(tenant)} --recovery-plan ${shellWord(plan)}`,
  }),
};

/** A command as Markdown inline code. */
export function inlineCode(command: string): string {
  return `\`${command}\``;
}

/** Hint text for a terminal: the same words, inline code without its backticks. */
export function plainText(markdown: string): string {
  return markdown.replace(/`([^`\n]*)`/g, '$1');
}

/** The inline-code spans of a hint: the commands it tells a person to run. */
export function codeSpans(markdown: string): string[] {
  return [...markdown.matchAll(/`([^`\n]*)`/g)].map((m) => m[1] ?? '');
}

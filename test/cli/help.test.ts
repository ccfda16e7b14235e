import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main';
import { cliEntry, runCli } from '../support/cli';

/** Every runnable command of the program, with its full name and help text. */
function leafCommands(): Array<{ name: string; help: string }> {
  const out: Array<{ name: string; help: string }> = [];
  const walk = (command: Command, prefix: string) => {
    const name = `${prefix} ${command.name()}`.trim();
    if (command.commands.length === 0) {
      let help = '';
      command.configureOutput({ writeOut: (text) => (help += text), writeErr: (text) => (help += text) });
      command.outputHelp();
      out.push({ name, help });
    }
    for (const sub of command.commands) if (sub.name() !== 'help') walk(sub, name);
  };
  walk(buildProgram(), '');
  return out;
}

describe('asrflow --help', () => {
  it('shows at least one runnable example on every command', () => {
    const commands = leafCommands();
    expect(commands.length).toBeGreaterThan(30);
    const without = commands
      .filter((c) => !/\nExamples?:\n {2}\$ (\S+=\S+ )*(asrflow|npm run) /.test(c.help))
      .map((c) => c.name);
    expect(without).toEqual([]);
  });

  it('offers --output json|table wherever --json is, and --output json prints what --json does', async () => {
    const withJson = leafCommands().filter((c) => /--json\b/.test(c.help));
    expect(withJson.length).toBeGreaterThan(10);
    expect(withJson.filter((c) => !/--output <format>/.test(c.help)).map((c) => c.name)).toEqual([]);
    const plan = 'examples/multitenant-vmm.yaml';
    const json = await runCli(['plan', 'validate', plan, '--no-check-credentials', '--json']);
    const output = await runCli(['plan', 'validate', plan, '--no-check-credentials', '--output', 'json']);
    expect(json.code).toBe(0);
    expect(output.stdout).toBe(json.stdout);
    expect(() => JSON.parse(output.stdout) as unknown).not.toThrow();
    const table = await runCli(['plan', 'validate', plan, '--no-check-credentials', '--output', 'table']);
    expect(table.stdout).not.toBe(json.stdout);
    const bad = await runCli(['plan', 'validate', plan, '--output', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument 'xml' is invalid. Allowed choices are json, table.");
  });

  it('answers --help and --version from the built CLI with exit 0, and an unknown command with exit 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: asrflow');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const unknown = await runCli(['onbaord']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'onbaord'/);
  });

  it('ends quietly when its reader goes away early (asrflow --help | head -1)', async () => {
    // The reader closes the pipe before the help is written: no EPIPE stack trace, exit 0.
    const child = spawn(process.execPath, [cliEntry, 'failover', 'test', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

import { Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { loadTemporalSettings } from '../temporal/config';
import { registerSearchAttributes } from '../temporal/register-search-attributes';

export function registerTemporalCommands(program: Command): void {
  const temporalCmd = program
    .command('temporal')
    .description('Set up a Temporal server that asrflow did not start itself.');
  temporalCmd
    .command('register-search-attributes')
    .description('Register AsrTenant, AsrScenario, AsrStage, AsrVm and AsrKind on the namespace (operator service).')
    .option('--address <host:port>', 'Temporal frontend address (default: TEMPORAL_ADDRESS)')
    .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)')
    .addHelpText(
      'after',
      '\nExample:\n  $ TEMPORAL_ADDRESS=temporal.internal:7233 asrflow temporal register-search-attributes',
    )
    .action(async (opts: { address?: string; namespace?: string }) => {
      const settings = loadTemporalSettings(process.env, opts);
      const connection = await Connection.connect(settings.connectionOptions);
      try {
        const added = await registerSearchAttributes(connection, settings.namespace);
        console.log(
          added.length
            ? `registered on '${settings.namespace}': ${added.join(', ')}`
            : `all search attributes already registered on '${settings.namespace}'`,
        );
      } finally {
        await connection.close();
      }
    });
}

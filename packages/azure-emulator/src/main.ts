// Stand-alone entry of the emulator commands, without the asrflow CLI (which registers the same
// commands through src/devstack/emulator-commands.ts):
//   npm run build -w @asrflow/azure-emulator
//   node packages/azure-emulator/dist/main.js emulator start --port 8443
import { Command, CommanderError } from 'commander';
import { registerEmulatorCommands } from './cli';

const program = new Command('asrflow').exitOverride();
registerEmulatorCommands(program);
program.parseAsync(process.argv).then(
  () => undefined,
  (e: unknown) => {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    console.error(e);
    process.exit(1);
  },
);

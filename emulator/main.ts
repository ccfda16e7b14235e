// Stand-alone entry of the emulator commands, until they are wired into the asrflow CLI:
//   node --import tsx emulator/main.ts emulator start --port 8443
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

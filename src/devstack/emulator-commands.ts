// The `asrflow emulator …` commands (start, install-provider, upgrade-provider, admin …). They
// live in the emulator package (@asrflow/azure-emulator, packages/azure-emulator/); the product
// reaches that package only through src/devstack/, so src/cli/main.ts registers them from here.
export { registerEmulatorCommands } from '@asrflow/azure-emulator/cli';

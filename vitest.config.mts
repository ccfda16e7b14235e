import { defineConfig } from 'vitest/config';

// One Temporal dev server per test run (global setup); tests use unique task queues.
// Integration tests start real processes and servers, so timeouts are generous and
// files run at most two at a time (the machine has two cores).
export default defineConfig({
  // The emulator package (@asrflow/azure-emulator) is loaded from its TypeScript sources, as
  // tsconfig.json's customConditions type it; child processes (the compiled CLI) use its dist/.
  resolve: { conditions: ['asrflow-source'] },
  ssr: { resolve: { conditions: ['asrflow-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});

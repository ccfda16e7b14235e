import { configDefaults, defineConfig } from 'vitest/config';

// Two tiers (docs/ARCHITECTURE.md, Tests):
// - unit: files named `*.unit.test.ts`. Pure code, and workflows against stub activities on
//   the time-skipping test server (one per file, started by the file itself). No dev server,
//   no emulator, no CLI or worker processes, no dist/. `npm run test:unit`.
// - integration: every other `*.test.ts`. One real Temporal dev server per run (global setup);
//   tests use unique task queues and run the compiled CLI, worker and emulator.
// `vitest run` (`npm test`) runs both; the summary reporter ends the run with one line for all.
// Files run at most two at a time: the machine has two cores.
export default defineConfig({
  // The emulator package (@asrflow/azure-emulator) is loaded from its TypeScript sources, as
  // tsconfig.json's customConditions type it; child processes (the compiled CLI) use its dist/.
  resolve: { conditions: ['asrflow-source'] },
  ssr: { resolve: { conditions: ['asrflow-source'] } },
  test: {
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.unit.test.ts'],
          globalSetup: ['test/support/unit-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/**/*.unit.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

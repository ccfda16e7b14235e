import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer } from '../../src/devstack/temporal-server';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    temporalUiUrl: string;
  }
}

/**
 * One real Temporal dev server for the whole run (in memory, UI on a free port); tests keep
 * out of each other's way with unique task queues and workflow ids.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = path.resolve(__dirname, '..', '..');
  if (!existsSync(path.join(root, 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error(
      'dist/ is missing: the tests run the compiled CLI and worker. Run `npm run build` first (`npm test` does).',
    );
  }
  const server = await startDevServer({});
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  project.provide('temporalUiUrl', server.uiUrl ?? '');
  return () => server.stop();
}

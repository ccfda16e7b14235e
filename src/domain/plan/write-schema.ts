// Writes schemas/plan.schema.json from schema.ts: `npx tsx src/domain/plan/write-schema.ts`.
// test/plan/schema.unit.test.ts fails when the published file and the code disagree.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root';
import { planSchema } from './schema';

export const SCHEMA_FILE = path.join('schemas', 'plan.schema.json');

export function renderSchema(): string {
  return `${JSON.stringify(planSchema, null, 2)}\n`;
}

if (require.main === module) {
  const target = path.join(packageRoot(), SCHEMA_FILE);
  writeFileSync(target, renderSchema());
  console.log(`wrote ${target}`);
}

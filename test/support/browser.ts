import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs; ASRFLOW_CHROMIUM points elsewhere (e.g. a Chrome). */
export function chromiumPath(): string {
  return process.env.ASRFLOW_CHROMIUM || '/usr/bin/chromium';
}

/**
 * A headless Chromium for the UI tests. playwright-core brings no browser of its own, and a
 * missing one must fail the run with the fix rather than skip: a skipped UI test looks green.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}; the Temporal UI test drives a real browser. Install it with ` +
        '`sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium` (Debian/Ubuntu; `.ci/run` does this), ' +
        'or set ASRFLOW_CHROMIUM to a Chromium or Chrome executable.',
    );
  }
  return chromium.launch({
    executablePath,
    // No sandbox: CI runs as root in a container. The rest keeps Chromium from calling home.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm run build` produces dist/.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error('asrflow: not built yet. Run `npm run build` (or `npm test` / `npm run demo`, which build first).');
  process.exit(1);
}
// A reader that goes away early (`asrflow status | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error && error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
require(entry)
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(`asrflow: ${error && error.stack ? error.stack : error}`);
      process.exitCode = 1;
    },
  );

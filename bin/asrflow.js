#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm run build` produces dist/.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
if (!fs.existsSync(entry)) {
  console.error('asrflow: not built yet. Run `npm run build` (or `npm test` / `npm run demo`, which build first).');
  process.exit(1);
}
require(entry).main(process.argv).then(
  (code) => { process.exitCode = code; },
  (error) => { console.error(`asrflow: ${error && error.stack ? error.stack : error}`); process.exitCode = 1; },
);

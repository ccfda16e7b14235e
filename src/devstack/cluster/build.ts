import { cacheDir } from '../temporal-binary';
import { ensureClusterBinaries, recordedBuildSeconds } from './binaries';

// Builds (or finds) the native cluster's binaries in the per-user cache and prints where they
// are: what .ci/run does before the tests, so the build is cached for the next run.
//   node --import tsx src/devstack/cluster/build.ts
const started = Date.now();
ensureClusterBinaries({ log: (line) => process.stderr.write(`${line}\n`) }).then(
  (binaries) => {
    const took = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`cluster binaries ready in ${took} s (cache ${cacheDir()}):`);
    for (const [name, file] of Object.entries(binaries)) console.log(`  ${name}: ${file}`);
    for (const [what, seconds] of Object.entries(recordedBuildSeconds()))
      console.log(`  ${what} was built in ${seconds} s`);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);

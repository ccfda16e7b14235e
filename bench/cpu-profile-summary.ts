// Where a worker's CPU went: self time of a V8 CPU profile (node --cpu-prof, written by
// `bench/scale.ts --cpu-prof DIR`) by function and by package, largest first.
//
//   node --import tsx bench/cpu-profile-summary.ts PROFILE.cpuprofile [more…] [--top 15]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 15;
const files = args.filter((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1));
if (files.length === 0) {
  console.error('usage: node --import tsx bench/cpu-profile-summary.ts PROFILE.cpuprofile [more…] [--top 15]');
  process.exit(2);
}

/** node_modules/<package> (scoped too), node's own code, or the project's file. */
function packageOf(url: string): string {
  // Workflow code runs from the bundle the worker builds (in its own V8 contexts).
  if (/workflow-bundle|\/workflows?\//.test(url) && !url.includes('node_modules')) return 'workflow code (bundle)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m?.[1]) return m[1];
  if (url.startsWith('node:') || url === '') return url === '' ? '(V8 / native)' : 'node core';
  const own = /\/(dist|src)\/(.+)$/.exec(url);
  return own ? `asrflow ${own[2]}` : url;
}

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = nodes.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    // Idle and the garbage collector are V8's own frames: kept, so the shares add up.
    const fn = `${functionName || '(anonymous)'} ${url ? `${packageOf(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const pkg = url ? packageOf(url) : functionName;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    total += us;
  });
}

const busy = total - (byFunction.get('(idle)') ?? 0);
const table = (title: string, rows: Map<string, number>) => {
  console.log(`\n${title} (share of busy time, ${(busy / 1e6).toFixed(1)} s busy of ${(total / 1e6).toFixed(1)} s)`);
  for (const [name, us] of [...rows]
    .filter(([n]) => n !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    console.log(`${((us / busy) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
};
table('self time by function', byFunction);
table('self time by package', byPackage);

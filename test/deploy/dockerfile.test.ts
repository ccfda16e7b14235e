import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '@asrflow/azure-emulator';
import { eventually, repoRoot, runCli } from '../support/cli';
import { createTestNamespace, workerEnv } from '../support/stack';
import { argv, environmentOf, loadCompose, COMPOSE_FILE, mountsOf } from './compose-model';
import { dockerIgnore, parseDockerfile, replayDockerfile, type ReplayResult } from './dockerfile-replay';

const DOCKERFILE = path.join(repoRoot, 'Dockerfile');

describe('Dockerfile (static)', () => {
  const stages = parseDockerfile(DOCKERFILE);
  const runtime = stages.at(-1);

  it('builds from one pinned Node 20 Debian image in every stage, the Node major the tests run on', () => {
    const images = new Set(stages.map((s) => s.image));
    expect(images.size).toBe(1);
    const [image = ''] = images;
    const m = /^node:(20)\.(\d+)\.(\d+)-bookworm-slim$/.exec(image);
    expect(m, `${image} is not a pinned node:20.x.y-bookworm-slim`).not.toBeNull();
    expect(process.versions.node.split('.')[0]).toBe(m?.[1]);
  });

  it('installs with npm ci, builds, and ships production dependencies only', () => {
    const runs = (name: string) =>
      stages
        .find((s) => s.name === name)
        ?.instructions.filter((i) => i.keyword === 'RUN')
        .map((i) => i.raw) ?? [];
    expect(runs('build')).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/), 'npm run build']));
    expect(runs('prod-deps')).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
    const copies = runtime?.instructions.filter((i) => i.keyword === 'COPY') ?? [];
    const nodeModules = copies.filter((c) => c.args.some((a) => a.includes('node_modules')));
    expect(nodeModules.map((c) => c.flags['from'])).toEqual(['prod-deps']);
    expect(copies.find((c) => c.args[0] === '/app/dist')?.flags['from']).toBe('build');
  });

  it('keeps RUN commands inside WORKDIR (so the replay below cannot touch this machine)', () => {
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.keyword === 'RUN')) {
        expect(i.raw, `line ${i.line}`).not.toMatch(/(^|[\s=:'"])\/(?!dev\/null)/);
        expect(i.raw, `line ${i.line}`).not.toMatch(/\.\.\//);
      }
    }
  });

  it('runs as the unprivileged node user with ENTRYPOINT node bin/asrflow.js and CMD worker, and owns the volume mount points', () => {
    const keywords = runtime?.instructions.map((i) => i.keyword) ?? [];
    const user = runtime?.instructions.find((i) => i.keyword === 'USER');
    expect(user?.args).toEqual(['node']);
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.indexOf('ENTRYPOINT'));
    expect(runtime?.instructions.find((i) => i.keyword === 'ENTRYPOINT')?.json).toEqual(['node', 'bin/asrflow.js']);
    expect(runtime?.instructions.find((i) => i.keyword === 'CMD')?.json).toEqual(['worker']);
    // The compose file's named volumes sit on directories the image creates, owned by node.
    const owned =
      runtime?.instructions
        .filter((i) => i.keyword === 'COPY' && i.flags['chown'] === 'node:node')
        .map((i) => i.args.at(-1) ?? '') ?? [];
    const compose = loadCompose([COMPOSE_FILE]);
    for (const name of ['worker', 'emulator']) {
      for (const mount of mountsOf(compose.services[name] ?? {}).filter((m) => m.type === 'volume')) {
        expect(
          owned.some((dir) => mount.target.startsWith(`${dir}/`)),
          `${name}: ${mount.target} is not under a node-owned image directory`,
        ).toBe(true);
      }
    }
    const env = Object.fromEntries(runtime?.instructions.flatMap((i) => i.env ?? []) ?? []);
    expect(env['ASRFLOW_CREDENTIALS_DIR']).toBe(
      environmentOf(compose.services['worker'] ?? {})['ASRFLOW_CREDENTIALS_DIR'],
    );
    expect(argv(compose.services['emulator']?.command)).toContain('emulator');
  });

  it('.dockerignore keeps secrets, local state and build output out of the context', () => {
    const ignored = dockerIgnore(repoRoot);
    for (const p of [
      'asrflow.env',
      '.env',
      'node_modules/x',
      'dist/src/cli/main.js',
      '.git/HEAD',
      '.asrflow/credentials/v.VaultCredentials',
      'x.VaultCredentials',
    ])
      expect(ignored(p), p).toBe(true);
    for (const p of ['packages/azure-emulator/dist/index.js', 'packages/azure-emulator/node_modules/x'])
      expect(ignored(p), p).toBe(true);
    for (const p of ['package.json', 'src/worker/workflows.ts', 'examples/multitenant-vmm.yaml', 'bin/asrflow.js'])
      expect(ignored(p), p).toBe(false);
    for (const p of ['package.json', 'src/index.ts', 'examples/estate.yaml', 'tsconfig.build.json'])
      expect(ignored(`packages/azure-emulator/${p}`), p).toBe(false);
  });
});

// "The image's commands run outside Docker": the Dockerfile replayed into a temporary directory
// (npm ci from the npm cache, the TypeScript build, the production install), then its
// ENTRYPOINT + CMD started there as the worker, against the run's Temporal server and an
// emulator, proven by `asrflow doctor` from the checkout and stopped with SIGTERM.
describe('the Dockerfile replayed outside Docker', () => {
  let workDir: string;
  let image: ReplayResult;
  let replaySeconds = 0;
  let emulator: EmulatorHandle | undefined;
  let worker: ChildProcess | undefined;
  let workerExit: Promise<number | null> | undefined;
  const workerOutput: string[] = [];
  let connection: Connection | undefined;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'asrflow-dockerfile-'));
    const started = Date.now();
    image = await replayDockerfile({
      dockerfile: DOCKERFILE,
      context: repoRoot,
      workDir,
      runEnv: {
        PATH: [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter),
        // The image's npm has no cache; here the machine's cache makes the installs offline-fast.
        npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
        npm_config_prefer_offline: 'true',
        npm_config_update_notifier: 'false',
      },
    });
    replaySeconds = (Date.now() - started) / 1000;
    console.log(
      `Dockerfile replayed in ${replaySeconds.toFixed(0)} s: ${image.timings.map((t) => `${t.command} ${t.seconds.toFixed(0)} s`).join('; ')}`,
    );
  }, 900_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      worker.kill('SIGKILL');
      await workerExit;
    }
    await connection?.close();
    await emulator?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('produces the runtime layout: compiled CLI, production modules only, node-owned volume directories', () => {
    const app = image.workdir;
    expect(path.relative(image.root, app)).toBe('app');
    for (const p of [
      'bin/asrflow.js',
      'dist/src/cli/main.js',
      'dist/src/worker/workflows.js',
      'examples/multitenant-vmm.yaml',
      'package.json',
    ])
      expect(existsSync(path.join(app, p)), p).toBe(true);
    // The emulator workspace package: npm's relative link, and what it resolves to in the image
    // (its compiled code and default estate, not its sources).
    const emulatorLink = path.join(app, 'node_modules', '@asrflow', 'azure-emulator');
    expect(readlinkSync(emulatorLink)).toBe(path.join('..', '..', 'packages', 'azure-emulator'));
    for (const p of ['package.json', 'dist/index.js', 'dist/cli.js', 'examples/estate.yaml'])
      expect(existsSync(path.join(emulatorLink, p)), p).toBe(true);
    expect(existsSync(path.join(app, 'packages', 'azure-emulator', 'src'))).toBe(false);
    // What the worker needs at run time, including the workflow bundler and its SWC compiler.
    for (const m of ['@temporalio/worker', '@temporalio/core-bridge', 'webpack', 'swc-loader', '@swc/core'])
      expect(existsSync(path.join(app, 'node_modules', m, 'package.json')), m).toBe(true);
    const swc = JSON.parse(readFileSync(path.join(app, 'node_modules', '@swc', 'core', 'package.json'), 'utf8')) as {
      version: string;
    };
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      overrides: Record<string, string>;
    };
    expect(swc.version).toBe(pkg.overrides['@swc/core']);
    for (const dev of ['vitest', 'typescript', 'tsx', 'eslint', 'dclint', 'dockerfile-ast', 'playwright-core'])
      expect(existsSync(path.join(app, 'node_modules', dev)), `${dev} (dev) shipped`).toBe(false);
    expect(existsSync(path.join(app, 'node_modules', '.bin', 'tsc'))).toBe(false);
    for (const dir of ['var/lib/asrflow/credentials', 'var/lib/asrflow/emulator'])
      expect(existsSync(path.join(image.root, dir)), dir).toBe(true);
    // Ownership cannot be given without root and a node user; the static test checks --chown.
    expect(image.notApplied).toEqual([expect.stringMatching(/--chown=node:node on \/var\/lib\/asrflow$/)]);
    expect(image.user).toBe('node');
  });

  // The compose file's `emulator` profile runs the same image with `emulator start`, and its
  // healthcheck runs `emulator admin counters`: both from the replayed image, with its default estate.
  it("runs `emulator start` from the image (the compose emulator profile) with the package's default estate", async () => {
    const dataDir = path.join(workDir, 'image-emulator');
    const imageEnv = Object.fromEntries(
      Object.entries(image.env).map(([k, v]) => [k, v.startsWith('/') ? path.join(image.root, v) : v]),
    );
    const env = { PATH: path.dirname(process.execPath), HOME: path.join(workDir, 'home'), ...imageEnv };
    const entry = image.entrypoint.slice(1);
    const child = spawn(process.execPath, [...entry, 'emulator', 'start', '--port', '0', '--data-dir', dataDir], {
      cwd: image.workdir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const line = await Promise.race([
        new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
        exited.then((code) => Promise.reject(new Error(`emulator start exited ${code}: ${stderr}`))),
      ]);
      const info = JSON.parse(line) as { armEndpoint: string; dataDir: string };
      expect(info.armEndpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const health = spawn(process.execPath, [...entry, 'emulator', 'admin', 'estate', '--data-dir', dataDir], {
        cwd: image.workdir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      health.stdout.on('data', (d: Buffer) => (out += d.toString()));
      expect(await new Promise((resolve) => health.once('exit', resolve)), out).toBe(0);
      expect(out).toContain('vmm01.fabrikam.local');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it('runs ENTRYPOINT + CMD as a worker that polls and executes tasks (doctor passes), and exits 0 on SIGTERM', async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    const namespace = await createTestNamespace(connection);
    const taskQueue = `dockerfile-${randomUUID()}`;
    emulator = await startEmulator({ port: 0, dataDir: path.join(workDir, 'emulator') });
    const shared = workerEnv(namespace, taskQueue, emulator);
    // The image's environment, with its absolute paths mapped into the replayed root.
    const imageEnv = Object.fromEntries(
      Object.entries(image.env).map(([k, v]) => [k, v.startsWith('/') ? path.join(image.root, v) : v]),
    );
    const [program = '', ...entryArgs] = [...image.entrypoint, ...image.cmd];
    expect(program).toBe('node');
    worker = spawn(process.execPath, entryArgs, {
      cwd: image.workdir,
      env: { PATH: path.dirname(process.execPath), HOME: path.join(workDir, 'home'), ...imageEnv, ...shared },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = worker;
    workerExit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (d: Buffer) => workerOutput.push(...d.toString().split('\n').filter(Boolean)));
    expect(imageEnv['NODE_ENV']).toBe('production');
    expect(imageEnv['ASRFLOW_CREDENTIALS_DIR']).toBe(path.join(image.root, 'var/lib/asrflow/credentials'));

    const conn = connection;
    await eventually(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`worker exited ${child.exitCode}:\n${workerOutput.slice(-20).join('\n')}`);
        const tq = await conn.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return (tq.pollers ?? []).length > 0 ? true : undefined;
      },
      'the replayed worker to poll',
      120_000,
      500,
      async () => workerOutput.slice(-20),
    );

    // doctor from the checkout, same settings: every check passes, and the probe workflow was
    // answered by the replayed worker process (its pid is in the worker identity).
    const doctor = await runCli(['doctor', '--json'], shared, 90_000);
    const results = JSON.parse(doctor.stdout) as Array<{ name: string; ok: boolean; detail: string }>;
    expect(
      results.filter((r) => !r.ok),
      doctor.stdout,
    ).toEqual([]);
    expect(doctor.code).toBe(0);
    expect(results.map((r) => r.name)).toEqual(
      expect.arrayContaining([`Worker polling task queue '${taskQueue}'`, 'Worker executes tasks']),
    );
    expect(results.find((r) => r.name === 'Worker executes tasks')?.detail).toContain(`/${child.pid}@`);

    child.kill('SIGTERM');
    const code = await Promise.race([
      workerExit,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running 45 s after SIGTERM'), 45_000)),
    ]);
    expect(code, workerOutput.slice(-20).join('\n')).toBe(0);
    expect(workerOutput.some((l) => l.includes('worker stopped'))).toBe(true);
  }, 300_000);
});

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkSearchAttributes } from '../../src/temporal/register-search-attributes';
import { deployFiles } from '../../src/devstack/cluster/cluster';
import { demoSecrets } from '../../src/devstack/demo-secrets';
import { locateTemporalBinary } from '../../src/devstack/temporal-binary';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/workflow/search-attributes';
import { SHUTDOWN_GRACE_TIME } from '../../src/worker/create-worker';
import { repoRoot } from '../support/cli';
import {
  argv,
  COMPOSE_FILE,
  dependsOn,
  durationMs,
  EMULATOR_OVERRIDE_FILE,
  environmentNamesReadFrom,
  environmentOf,
  imageTag,
  interpolate,
  interpolatedVariables,
  loadCompose,
  mountsOf,
  portsOf,
  readComposeYaml,
  type ComposeFile,
} from './compose-model';

// The Compose Specification's JSON schema as published by the spec project, shipped inside the
// dclint package (a pinned devDependency); its exports map hides the file, so find it beside
// the package.json.
const SCHEMA_FILE = path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');

function composeValidator() {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  // strict: false because the published schema uses keywords Ajv's strict mode rejects
  // (e.g. "deprecated"); validateSchema: false because its $schema URI is the https spelling
  // of draft-07, which Ajv does not register.
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  return ajv.compile(schema);
}

const base = () => loadCompose([COMPOSE_FILE]);
const withEmulator = () => loadCompose([COMPOSE_FILE, EMULATOR_OVERRIDE_FILE]);

function service(compose: ComposeFile, name: string) {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service '${name}'`);
  return s;
}

describe('docker-compose.yml and docker-compose.emulator.yml against the Compose Specification schema', () => {
  const validate = composeValidator();

  it('the schema is the Compose Specification and rejects what Compose rejects', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as {
      title?: string;
      properties?: Record<string, unknown>;
    };
    expect(schema.title).toBe('Compose Specification');
    const broken = structuredClone(readComposeYaml(COMPOSE_FILE)) as ComposeFile;
    (broken.services['worker'] as Record<string, unknown>)['stop_grace_perod'] = '45s';
    expect(validate(broken)).toBe(false);
    const badCondition = structuredClone(readComposeYaml(COMPOSE_FILE)) as ComposeFile;
    (badCondition.services['temporal'] as Record<string, unknown>)['depends_on'] = {
      'temporal-schema': { condition: 'service_finished' },
    };
    expect(validate(badCondition)).toBe(false);
  });

  for (const file of [COMPOSE_FILE, EMULATOR_OVERRIDE_FILE]) {
    it(`${path.basename(file)} is valid, as written and after interpolation with the defaults`, () => {
      for (const doc of [readComposeYaml(file), interpolate(readComposeYaml(file), {})]) {
        const ok = validate(doc);
        expect(validate.errors ?? [], `${path.basename(file)}: ${JSON.stringify(validate.errors)}`).toEqual([]);
        expect(ok).toBe(true);
      }
    });
  }

  it('the merged emulator stack is valid too', () => {
    expect(validate(withEmulator()), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('docker-compose.yml semantics', () => {
  it('is project asrflow, and every interpolated variable has a default (a bare `docker compose up` works)', () => {
    expect(base().name).toBe('asrflow');
    for (const file of [COMPOSE_FILE, EMULATOR_OVERRIDE_FILE]) {
      for (const [name, { hasDefault }] of interpolatedVariables(file))
        expect(hasDefault, `${path.basename(file)}: \${${name}} has no default`).toBe(true);
    }
  });

  it('pins every image to a version tag (never latest), and the built image has a tag of its own', () => {
    const compose = withEmulator();
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.image, `${name} names no image`).toBeTruthy();
      const { tag, digest } = imageTag(s.image as string);
      expect(tag ?? digest, `${name}: ${s.image} is not pinned`).toBeTruthy();
      expect(tag, `${name}: ${s.image}`).not.toBe('latest');
      expect(tag ?? '', `${name}: ${s.image} should carry a version`).toMatch(/\d/);
    }
    expect(service(compose, 'worker').image).toBe(service(compose, 'emulator').image);
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(imageTag(service(compose, 'worker').image ?? '').tag).toBe(pkg.version);
  });

  it('publishes ports on 127.0.0.1 only, and not PostgreSQL at all', () => {
    const compose = withEmulator();
    for (const [name, s] of Object.entries(compose.services)) {
      for (const p of portsOf(s))
        expect(p.hostIp, `${name} publishes ${p.published}:${p.target} beyond loopback`).toBe('127.0.0.1');
    }
    expect(portsOf(service(compose, 'postgresql'))).toEqual([]);
    expect(portsOf(service(compose, 'temporal'))).toEqual([{ hostIp: '127.0.0.1', published: '7233', target: '7233' }]);
    expect(portsOf(service(compose, 'temporal-ui'))).toEqual([
      { hostIp: '127.0.0.1', published: '8233', target: '8080' },
    ]);
  });

  it('runs the same Temporal release for server and admin tools, and the server and UI the test suite runs against', () => {
    const compose = base();
    const server = imageTag(service(compose, 'temporal').image ?? '');
    expect(server.repository).toBe('temporalio/server');
    for (const job of ['temporal-schema', 'temporal-setup']) {
      const tools = imageTag(service(compose, job).image ?? '');
      expect(tools.repository).toBe('temporalio/admin-tools');
      expect(tools.tag, `${job} and the server must be the same release`).toBe(server.tag);
    }
    // The dev server the tests use embeds a server release; the stack should run the same one.
    const version = spawnSync(locateTemporalBinary({ install: false }), ['--version'], { encoding: 'utf8' }).stdout;
    expect(version, 'bump the temporalio/server and admin-tools tags together with the Temporal CLI').toContain(
      `Server ${server.tag},`,
    );
    expect(version, 'bump the temporalio/ui tag together with the Temporal CLI').toContain(
      `UI ${imageTag(service(compose, 'temporal-ui').image ?? '').tag})`,
    );
  });

  it('starts in order: PostgreSQL healthy → schema job done → server healthy → setup job done → worker and UI', () => {
    const compose = withEmulator();
    const deps = (name: string) => dependsOn(service(compose, name));
    expect(deps('temporal-schema')).toEqual({ postgresql: { condition: 'service_healthy', required: true } });
    expect(deps('temporal')).toEqual({
      'temporal-schema': { condition: 'service_completed_successfully', required: true },
    });
    expect(deps('temporal-setup')).toEqual({ temporal: { condition: 'service_healthy', required: true } });
    expect(deps('worker')['temporal-setup']).toEqual({ condition: 'service_completed_successfully', required: true });
    expect(deps('temporal-ui')['temporal-setup']?.condition).toBe('service_completed_successfully');
    expect(deps('worker')['emulator']).toEqual({ condition: 'service_healthy', required: true });

    // Every condition can be met: healthy needs a healthcheck, completed needs a one-shot job.
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [target, d] of Object.entries(dependsOn(s))) {
        const t = service(compose, target);
        if (d.condition === 'service_healthy')
          expect(
            t.healthcheck?.test,
            `${name} waits for ${target} to be healthy, which has no healthcheck`,
          ).toBeTruthy();
        if (d.condition === 'service_completed_successfully')
          expect(t.restart ?? 'no', `${name} waits for ${target} to finish, so it must not restart`).toBe('no');
      }
    }
    // And the graph has an order (no cycle): a topological sort covers every service.
    const order: string[] = [];
    const remaining = new Map(
      Object.entries(compose.services).map(([n, s]) => [n, new Set(Object.keys(dependsOn(s)))]),
    );
    while (remaining.size > 0) {
      const ready = [...remaining].filter(([, d]) => [...d].every((x) => order.includes(x))).map(([n]) => n);
      expect(ready, `cycle among ${[...remaining.keys()].join(', ')}`).not.toEqual([]);
      for (const n of ready) {
        order.push(n);
        remaining.delete(n);
      }
    }
    const at = (n: string) => order.indexOf(n);
    expect(at('postgresql')).toBeLessThan(at('temporal-schema'));
    expect(at('temporal-schema')).toBeLessThan(at('temporal'));
    expect(at('temporal')).toBeLessThan(at('temporal-setup'));
    expect(at('temporal-setup')).toBeLessThan(at('worker'));
  });

  it('gives the server the PostgreSQL settings its config template reads, matching the database service', () => {
    const compose = base();
    const db = environmentOf(service(compose, 'postgresql'));
    for (const name of ['temporal', 'temporal-schema']) {
      const env = environmentOf(service(compose, name));
      expect(env).toMatchObject({
        DB: 'postgres12',
        DB_PORT: '5432',
        POSTGRES_SEEDS: 'postgresql',
        POSTGRES_USER: db['POSTGRES_USER'],
        POSTGRES_PWD: db['POSTGRES_PASSWORD'],
        DBNAME: 'temporal',
        VISIBILITY_DBNAME: 'temporal_visibility',
      });
    }
    expect(environmentOf(service(compose, 'temporal'))['BIND_ON_IP']).toBe('0.0.0.0');
    // The server will not start without its dynamic config file.
    const temporal = service(compose, 'temporal');
    const dynamicConfig = environmentOf(temporal)['DYNAMIC_CONFIG_FILE_PATH'];
    const mount = mountsOf(temporal).find((m) => m.target === dynamicConfig);
    expect(mount?.type).toBe('bind');
    expect(existsSync(path.join(repoRoot, mount?.source ?? '-'))).toBe(true);
    expect(parseYaml(readFileSync(path.join(repoRoot, mount?.source ?? '-'), 'utf8'))).toEqual({});
    // The server runs asrflow's config template (the native cluster's too), not the image's.
    const serverConfig = environmentOf(temporal)['TEMPORAL_SERVER_CONFIG_FILE_PATH'];
    const configMount = mountsOf(temporal).find((m) => m.target === serverConfig);
    expect(configMount).toMatchObject({ type: 'bind', source: './deploy/temporal/server.yaml', readOnly: true });
    const template = readFileSync(path.join(repoRoot, 'deploy', 'temporal', 'server.yaml'), 'utf8');
    expect(
      template
        .split('\n')
        .slice(0, 5)
        .some((l) => l.startsWith('#') && l.includes('enable-template')),
    ).toBe(true);
    // Every variable the template reads without a default is set by the service.
    const noDefault = [...template.matchAll(/\{\{ env "([A-Z_]+)" \}\}/g)].map((m) => m[1] as string);
    expect(noDefault.length).toBeGreaterThan(0);
    for (const name of noDefault) expect(environmentOf(temporal), `server.yaml reads ${name}`).toHaveProperty(name);
    // The UI server reads asrflow's template at the path the image's `--env docker` looks at.
    expect(mountsOf(service(compose, 'temporal-ui'))).toEqual([
      expect.objectContaining({
        type: 'bind',
        source: './deploy/temporal/ui-server.yaml',
        target: '/home/ui-server/config/docker.yaml',
        readOnly: true,
      }),
    ]);
    // The one-shot jobs run scripts from the bind-mounted deploy folder.
    for (const job of ['temporal-schema', 'temporal-setup']) {
      const s = service(compose, job);
      const scriptMount = mountsOf(s).find((m) => m.type === 'bind');
      const script = argv(s.entrypoint)[1] ?? '';
      expect(argv(s.entrypoint)[0]).toBe('sh');
      expect(script.startsWith(`${scriptMount?.target}/`)).toBe(true);
      expect(
        existsSync(
          path.join(repoRoot, scriptMount?.source ?? '-', script.slice((scriptMount?.target.length ?? 0) + 1)),
        ),
      ).toBe(true);
    }
  });

  it('mounts exactly the files the native cluster runs (one source of truth for both)', () => {
    const compose = base();
    const relative = (file: string) => `./${path.relative(repoRoot, file).split(path.sep).join('/')}`;
    const files = deployFiles(repoRoot);
    const temporal = service(compose, 'temporal');
    const mountedAt = (s: ReturnType<typeof service>, target: string | undefined) =>
      mountsOf(s).find((m) => m.target === target)?.source;
    expect(mountedAt(temporal, environmentOf(temporal)['TEMPORAL_SERVER_CONFIG_FILE_PATH'])).toBe(
      relative(files.serverConfig),
    );
    expect(mountedAt(temporal, environmentOf(temporal)['DYNAMIC_CONFIG_FILE_PATH'])).toBe(
      relative(files.dynamicConfig),
    );
    expect(mountsOf(service(compose, 'temporal-ui'))[0]?.source).toBe(relative(files.uiConfig));
    const scriptOf = (job: string) => {
      const s = service(compose, job);
      const mount = mountsOf(s).find((m) => m.type === 'bind');
      const script = argv(s.entrypoint)[1] ?? '';
      return `${mount?.source ?? '-'}/${script.slice((mount?.target.length ?? 0) + 1)}`;
    };
    expect(scriptOf('temporal-schema')).toBe(relative(files.setupSchema));
    expect(scriptOf('temporal-setup')).toBe(relative(files.setupNamespace));
  });

  it('registers exactly the search attributes of src/temporal/workflow/search-attributes.ts, as Keyword', () => {
    const env = environmentOf(service(base(), 'temporal-setup'));
    const registered = (env['ASRFLOW_SEARCH_ATTRIBUTES'] ?? '').split(/\s+/).filter(Boolean);
    expect([...registered].sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    // The script registers each of them as Keyword, which is what the code declares.
    expect(ALL_SEARCH_ATTRIBUTES.every((k) => k.type === SearchAttributeType.KEYWORD)).toBe(true);
    expect(readFileSync(path.join(repoRoot, 'deploy', 'temporal', 'setup-namespace.sh'), 'utf8')).toMatch(
      /search-attribute create --namespace "\$NAMESPACE" --name "\$name" --type Keyword/,
    );
    expect(env['ASRFLOW_NAMESPACE']).toBe(environmentOf(service(base(), 'worker'))['TEMPORAL_NAMESPACE']);
    expect(environmentOf(service(base(), 'temporal-ui'))['TEMPORAL_DEFAULT_NAMESPACE']).toBe(env['ASRFLOW_NAMESPACE']);
  });

  it('sets on the worker only variables the worker reads, and keeps secrets out of the compose file', () => {
    const reads = environmentNamesReadFrom('src/worker/main.ts');
    const worker = service(base(), 'worker');
    const env = environmentOf(worker);
    for (const key of Object.keys(env)) expect(reads.has(key), `the worker never reads ${key}`).toBe(true);
    expect(env).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'asrflow',
      ASRFLOW_TASK_QUEUE: 'asrflow',
      ASRFLOW_ARM_ENDPOINT: 'https://management.azure.com',
      ASRFLOW_AUTHORITY_HOST: 'https://login.microsoftonline.com',
    });
    expect(Object.keys(env).filter((k) => k.startsWith('ASRFLOW_SECRET_'))).toEqual([]);
    // Real secrets come from an optional, git-ignored env file.
    expect(worker.env_file).toEqual([{ path: './asrflow.env', required: false }]);
    expect(
      spawnSync('git', ['check-ignore', '-q', 'asrflow.env'], { cwd: repoRoot }).status,
      'asrflow.env must be git-ignored',
    ).toBe(0);

    const emulatorEnv = environmentOf(service(withEmulator(), 'worker'));
    const planSecrets = new Set<string>();
    for (const plan of ['multitenant-vmm.yaml', 'dedicated-vmm.yaml']) {
      for (const m of readFileSync(path.join(repoRoot, 'examples', plan), 'utf8').matchAll(
        /secretEnv:\s*([A-Z0-9_]+)/g,
      ))
        planSecrets.add(m[1] as string);
    }
    for (const key of Object.keys(emulatorEnv)) {
      if (key.startsWith('ASRFLOW_SECRET_'))
        expect(planSecrets.has(key), `${key} is not referenced by an example plan`).toBe(true);
      else expect(reads.has(key), `the worker never reads ${key}`).toBe(true);
    }
    // The fake secrets are exactly the ones the emulator's demo estate accepts.
    const secrets = Object.fromEntries(Object.entries(emulatorEnv).filter(([k]) => k.startsWith('ASRFLOW_SECRET_')));
    expect(secrets).toEqual(demoSecrets());
  });

  it('stops the worker with SIGTERM and waits longer than its activity drain', () => {
    const worker = service(base(), 'worker');
    expect(worker.stop_signal).toBe('SIGTERM');
    expect(durationMs(worker.stop_grace_period ?? '10s')).toBeGreaterThan(durationMs(SHUTDOWN_GRACE_TIME));
    expect(worker.restart).toBe('unless-stopped');
  });

  it('keeps credentials files on a named volume where the worker writes them', () => {
    const compose = base();
    const worker = service(compose, 'worker');
    const dir = environmentOf(worker)['ASRFLOW_CREDENTIALS_DIR'];
    const mount = mountsOf(worker).find((m) => m.target === dir);
    expect(mount?.type).toBe('volume');
    expect(Object.keys(compose.volumes ?? {})).toContain(mount?.source);
    for (const [name, s] of Object.entries(withEmulator().services)) {
      for (const m of mountsOf(s).filter((x) => x.type === 'volume'))
        expect(Object.keys(compose.volumes ?? {}), `${name} mounts undeclared volume ${m.source}`).toContain(m.source);
    }
  });

  it('wires the emulator profile: the worker reaches https://emulator:PORT, trusts its CA from the shared volume, and the certificate names it', () => {
    const compose = withEmulator();
    const emulator = service(compose, 'emulator');
    const worker = service(compose, 'worker');
    expect(emulator.profiles).toEqual(['emulator']);
    expect(service(base(), 'emulator').profiles).toEqual(['emulator']);
    const args = argv(emulator.command);
    const flag = (name: string) => args.filter((_, i) => args[i - 1] === name);
    expect(args.slice(0, 2)).toEqual(['emulator', 'start']);
    expect(flag('--host')).toEqual(['0.0.0.0']);
    const port = flag('--port')[0];
    const dataDir = flag('--data-dir')[0];
    const env = environmentOf(worker);
    const endpoint = new URL(env['ASRFLOW_ARM_ENDPOINT'] ?? '');
    expect(endpoint.protocol).toBe('https:');
    expect(endpoint.hostname).toBe('emulator');
    expect(endpoint.port).toBe(port);
    expect(env['ASRFLOW_AUTHORITY_HOST']).toBe(env['ASRFLOW_ARM_ENDPOINT']);
    // The first --cert-name is the name the emulator puts in its certificate and in its links.
    expect(flag('--cert-name')[0]).toBe(endpoint.hostname);
    // The CA file is on the volume the emulator writes its data dir to.
    const dataMount = mountsOf(emulator).find((m) => m.target === dataDir);
    expect(dataMount?.type).toBe('volume');
    const caFile = env['ASRFLOW_CA_FILE'] ?? '';
    const workerMount = mountsOf(worker).find((m) => m.source === dataMount?.source);
    expect(workerMount?.readOnly).toBe(true);
    expect(path.posix.dirname(caFile)).toBe(workerMount?.target);
    expect(path.posix.basename(caFile)).toBe('ca.pem');
    expect(portsOf(emulator)).toEqual([{ hostIp: '127.0.0.1', published: port, target: port }]);
    // install-provider runs in the emulator container with the files the worker wrote.
    const credentials = mountsOf(worker).find((m) => m.target === env['ASRFLOW_CREDENTIALS_DIR']);
    expect(mountsOf(emulator).find((m) => m.source === credentials?.source)?.readOnly).toBe(true);
    // Without the override the worker targets Azure and has no CA file.
    expect(environmentOf(service(base(), 'worker'))['ASRFLOW_CA_FILE']).toBeUndefined();
  });
});

describe('the temporal-setup job script against a real Temporal server', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
  });

  function runSetup(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const temporal = locateTemporalBinary({ install: false });
    return new Promise((resolve, reject) => {
      const child = spawn('sh', [path.join(repoRoot, 'deploy', 'temporal', 'setup-namespace.sh')], {
        env: {
          PATH: `${path.dirname(temporal)}${path.delimiter}${process.env.PATH ?? ''}`,
          HOME: process.env.HOME ?? '/tmp',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  it('creates the namespace and registers the search attributes, and a second run changes nothing', async () => {
    const env = environmentOf(service(base(), 'temporal-setup'));
    const namespace = `deploy-${randomUUID()}`;
    const jobEnv = { ...env, TEMPORAL_ADDRESS: inject('temporalAddress'), ASRFLOW_NAMESPACE: namespace };

    const first = await runSetup(jobEnv);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain(`namespace ${namespace} created (retention 30d)`);
    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 24 * 3600);
    expect(await checkSearchAttributes(connection, namespace)).toEqual({ missing: [], wrongType: [] });

    const second = await runSetup(jobEnv);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain(`namespace ${namespace} exists`);
    expect(await checkSearchAttributes(connection, namespace)).toEqual({ missing: [], wrongType: [] });
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(listed.customAttributes ?? {}).sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
  });

  it('fails loudly, not half-done, when the server cannot be reached', async () => {
    const env = environmentOf(service(base(), 'temporal-setup'));
    // Port 1 on loopback: refused at once; the script gives up after its retries.
    const result = await runSetup({
      ...env,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      ASRFLOW_NAMESPACE: `deploy-${randomUUID()}`,
      ASRFLOW_SETUP_MAX_ATTEMPTS: '2',
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('did not become healthy');
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { EmulatorAdminClient } from './admin/client';
import { EstateError } from './estate/load';
import { loadFaultFile } from './faults/rules';
import { ADMIN_TOKEN_FILE, DEFAULT_HOST, startEmulator, type StartOptions } from './index';

export const DEFAULT_DATA_DIR = path.join('.asrflow', 'emulator');
/**
 * The data directory when --data-dir is not given: ASRFLOW_EMULATOR_DATA_DIR (which `asrflow dev up`
 * and the demo write into their env files, so the commands find the emulator they started), else
 * DEFAULT_DATA_DIR.
 */
export const EMULATOR_DATA_DIR_ENV = 'ASRFLOW_EMULATOR_DATA_DIR';
const defaultDataDir = (): string => process.env[EMULATOR_DATA_DIR_ENV] || DEFAULT_DATA_DIR;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const defaultIo: CliIo = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}

// A certificate name is a DNS name (letters, digits, hyphens, dots) or an IP address.
function certName(v: string, previous: string[]): string[] {
  if (
    isIP(v) === 0 &&
    !/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(v)
  ) {
    throw new InvalidArgumentError(`expected a DNS name or an IP address, got '${v}'`);
  }
  return [...previous, v];
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`expected a port number 0-65535, got '${v}'`);
  return n;
}

interface ConnectionOpts {
  dataDir?: string;
  emulator?: string;
  ca?: string;
  adminTokenFile?: string;
}

/** Connects to a running emulator: from its data directory, or from --emulator/--ca/token. */
function adminClient(cmd: Command, o: ConnectionOpts): EmulatorAdminClient {
  // Missing flags or files are usage (2); an emulator that is not running is the world (1).
  const fail = (msg: string, exitCode = 2): never => cmd.error(msg, { exitCode, code: 'asrflow.emulator.connection' });
  const tokenFromFile = o.adminTokenFile ? readFileSync(o.adminTokenFile, 'utf8').trim() : undefined;
  if (o.emulator) {
    const token = tokenFromFile ?? process.env['ASRFLOW_EMULATOR_ADMIN_TOKEN'];
    const dir = o.dataDir ?? defaultDataDir();
    const ca = o.ca ?? path.join(dir, 'ca.pem');
    const fallbackToken = existsSync(path.join(dir, ADMIN_TOKEN_FILE))
      ? readFileSync(path.join(dir, ADMIN_TOKEN_FILE), 'utf8').trim()
      : undefined;
    if (!token && !fallbackToken)
      return fail(
        'no admin token: set ASRFLOW_EMULATOR_ADMIN_TOKEN, pass --admin-token-file, or --data-dir of the emulator',
      );
    if (!existsSync(ca))
      return fail(
        `the emulator's CA certificate '${ca}' does not exist: pass --ca <caCertPath printed by 'emulator start'>`,
      );
    const base = o.emulator.replace(/\/+$/, '');
    return new EmulatorAdminClient(
      base.endsWith('/_admin') ? base : `${base}/_admin`,
      (token ?? fallbackToken) as string,
      ca,
    );
  }
  const dir = o.dataDir ?? defaultDataDir();
  if (!existsSync(path.join(dir, 'emulator.json'))) {
    return fail(
      `no running emulator found in '${dir}' (emulator.json missing): start one with 'asrflow emulator start --data-dir ${dir}', or pass --emulator URL --ca FILE`,
      1,
    );
  }
  return EmulatorAdminClient.fromDataDir(dir, tokenFromFile);
}

function connectionOptions(c: Command): Command {
  return c
    .option(
      '--data-dir <dir>',
      `data directory of the running emulator (emulator.json, admin-token, ca.pem); ${EMULATOR_DATA_DIR_ENV} sets the default`,
      defaultDataDir(),
    )
    .option(
      '--emulator <url>',
      'emulator base URL (e.g. https://127.0.0.1:8443), instead of reading it from --data-dir',
    )
    .option('--ca <file>', 'emulator CA certificate (caCertPath), with --emulator')
    .option(
      '--admin-token-file <file>',
      'file holding the admin token (default: ASRFLOW_EMULATOR_ADMIN_TOKEN or <data-dir>/admin-token)',
    );
}

export function registerEmulatorCommands(program: Command, io: CliIo = defaultIo): void {
  const emulator = program
    .command('emulator')
    .description('the local Azure emulator (Entra ID + ARM + Site Recovery + a simulated VMM estate)');

  emulator
    .command('start')
    .description(
      'start the emulator over HTTPS (on 127.0.0.1 unless --host says otherwise); prints one JSON line with its endpoints, runs until interrupted',
    )
    .option('--port <n>', 'port (0 = any free port)', port, 0)
    .option('--host <address>', 'listen address (0.0.0.0 to be reachable from other containers)', DEFAULT_HOST)
    .option(
      '--cert-name <name>',
      'extra DNS name or IP for the TLS certificate (repeatable); the first is also the host in the URLs the emulator hands out',
      certName,
      [],
    )
    .option(
      '--estate <file>',
      'estate YAML (default: the demo estate, examples/estate.yaml of @asrflow/azure-emulator)',
    )
    .option('--speed <x>', 'simulated seconds per real second', positiveNumber, 60)
    .option(
      '--data-dir <dir>',
      `certificates, signing key, admin token, state; ${EMULATOR_DATA_DIR_ENV} sets the default`,
      defaultDataDir(),
    )
    .option('--faults <file>', 'fault rules (YAML or JSON)')
    .option('--seed <n>', 'seed of the fault generator', positiveNumber)
    .option('--no-throttling', 'turn off ARM request throttling')
    .option('--persist', 'load state from <data-dir>/state.json at start and save it at exit')
    .action(
      async (
        o: {
          port: number;
          host: string;
          certName: string[];
          estate?: string;
          speed: number;
          dataDir: string;
          faults?: string;
          seed?: number;
          throttling: boolean;
          persist?: boolean;
        },
        cmd: Command,
      ) => {
        const options: StartOptions = {
          port: o.port,
          host: o.host,
          certNames: o.certName,
          speed: o.speed,
          dataDir: o.dataDir,
          throttling: o.throttling,
          ...(o.persist ? { persist: true } : {}),
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
        };
        if (o.estate) options.estate = o.estate;
        try {
          if (o.faults) options.faults = loadFaultFile(o.faults);
        } catch (e) {
          cmd.error(
            `${(e as Error).message}\nFix: see "Faults" in packages/azure-emulator/README.md for the rule format`,
            { exitCode: 2, code: 'asrflow.emulator.faults' },
          );
        }
        let handle: Awaited<ReturnType<typeof startEmulator>>;
        try {
          handle = await startEmulator(options);
        } catch (e) {
          if (e instanceof EstateError) cmd.error(e.message, { exitCode: 2, code: 'asrflow.emulator.estate' });
          if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
            cmd.error(`port ${o.port} is in use: choose another with --port, or 0 for any free port`, {
              exitCode: 2,
              code: 'asrflow.emulator.port',
            });
          if ((e as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL')
            cmd.error(
              `cannot listen on ${o.host}: no such address on this machine. Fix: use 127.0.0.1, 0.0.0.0 or an address of this host with --host`,
              { exitCode: 2, code: 'asrflow.emulator.host' },
            );
          throw e;
        }
        io.out(
          JSON.stringify({
            armEndpoint: handle.armEndpoint,
            authorityHost: handle.authorityHost,
            caCertPath: handle.caCertPath,
            adminUrl: handle.adminUrl,
            adminTokenFile: path.join(handle.dataDir, ADMIN_TOKEN_FILE),
            dataDir: handle.dataDir,
            speed: o.speed,
          }),
        );
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void handle.stop().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );

  connectionOptions(
    emulator
      .command('install-provider')
      .description(
        'play the person installing the ASR Provider on a VMM server: register it with the vault of a vault credentials file',
      )
      .requiredOption('--credentials <file>', 'vault credentials file (.VaultCredentials) written by asrflow')
      .requiredOption('--vmm <name>', 'VMM server of the estate, e.g. vmm01.fabrikam.local')
      .option('--no-wait', 'return once registration started instead of waiting for the RegisterDra job')
      .option('--timeout <seconds>', 'how long to wait for the registration job (real seconds)', positiveNumber, 300),
  ).action(
    async (o: ConnectionOpts & { credentials: string; vmm: string; wait: boolean; timeout: number }, cmd: Command) => {
      let xml: string;
      try {
        xml = readFileSync(o.credentials, 'utf8');
      } catch (e) {
        cmd.error(
          `cannot read the vault credentials file '${o.credentials}' (${(e as NodeJS.ErrnoException).code ?? 'error'}). Fix: pass the .VaultCredentials file asrflow wrote for the vault`,
          { exitCode: 2, code: 'asrflow.emulator.credentials' },
        );
        return;
      }
      const admin = adminClient(cmd, o);
      try {
        const r = await admin.installProvider(xml, o.vmm);
        const outcome = r.body as {
          ok: boolean;
          code?: string;
          message?: string;
          fix?: string;
          jobName?: string;
          vault?: string;
          alreadyRegistered?: boolean;
        };
        if (!outcome.ok) {
          cmd.error(`Registration of ${o.vmm} failed: ${outcome.message ?? r.status}\nFix: ${outcome.fix ?? ''}`, {
            exitCode: 1,
            code: `asrflow.emulator.${outcome.code ?? 'install'}`,
          });
          return;
        }
        if (o.wait && outcome.jobName && !outcome.alreadyRegistered) {
          const deadline = Date.now() + o.timeout * 1000;
          for (;;) {
            const job = await admin.job(outcome.jobName);
            if (job.properties.state === 'Succeeded') break;
            if (job.properties.state === 'Failed' || job.properties.state === 'Cancelled') {
              cmd.error(
                `Registration job ${outcome.jobName} ${job.properties.state}: ${JSON.stringify(job.properties.errors)}`,
                { exitCode: 1, code: 'asrflow.emulator.registerDra' },
              );
              return;
            }
            if (Date.now() > deadline) {
              cmd.error(
                `Registration job ${outcome.jobName} did not finish within ${o.timeout}s (simulated time may be slow: raise the speed with 'asrflow emulator admin time --speed N')`,
                { exitCode: 1, code: 'asrflow.emulator.timeout' },
              );
              return;
            }
            await new Promise((res) => setTimeout(res, 200));
          }
        }
        io.out(
          JSON.stringify({
            registered: o.vmm,
            vault: outcome.vault,
            job: outcome.jobName,
            alreadyRegistered: outcome.alreadyRegistered === true,
            waited: o.wait,
          }),
        );
      } finally {
        admin.close();
      }
    },
  );

  connectionOptions(
    emulator
      .command('upgrade-provider')
      .description('install a newer ASR Provider version on a VMM server of the estate')
      .requiredOption('--vmm <name>', 'VMM server')
      .option('--provider-version <v>', 'Provider version', '5.1.2250.0')
      // `--version` is asrflow's own (-V, --version): here it only says what to use instead.
      .addOption(new Option('--version <v>').hideHelp()),
  ).action(async (o: ConnectionOpts & { vmm: string; providerVersion: string; version?: string }, cmd: Command) => {
    if (o.version !== undefined) {
      cmd.error(
        `--version is asrflow's own version; the Provider version is --provider-version: asrflow emulator upgrade-provider --vmm ${o.vmm} --provider-version ${o.version}`,
        { exitCode: 2, code: 'asrflow.emulator.usage' },
      );
    }
    const admin = adminClient(cmd, o);
    try {
      const r = await admin.call('POST', 'providers/upgrade', { vmm: o.vmm, version: o.providerVersion });
      const body = r.body as { ok: boolean; message: string };
      // The emulator refused (unknown VMM server, older version): a run-time refusal.
      if (!body.ok) cmd.error(body.message, { exitCode: 1, code: 'asrflow.emulator.upgrade' });
      io.out(JSON.stringify(body));
    } finally {
      admin.close();
    }
  });

  const admin = emulator.command('admin').description('inspect and control a running emulator');
  const simple = (name: string, description: string, method: string, sub: string) =>
    connectionOptions(admin.command(name).description(description)).action(async (o: ConnectionOpts, cmd: Command) => {
      const a = adminClient(cmd, o);
      try {
        const r = await a.call(method, sub);
        if (r.status >= 400) cmd.error(JSON.stringify(r.body), { exitCode: 1, code: 'asrflow.emulator.admin' });
        io.out(JSON.stringify(r.body, null, 2));
      } finally {
        a.close();
      }
    });
  simple('state', 'dump the emulated world (vaults, items, jobs, operations)', 'GET', 'state');
  simple(
    'estate',
    'the on-premises estate: Provider versions, registrations, VM power states, Azure VMs',
    'GET',
    'estate',
  );
  simple('counters', 'effective operations per resource', 'GET', 'counters');
  simple('reset', 'forget everything created since start', 'POST', 'reset');
  connectionOptions(
    admin
      .command('requests')
      .description('the request log')
      .option('--since <seq>', 'only after this sequence number', '0')
      .option('--bodies', 'include request and response bodies'),
  ).action(async (o: ConnectionOpts & { since: string; bodies?: boolean }, cmd: Command) => {
    const a = adminClient(cmd, o);
    try {
      io.out(JSON.stringify(await a.requests(Number(o.since) || 0, o.bodies === true), null, 2));
    } finally {
      a.close();
    }
  });
  connectionOptions(
    admin
      .command('time')
      .description('show or change simulated time')
      .option('--speed <x>', 'simulated seconds per real second', positiveNumber)
      .option('--advance <seconds>', 'jump simulated time forward', positiveNumber),
  ).action(async (o: ConnectionOpts & { speed?: number; advance?: number }, cmd: Command) => {
    const a = adminClient(cmd, o);
    try {
      io.out(
        JSON.stringify(
          await a.setTime({
            ...(o.speed !== undefined ? { speed: o.speed } : {}),
            ...(o.advance !== undefined ? { advanceSeconds: o.advance } : {}),
          }),
        ),
      );
    } finally {
      a.close();
    }
  });
  connectionOptions(
    admin
      .command('faults')
      .description('list, add (from a YAML/JSON file) or clear fault rules')
      .argument('<action>', 'list | add | clear')
      .argument('[file]', 'rules file for add'),
  ).action(async (action: string, file: string | undefined, o: ConnectionOpts, cmd: Command) => {
    const a = adminClient(cmd, o);
    try {
      if (action === 'list') io.out(JSON.stringify(await a.call('GET', 'faults').then((r) => r.body), null, 2));
      else if (action === 'clear') io.out(JSON.stringify(await a.clearFaults()));
      else if (action === 'add') {
        if (!file) cmd.error('faults add needs a rules file', { exitCode: 2, code: 'asrflow.emulator.faults' });
        let rules;
        try {
          rules = loadFaultFile(file);
        } catch (e) {
          cmd.error((e as Error).message, { exitCode: 2, code: 'asrflow.emulator.faults' });
        }
        io.out(JSON.stringify(await a.addFaults(rules ?? []), null, 2));
      } else
        cmd.error(`unknown action '${action}': use list, add or clear`, {
          exitCode: 2,
          code: 'asrflow.emulator.faults',
        });
    } finally {
      a.close();
    }
  });

  for (const [path, lines] of Object.entries(EXAMPLES)) {
    const [group, name] = path.split(' ');
    const parent = group === 'admin' ? admin : emulator;
    parent.commands
      .find((c) => c.name() === (name ?? group))
      ?.addHelpText('after', `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}`);
  }
}

const EXAMPLES: Record<string, string[]> = {
  start: [
    'asrflow emulator start --speed 600   # ×600: a 9-minute job takes a second',
    'asrflow emulator start --faults faults.yaml --seed 7 --port 8443',
  ],
  'install-provider': [
    // Files are named <vault>_<issued at>.VaultCredentials: the newest one is the one to use.
    'asrflow emulator install-provider --vmm vmm01.fabrikam.local --credentials "$(ls -t .asrflow/credentials/fabrikam-asr-westeurope_*.VaultCredentials | head -1)"',
  ],
  'upgrade-provider': [
    'asrflow emulator upgrade-provider --vmm vmm-litware.litware.local --provider-version 5.1.2250.0',
  ],
  'admin state': ["asrflow emulator admin state | jq '.world.vaults | keys'"],
  'admin estate': ["asrflow emulator admin estate | jq '.azureVms'"],
  'admin counters': [
    "asrflow emulator admin counters | jq '.ReplicationProtectedItems_Create'   # each VM enabled once?",
  ],
  'admin reset': ['asrflow emulator admin reset'],
  'admin requests': ["asrflow emulator admin requests --since 0 | jq '.entries[] | select(.status >= 400)'"],
  'admin time': [
    'asrflow emulator admin time --speed 3600',
    'asrflow emulator admin time --advance 86400   # a day later: recovery points roll, vault credentials expire',
  ],
  'admin faults': ['asrflow emulator admin faults add faults.yaml', 'asrflow emulator admin faults clear'],
};

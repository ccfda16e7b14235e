import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { estateSchema } from './schema';
import type { Estate } from './types';

export interface EstateIssue {
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
  fix: string;
}

export class EstateError extends Error {
  constructor(readonly issues: EstateIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'EstateError';
  }
}

export function formatIssue(i: EstateIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.field}: ${i.message}. Fix: ${i.fix}`;
}

/**
 * The demo world shipped with this package (`examples/estate.yaml` beside its package.json),
 * used when no estate is given. Found by walking up from this file, which runs both from src/
 * (tests) and from dist/ (the compiled CLI).
 */
export function defaultEstatePath(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'examples', 'estate.yaml');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir)
      throw new Error(`could not find examples/estate.yaml of @asrflow/azure-emulator above ${__dirname}`);
  }
}

export function loadEstateFile(file: string): Estate {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EstateError([
      {
        file,
        line: 1,
        column: 1,
        field: '(file)',
        message: `cannot read the estate file (${(e as Error).message})`,
        fix: 'pass an existing YAML file with --estate',
      },
    ]);
  }
  return parseEstate(text, file);
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
ajv.addKeyword({ keyword: 'fix', schemaType: 'string' });
const validate = ajv.compile<Estate>(estateSchema);

export function parseEstate(text: string, file = '<estate>'): Estate {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new EstateError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          column: pos.col,
          field: '(syntax)',
          message: e.message.split('\n')[0] ?? 'YAML syntax error',
          fix: 'correct the YAML syntax (indentation, colons, quotes)',
        };
      }),
    );
  }
  const data: unknown = doc.toJS();
  const at = (p: Array<string | number>): { line: number; column: number } => locate(doc, lineCounter, p);
  if (!validate(data)) {
    const issues = (validate.errors ?? []).filter(relevant).map((e) => schemaIssue(e, file, at));
    throw new EstateError(dedupe(issues));
  }
  const estate: Estate = { region: data.region ?? 'westeurope', tenants: data.tenants, vmmServers: data.vmmServers };
  const issues = semanticIssues(estate).map((s) => ({
    file,
    ...at(s.path),
    field: s.path.join('.'),
    message: s.message,
    fix: s.fix,
  }));
  if (issues.length > 0) throw new EstateError(issues);
  return estate;
}

function relevant(e: ErrorObject): boolean {
  // An enum/type pair on the same field says the same thing twice; keep the one with the hint.
  return e.keyword !== 'if';
}

function dedupe(issues: EstateIssue[]): EstateIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.field}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function schemaIssue(
  e: ErrorObject,
  file: string,
  at: (p: Array<string | number>) => { line: number; column: number },
): EstateIssue {
  const p = e.instancePath
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const parentSchema = e.parentSchema as { fix?: string } | undefined;
  let field = p.join('.') || '(root)';
  let fix = parentSchema?.fix ?? 'see packages/azure-emulator/README.md for the estate format';
  let message = e.message ?? 'invalid';
  if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    field = [...p, missing].join('.');
    message = 'is required';
    fix = `add "${missing}:" here`;
  } else if (e.keyword === 'additionalProperties') {
    const extra = String((e.params as { additionalProperty: string }).additionalProperty);
    field = [...p, extra].join('.');
    message = 'is not a known field';
    fix = 'remove it or check its spelling (see packages/azure-emulator/README.md for the fields)';
    return { file, ...at([...p, extra]), field, message, fix };
  } else {
    message = `${message}: got ${JSON.stringify(e.data)}`;
  }
  return { file, ...at(p), field, message, fix };
}

function locate(doc: Document, lc: LineCounter, p: Array<string | number>): { line: number; column: number } {
  // Walk up until a node with a source range exists (a missing field points at its parent).
  for (let n = p.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
    if (isNode(node) && node.range) {
      // For a map entry, point at the key rather than the value when possible.
      const pos = lc.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

interface SemanticIssue {
  path: Array<string | number>;
  message: string;
  fix: string;
}

function semanticIssues(estate: Estate): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  const tenantIds = new Set<string>();
  const subs = new Set<string>();
  const clients = new Map<string, string>();
  estate.tenants.forEach((t, ti) => {
    if (tenantIds.has(t.tenantId.toLowerCase()))
      out.push({
        path: ['tenants', ti, 'tenantId'],
        message: `tenant id ${t.tenantId} appears twice`,
        fix: 'give each tenant its own id',
      });
    tenantIds.add(t.tenantId.toLowerCase());
    t.subscriptions.forEach((s, si) => {
      if (subs.has(s.id.toLowerCase()))
        out.push({
          path: ['tenants', ti, 'subscriptions', si, 'id'],
          message: `subscription ${s.id} appears twice`,
          fix: 'a subscription has exactly one home tenant: list it once',
        });
      subs.add(s.id.toLowerCase());
    });
    t.apps.forEach((a, ai) => {
      const prev = clients.get(a.clientId.toLowerCase());
      if (prev !== undefined)
        out.push({
          path: ['tenants', ti, 'apps', ai, 'clientId'],
          message: `client id ${a.clientId} is already registered in ${prev}`,
          fix: 'register a multi-tenant app once and list the other tenants under consentedTenants',
        });
      clients.set(a.clientId.toLowerCase(), t.name);
    });
  });
  const vmmNames = new Set<string>();
  estate.vmmServers.forEach((v, vi) => {
    if (vmmNames.has(v.name.toLowerCase()))
      out.push({
        path: ['vmmServers', vi, 'name'],
        message: `VMM server ${v.name} appears twice`,
        fix: 'give each VMM server a unique name',
      });
    vmmNames.add(v.name.toLowerCase());
    const clouds = new Set(v.clouds.map((c) => c.name.toLowerCase()));
    const nets = new Set(v.vmNetworks.map((n) => n.name.toLowerCase()));
    const hosts = new Set((v.hosts ?? []).map((h) => h.name.toLowerCase()));
    // A VM is identified by (VMM server, cloud, name): as in VMM, where tenants of a hoster's
    // shared server name their VMs independently, two clouds may each have a VM of the same
    // name; one cloud may not (the emulator's API finds a cloud's VM by its name).
    const vmNames = new Set<string>();
    v.vms.forEach((vm, mi) => {
      const base: Array<string | number> = ['vmmServers', vi, 'vms', mi];
      const key = `${vm.cloud.toLowerCase()}/${vm.name.toLowerCase()}`;
      if (vmNames.has(key))
        out.push({
          path: [...base, 'name'],
          message: `VM ${vm.name} appears twice in cloud ${vm.cloud} on ${v.name}`,
          fix: `give each VM of cloud ${vm.cloud} a unique name (the same name is allowed in another cloud)`,
        });
      vmNames.add(key);
      if (!clouds.has(vm.cloud.toLowerCase()))
        out.push({
          path: [...base, 'cloud'],
          message: `cloud '${vm.cloud}' is not a cloud of ${v.name}`,
          fix: `use one of: ${v.clouds.map((c) => c.name).join(', ') || '(add a cloud under clouds:)'}`,
        });
      if (vm.host !== undefined && hosts.size > 0 && !hosts.has(vm.host.toLowerCase()))
        out.push({
          path: [...base, 'host'],
          message: `host '${vm.host}' is not a host of ${v.name}`,
          fix: `use one of: ${[...(v.hosts ?? [])].map((h) => h.name).join(', ')}`,
        });
      (vm.networks ?? []).forEach((n, ni) => {
        if (!nets.has(n.toLowerCase()))
          out.push({
            path: [...base, 'networks', ni],
            message: `VM network '${n}' is not a VM network of ${v.name}`,
            fix: `use one of: ${v.vmNetworks.map((x) => x.name).join(', ')}`,
          });
      });
      const osDisks = vm.disks.filter((d) => d.os === true).length;
      if (osDisks > 1)
        out.push({
          path: [...base, 'disks'],
          message: `${osDisks} disks are marked os: true`,
          fix: 'mark exactly one disk as the OS disk (the first disk is the OS disk when none is marked)',
        });
    });
  });
  return out;
}

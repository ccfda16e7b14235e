import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../support/cli';

// Just enough of Docker Compose's model to check docker-compose.yml without Docker: YAML with
// merge keys, ${VAR} interpolation, the override merge rules for the keys this project uses, and
// the long and short forms of environment, depends_on, ports and volumes.

export type Environment = Record<string, string>;

export interface Dependency {
  condition: string;
  required: boolean;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  profiles?: string[];
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: Array<string | { path: string; required?: boolean }> | string;
  depends_on?: string[] | Record<string, { condition: string; required?: boolean }>;
  ports?: Array<string | { target: number; published?: string | number; host_ip?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target: string; read_only?: boolean }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  stop_signal?: string;
  stop_grace_period?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

export const COMPOSE_FILE = path.join(repoRoot, 'docker-compose.yml');
export const EMULATOR_OVERRIDE_FILE = path.join(repoRoot, 'docker-compose.emulator.yml');

/** The file as YAML (merge keys `<<:` resolved), before interpolation: what the schema sees. */
export function readComposeYaml(file: string): unknown {
  return parseYaml(readFileSync(file, 'utf8'), { merge: true }) as unknown;
}

/**
 * Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, $VAR and
 * $$ for a literal dollar. Throws for ${VAR:?…} when VAR is unset or empty, as Compose does.
 */
export function interpolate<T>(value: T, env: Environment = {}): T {
  if (typeof value === 'string') {
    return value.replace(
      /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
      (_m, dollar: string, name?: string, op?: string, arg?: string, bare?: string) => {
        if (dollar === '$') return '$';
        const key = (name ?? bare) as string;
        const current = env[key];
        const unset = op?.startsWith(':') ? current === undefined || current === '' : current === undefined;
        if (op?.endsWith('-')) return unset ? (arg ?? '') : (current ?? '');
        if (op?.endsWith('?')) {
          if (unset) throw new Error(`required variable ${key} is missing: ${arg ?? ''}`);
          return current ?? '';
        }
        return current ?? '';
      },
    ) as T;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => interpolate(item, env)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)])) as T;
  }
  return value;
}

/** The variables a file interpolates, with whether each has a default. */
export function interpolatedVariables(file: string): Map<string, { hasDefault: boolean }> {
  const found = new Map<string, { hasDefault: boolean }>();
  for (const m of readFileSync(file, 'utf8').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-)?/g)) {
    const name = m[1] as string;
    const hasDefault = m[2] !== undefined;
    found.set(name, { hasDefault: hasDefault && (found.get(name)?.hasDefault ?? true) });
  }
  return found;
}

export function loadCompose(files: string[], env: Environment = {}): ComposeFile {
  let merged: ComposeFile | undefined;
  for (const file of files) {
    const doc = interpolate(readComposeYaml(file), env) as ComposeFile;
    merged = merged ? mergeCompose(merged, doc) : doc;
  }
  if (!merged) throw new Error('no compose file given');
  return merged;
}

// Compose's merge rules (docs: "Merge Compose files"): mappings merge key by key, environment
// and depends_on by name, volumes by mount target, ports are appended, and other sequences such
// as command are replaced.
function mergeCompose(base: ComposeFile, override: ComposeFile): ComposeFile {
  const services: Record<string, ComposeService> = { ...base.services };
  for (const [name, over] of Object.entries(override.services ?? {})) {
    const current = services[name];
    services[name] = current ? mergeService(current, over) : over;
  }
  return { ...base, ...override, services, volumes: { ...(base.volumes ?? {}), ...(override.volumes ?? {}) } };
}

function mergeService(base: ComposeService, over: ComposeService): ComposeService {
  const result: ComposeService = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (key === 'environment') result.environment = { ...environmentOf(base), ...environmentOf(over) };
    else if (key === 'depends_on') result.depends_on = { ...dependenciesOf(base), ...dependenciesOf(over) };
    else if (key === 'volumes') {
      const byTarget = new Map((base.volumes ?? []).map((v) => [mountOf(v).target, v] as const));
      for (const v of over.volumes ?? []) byTarget.set(mountOf(v).target, v);
      result.volumes = [...byTarget.values()];
    } else if (key === 'ports') result.ports = [...(base.ports ?? []), ...(over.ports ?? [])];
    else result[key] = value;
  }
  return result;
}

export function environmentOf(service: ComposeService): Environment {
  const env = service.environment;
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function dependenciesOf(service: ComposeService): Record<string, { condition: string; required?: boolean }> {
  const deps = service.depends_on;
  if (!deps) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, { condition: 'service_started' }]));
  return deps;
}

export function dependsOn(service: ComposeService): Record<string, Dependency> {
  return Object.fromEntries(
    Object.entries(dependenciesOf(service)).map(([name, d]) => [
      name,
      { condition: d.condition, required: d.required ?? true },
    ]),
  );
}

export interface Mount {
  type: 'volume' | 'bind';
  source: string;
  target: string;
  readOnly: boolean;
}

export function mountOf(
  volume: string | { type?: string; source?: string; target: string; read_only?: boolean },
): Mount {
  if (typeof volume !== 'string') {
    const source = volume.source ?? '';
    return {
      type: volume.type === 'bind' ? 'bind' : 'volume',
      source,
      target: volume.target,
      readOnly: volume.read_only === true,
    };
  }
  const [source = '', target = '', mode = ''] = volume.split(':');
  const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
  return { type: bind ? 'bind' : 'volume', source, target, readOnly: mode.split(',').includes('ro') };
}

export function mountsOf(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map(mountOf);
}

export interface PublishedPort {
  hostIp: string;
  published: string;
  target: string;
}

export function portsOf(service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string')
      return { hostIp: port.host_ip ?? '', published: String(port.published ?? ''), target: String(port.target) };
    const parts = port.split(':');
    if (parts.length === 3) return { hostIp: parts[0] ?? '', published: parts[1] ?? '', target: parts[2] ?? '' };
    if (parts.length === 2) return { hostIp: '', published: parts[0] ?? '', target: parts[1] ?? '' };
    return { hostIp: '', published: '', target: parts[0] ?? '' };
  });
}

export function argv(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : value.split(/\s+/).filter(Boolean);
}

/** Compose durations: 1h30m, 45s, 500ms, 1.5s. */
export function durationMs(value: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001, ns: 0.000001 };
  let total = 0;
  let rest = value.trim();
  if (rest === '') throw new Error('empty duration');
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/.exec(rest);
    if (!m) throw new Error(`not a duration: '${value}'`);
    total += Number(m[1]) * (units[m[2] as string] ?? NaN);
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** Image reference → repository and tag (a digest counts as pinned too). */
export function imageTag(image: string): { repository: string; tag?: string; digest?: string } {
  const [nameAndTag = '', digest] = image.split('@');
  const slash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.lastIndexOf(':');
  if (colon > slash)
    return { repository: nameAndTag.slice(0, colon), tag: nameAndTag.slice(colon + 1), ...(digest ? { digest } : {}) };
  return { repository: nameAndTag, ...(digest ? { digest } : {}) };
}

/**
 * Environment variable names a module graph may read: every ASRFLOW_… / TEMPORAL_… literal in
 * the TypeScript files reachable by relative imports from `entry`, plus the names the Temporal
 * envconfig package (used by temporal/config.ts) reads.
 */
export function environmentNamesReadFrom(entry: string): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const pending = [path.resolve(repoRoot, entry)];
  const literal = /\b(?:ASRFLOW|TEMPORAL)_[A-Z0-9_]*[A-Z0-9]\b/g;
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(literal)) names.add(m[0]);
    for (const m of source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
      const resolved = resolveModule(path.dirname(file), m[1] as string);
      if (resolved) pending.push(resolved);
    }
  }
  const envconfig = path.join(repoRoot, 'node_modules', '@temporalio', 'envconfig', 'lib');
  for (const file of readdirSync(envconfig).filter((f) => f.endsWith('.js'))) {
    for (const m of readFileSync(path.join(envconfig, file), 'utf8').matchAll(literal)) names.add(m[0]);
  }
  return names;
}

function resolveModule(fromDir: string, specifier: string): string | undefined {
  const base = path.resolve(fromDir, specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  return undefined;
}

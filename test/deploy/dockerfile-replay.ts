import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  DockerfileParser,
  JSONInstruction,
  ModifiableInstruction,
  PropertyInstruction,
  type Instruction,
} from 'dockerfile-ast';

// Replays a Dockerfile without Docker: each stage gets a directory standing for its root
// filesystem; COPY copies from the build context (honouring .dockerignore) or from an earlier
// stage's directory, symlinks as they are (npm's workspace links are relative, so they point into
// the stage they are copied to, as in Docker); RUN runs the command with /bin/sh in the stage's WORKDIR; ENV, WORKDIR and
// USER are recorded. The base image itself is not there — its Node is the one running the
// tests, which the caller compares with the pinned tag. What cannot be replayed as an
// unprivileged copy (ownership) is returned in `notApplied` so the caller asserts on it.

export interface ParsedInstruction {
  keyword: string;
  line: number;
  args: string[];
  flags: Record<string, string>;
  /** JSON (exec) form arguments, when the instruction uses that form. */
  json?: string[];
  /** The arguments as written (shell form of RUN). */
  raw: string;
  env?: Array<[string, string]>;
}

export interface ParsedStage {
  name: string;
  image: string;
  instructions: ParsedInstruction[];
}

export function parseDockerfile(file: string): ParsedStage[] {
  const dockerfile = DockerfileParser.parse(readFileSync(file, 'utf8'));
  const stages: ParsedStage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    const parsed = describe(instruction, keyword);
    if (keyword === 'FROM') {
      const [image = '', as, name] = parsed.args;
      if (as !== undefined && as.toUpperCase() !== 'AS')
        throw new Error(`line ${parsed.line}: unexpected FROM arguments ${parsed.args.join(' ')}`);
      stages.push({ name: name ?? String(stages.length), image, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`line ${parsed.line}: ${keyword} before FROM`);
    stage.instructions.push(parsed);
  }
  return stages;
}

function describe(instruction: Instruction, keyword: string): ParsedInstruction {
  const line = (instruction.getRange().start.line ?? 0) + 1;
  const args = instruction.getArguments().map((a) => a.getValue());
  const flags: Record<string, string> = {};
  if (instruction instanceof ModifiableInstruction) {
    for (const flag of instruction.getFlags()) flags[flag.getName()] = flag.getValue() ?? '';
  }
  const jsonStrings = instruction instanceof JSONInstruction ? instruction.getJSONStrings() : [];
  const result: ParsedInstruction = { keyword, line, args, flags, raw: instruction.getArgumentsContent() ?? '' };
  if (jsonStrings.length > 0) result.json = jsonStrings.map((j) => j.getJSONValue());
  if (instruction instanceof PropertyInstruction) {
    result.env = instruction.getProperties().map((p) => [p.getName(), p.getUnescapedValue() ?? '']);
  }
  return result;
}

/** .dockerignore semantics: patterns relative to the context, `**`, later `!` lines re-include. */
export function dockerIgnore(contextDir: string): (relativePath: string) => boolean {
  const file = path.join(contextDir, '.dockerignore');
  const rules = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => {
          const negate = l.startsWith('!');
          const pattern = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
          const regex = new RegExp(
            `^${pattern
              .split('')
              .map((c, i, all) => {
                if (c === '*') return all[i + 1] === '*' ? '' : all[i - 1] === '*' ? '.*' : '[^/]*';
                if (c === '?') return '[^/]';
                return c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
              })
              .join('')}$`,
          );
          return { negate, regex };
        })
    : [];
  return (relativePath: string) => {
    const parts = relativePath.split('/');
    let ignored = false;
    for (const rule of rules) {
      // A pattern that matches a parent directory excludes everything below it.
      const hit = parts.some((_, i) => rule.regex.test(parts.slice(0, i + 1).join('/')));
      if (hit) ignored = !rule.negate;
    }
    return ignored;
  };
}

export interface ReplayOptions {
  dockerfile: string;
  context: string;
  /** Where the stages' root directories are made. */
  workDir: string;
  /** Environment for RUN commands on top of the stage's ENV (PATH, npm cache settings). */
  runEnv: Record<string, string>;
  log?: (line: string) => void;
}

export interface ReplayResult {
  /** The final stage's root directory. */
  root: string;
  /** The final stage's WORKDIR inside `root`, as an absolute path of this machine. */
  workdir: string;
  env: Record<string, string>;
  user?: string;
  entrypoint: string[];
  cmd: string[];
  stageRoots: Record<string, string>;
  notApplied: string[];
  /** Seconds each RUN took, by line. */
  timings: Array<{ line: number; command: string; seconds: number }>;
}

export async function replayDockerfile(options: ReplayOptions): Promise<ReplayResult> {
  const stages = parseDockerfile(options.dockerfile);
  const ignored = dockerIgnore(options.context);
  const stageRoots: Record<string, string> = {};
  const notApplied: string[] = [];
  const timings: ReplayResult['timings'] = [];
  let last: ReplayResult | undefined;

  for (const stage of stages) {
    const root = path.join(options.workDir, `stage-${stage.name}`);
    mkdirSync(root, { recursive: true });
    stageRoots[stage.name] = root;
    let workdir = '/';
    const env: Record<string, string> = {};
    let user: string | undefined;
    let entrypoint: string[] = [];
    let cmd: string[] = [];
    const inRoot = (p: string) => path.join(root, path.posix.resolve(workdir, p));

    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case 'WORKDIR':
          workdir = path.posix.resolve(workdir, ins.args[0] ?? '/');
          mkdirSync(inRoot('.'), { recursive: true });
          break;
        case 'ENV':
          for (const [k, v] of ins.env ?? []) env[k] = v;
          break;
        case 'USER':
          user = ins.args[0];
          break;
        case 'COPY': {
          const unknown = Object.keys(ins.flags).filter((f) => f !== 'from' && f !== 'chown');
          if (unknown.length > 0) throw new Error(`line ${ins.line}: COPY --${unknown.join(', --')} is not replayed`);
          const from = ins.flags['from'];
          const sources = ins.args.slice(0, -1);
          const dest = ins.args.at(-1) ?? '';
          const fromRoot = from === undefined ? undefined : stageRoots[from];
          if (from !== undefined && !fromRoot)
            throw new Error(`line ${ins.line}: COPY --from=${from}: no such earlier stage`);
          for (const src of sources) {
            const source = fromRoot ? path.join(fromRoot, src) : path.join(options.context, src);
            const relative = path.relative(options.context, source).split(path.sep).join('/');
            if (!fromRoot && (relative.startsWith('..') || ignored(relative)))
              throw new Error(`line ${ins.line}: COPY ${src}: excluded from the build context (.dockerignore)`);
            if (!existsSync(source))
              throw new Error(
                `line ${ins.line}: COPY ${src}: not found${from ? ` in stage ${from}` : ' in the build context'}`,
              );
            const isDir = statSync(source).isDirectory();
            // Docker: a directory's contents go into dest; files go into dest/ when dest ends with
            // a slash (or several sources are copied), else become dest.
            const target =
              isDir || !(dest.endsWith('/') || sources.length > 1)
                ? inRoot(dest)
                : path.join(inRoot(dest), path.basename(src));
            mkdirSync(isDir ? target : path.dirname(target), { recursive: true });
            cpSync(source, target, {
              recursive: true,
              verbatimSymlinks: true,
              filter: fromRoot
                ? undefined
                : (s) => !ignored(path.relative(options.context, s).split(path.sep).join('/')),
            });
          }
          if (ins.flags['chown'] !== undefined)
            notApplied.push(`line ${ins.line}: --chown=${ins.flags['chown']} on ${dest}`);
          options.log?.(`COPY ${from ? `--from=${from} ` : ''}${ins.args.join(' ')}`);
          break;
        }
        case 'RUN': {
          const command = ins.json ?? ['/bin/sh', '-c', ins.raw];
          const started = Date.now();
          options.log?.(`RUN ${ins.raw}`);
          await run(command, inRoot('.'), { ...options.runEnv, ...env, HOME: path.join(options.workDir, 'home') });
          timings.push({ line: ins.line, command: ins.raw, seconds: (Date.now() - started) / 1000 });
          break;
        }
        case 'ENTRYPOINT':
        case 'CMD':
          if (!ins.json)
            throw new Error(
              `line ${ins.line}: ${ins.keyword} must use the JSON (exec) form, so signals reach node directly`,
            );
          if (ins.keyword === 'ENTRYPOINT') entrypoint = ins.json;
          else cmd = ins.json;
          break;
        default:
          throw new Error(
            `line ${ins.line}: ${ins.keyword} is not replayed; teach test/deploy/dockerfile-replay.ts about it`,
          );
      }
    }
    last = {
      root,
      workdir: inRoot('.'),
      env,
      ...(user ? { user } : {}),
      entrypoint,
      cmd,
      stageRoots,
      notApplied,
      timings,
    };
  }
  if (!last) throw new Error('the Dockerfile has no stage');
  return last;
}

function run(command: string[], cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const [file = '', ...args] = command;
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`RUN ${command.join(' ')} failed (${code ?? signal}):\n${output}`)),
    );
  });
}

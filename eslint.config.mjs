// Lint rules. The workflows/ block is the important one: workflow code is replayed by
// Temporal and must be deterministic, so Node built-ins, I/O libraries and sources of
// nondeterminism are rejected there at lint time rather than discovered at replay time.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// The emulator is a workspace package of its own (packages/azure-emulator, docs/ARCHITECTURE.md).
// Its code imports nothing outside its folder; the product reaches it by its package name, and
// only from src/devstack/ (the local stack and the `asrflow emulator` commands), tests and benches.
const ROOT = path.dirname(fileURLToPath(import.meta.url));
const EMULATOR_DIR = path.join(ROOT, 'packages', 'azure-emulator');
const EMULATOR_PACKAGE = '@asrflow/azure-emulator';
const MAY_IMPORT_EMULATOR = ['test', 'bench'];
const inside = (dir, file) => {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};
// The product's units, bottom up (docs/ARCHITECTURE.md): each unit is a folder (or file, without
// its extension) under src/, and names the units it may import from; a unit also covers what lies
// below it (`temporal` includes `temporal/workflow`), and a file belongs to the longest unit that
// holds it. Anything not listed is an upward or sideways import, and since the table is a DAG there
// is no cycle between units. Tests, benches and scripts may import anything.
const SRC = path.join(ROOT, 'src');
/** Capability slices: each has a contract, workflows, activities and a client-side starter. */
export const SLICES = ['onboarding', 'failover', 'offboarding', 'doctor'];
const sliceUnits = Object.fromEntries(
  SLICES.flatMap((s) => [
    [`${s}/contract`, [`${s}/contract`, 'temporal/workflow', 'domain']],
    // Activities only as types (import type), enforced by the workflow-code block below.
    [`${s}/workflows`, [`${s}/workflows`, `${s}/activities`, `${s}/contract`, 'temporal/workflow', 'domain']],
    [`${s}/activities`, [`${s}/activities`, `${s}/contract`, 'azure', 'temporal', 'domain']],
    [`${s}/start`, [`${s}/start`, `${s}/contract`, `${s}/workflows`, 'temporal', 'domain']],
  ]),
);
const eachSlice = (part) => SLICES.map((s) => `${s}/${part}`);
export const LAYERS = {
  domain: ['domain'],
  'temporal/workflow': ['temporal/workflow', 'domain'],
  temporal: ['temporal', 'domain'],
  azure: ['azure', 'temporal', 'domain'],
  ...sliceUnits,
  worker: [
    'worker',
    ...eachSlice('activities'),
    ...eachSlice('workflows'),
    ...eachSlice('contract'),
    'azure',
    'temporal',
    'domain',
  ],
  devstack: ['devstack', 'temporal', 'domain'],
  cli: ['cli', ...eachSlice('start'), ...eachSlice('contract'), 'worker', 'devstack', 'azure', 'temporal', 'domain'],
};
const unitOf = (file) => {
  if (!inside(SRC, file)) return undefined;
  const rel = path
    .relative(SRC, file)
    .split(path.sep)
    .join('/')
    .replace(/\.(ts|mts|js)$/, '');
  let best;
  for (const unit of Object.keys(LAYERS))
    if ((rel === unit || rel.startsWith(`${unit}/`)) && (!best || unit.length > best.length)) best = unit;
  return best;
};
const covers = (allowed, unit) => allowed.some((a) => unit === a || unit.startsWith(`${a}/`));
// The Azure gateway (src/azure/) is the only product code that names @azure/* packages.
const AZURE_SDK = /^@azure\//;
const importBoundaries = {
  meta: { type: 'problem', schema: [], docs: { description: 'layer, gateway and emulator package boundaries' } },
  create(context) {
    const file = context.filename;
    const inPackage = inside(EMULATOR_DIR, file);
    const top = path.relative(ROOT, file).split(path.sep)[0];
    const unit = unitOf(file);
    const allowed = unit ? LAYERS[unit] : undefined;
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const spec = node.value;
      const relative = spec.startsWith('./') || spec.startsWith('../');
      const target = relative ? path.resolve(path.dirname(file), spec) : undefined;
      if (!inPackage && AZURE_SDK.test(spec) && inside(SRC, file) && unit !== 'azure') {
        context.report({
          node,
          message: `Only the Azure gateway (src/azure/) imports ${spec}: take what you need from a gateway module.`,
        });
      }
      if (allowed && target) {
        const targetUnit = unitOf(target);
        if (inside(SRC, target) && !targetUnit) {
          context.report({ node, message: `'${spec}' reaches a folder of src/ that is not in the LAYERS table.` });
        } else if (targetUnit && !covers(allowed, targetUnit)) {
          context.report({
            node,
            message: `src/${unit}/ may import ${allowed.map((d) => `${d}/`).join(', ')} only: '${spec}' reaches ${targetUnit}/ (see the layers in docs/ARCHITECTURE.md).`,
          });
        }
      }
      if (inPackage) {
        if (target && !inside(EMULATOR_DIR, target)) {
          context.report({
            node,
            message: `${EMULATOR_PACKAGE} imports nothing outside packages/azure-emulator/ ('${spec}' leaves it).`,
          });
        }
        return;
      }
      if (target && inside(path.join(ROOT, 'packages'), target)) {
        context.report({
          node,
          message: `Import the emulator by its package name ('${EMULATOR_PACKAGE}'), not by a path into packages/.`,
        });
      } else if (
        (spec === EMULATOR_PACKAGE || spec.startsWith(`${EMULATOR_PACKAGE}/`)) &&
        !(MAY_IMPORT_EMULATOR.includes(top) || unit === 'devstack')
      ) {
        context.report({
          node,
          message: `Only src/devstack/, test/ and bench/ import ${EMULATOR_PACKAGE}; the product reaches it through src/devstack/.`,
        });
      }
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
      TSImportType: (n) => check(n.argument?.type === 'TSLiteralType' ? n.argument.literal : n.argument),
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require') check(n.arguments[0]);
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'packages/*/dist/**', 'node_modules/**', '.tools/**', '.asrflow/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      parserOptions: { projectService: true, tsconfigRootDir: ROOT },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Activities (and their stubs in tests) are async by contract, whether or not they await.
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  {
    // Tests read JSON a CLI printed and Azure's raw answers: \`any\` there is the data under test,
    // checked by the assertions, not a type hole in the product.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // No import cycles inside a folder either (between folders the LAYERS table rules them out).
    files: ['**/*.ts', '**/*.mts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mts', '.js', '.json'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    plugins: { asrflow: { rules: { 'import-boundaries': importBoundaries } } },
    rules: { 'asrflow/import-boundaries': 'error' },
  },
  {
    // Plain JavaScript (configs, bin/) is not in the TypeScript project: no type-aware rules there.
    files: ['**/*.mjs', '**/*.js', 'bin/**'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.mjs', '**/*.js', 'bin/**'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        __dirname: 'readonly',
        module: 'writable',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow code, and what it imports at run time: slices' workflows and contracts, the shared
    // workflow plumbing, and the worker's bundle entry.
    files: ['src/*/workflows/**/*.ts', 'src/*/contract.ts', 'src/temporal/workflow/**/*.ts', 'src/worker/workflows.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code is replayed deterministically: Node built-ins belong in activities/.',
          })),
          patterns: [
            {
              group: [
                '@azure/*',
                '@temporalio/activity',
                '@temporalio/worker',
                '@temporalio/client',
                'pino',
                'node-forge',
                'jose',
              ],
              message: 'Workflow code must not do I/O: call an activity instead.',
            },
            {
              group: ['../activities/*', '../activities', '!../activities/types'],
              message: 'Import activities as types only (import type), through proxyActivities.',
              allowTypeImports: true,
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...[
          'process',
          'Buffer',
          '__dirname',
          '__filename',
          'require',
          'crypto',
          'performance',
          'setImmediate',
          'setInterval',
          'WeakRef',
          'FinalizationRegistry',
          'fetch',
        ].map((name) => ({ name, message: `${name} is not deterministic or not available in the workflow sandbox.` })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use uuid4() or a seeded value from @temporalio/workflow.' },
      ],
    },
  },
);

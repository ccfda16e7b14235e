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
// only from devstack/ (the local stack and the `asrflow emulator` commands), tests and benches.
const ROOT = path.dirname(fileURLToPath(import.meta.url));
const EMULATOR_DIR = path.join(ROOT, 'packages', 'azure-emulator');
const EMULATOR_PACKAGE = '@asrflow/azure-emulator';
const MAY_IMPORT_EMULATOR = ['devstack', 'test', 'bench'];
const inside = (dir, file) => {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};
// The product's layers, bottom up (docs/ARCHITECTURE.md): each top-level folder names the folders
// it may import from. Anything not listed is an upward import, and since the table is a DAG there
// is no cycle between folders. Tests, benches and scripts may import anything.
export const LAYERS = {
  domain: ['domain'],
  azure: ['azure', 'temporal', 'domain'],
  temporal: ['temporal', 'domain'],
  activities: ['activities', 'azure', 'temporal', 'domain'],
  // Activities only as types (import type), enforced by the workflows/ block below.
  workflows: ['workflows', 'activities', 'domain'],
  worker: ['worker', 'activities', 'azure', 'temporal', 'domain'],
  devstack: ['devstack', 'temporal', 'domain'],
  client: ['client', 'worker', 'devstack', 'workflows', 'azure', 'temporal', 'domain'],
};
// The Azure gateway (azure/) is the only product code that names @azure/* packages.
const AZURE_SDK = /^@azure\//;
const MAY_IMPORT_AZURE_SDK = ['azure'];
const importBoundaries = {
  meta: { type: 'problem', schema: [], docs: { description: 'layer, gateway and emulator package boundaries' } },
  create(context) {
    const file = context.filename;
    const inPackage = inside(EMULATOR_DIR, file);
    const top = path.relative(ROOT, file).split(path.sep)[0];
    const allowed = LAYERS[top];
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const spec = node.value;
      const relative = spec.startsWith('./') || spec.startsWith('../');
      const target = relative ? path.resolve(path.dirname(file), spec) : undefined;
      if (!inPackage && AZURE_SDK.test(spec) && !MAY_IMPORT_AZURE_SDK.includes(top)) {
        context.report({
          node,
          message: `Only the Azure gateway (azure/) imports ${spec}: take what you need from azure/sdk.ts or a gateway module.`,
        });
      }
      if (allowed && target && inside(ROOT, target)) {
        const targetTop = path.relative(ROOT, target).split(path.sep)[0];
        if (LAYERS[targetTop] && !allowed.includes(targetTop)) {
          context.report({
            node,
            message: `${top}/ may import ${allowed.map((d) => `${d}/`).join(', ')} only: '${spec}' reaches ${targetTop}/ (an upward import; see the layers in docs/ARCHITECTURE.md).`,
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
        !MAY_IMPORT_EMULATOR.includes(top)
      ) {
        context.report({
          node,
          message: `Only ${MAY_IMPORT_EMULATOR.map((d) => `${d}/`).join(', ')} import ${EMULATOR_PACKAGE}; the product reaches it through devstack/.`,
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
    files: ['workflows/**/*.ts'],
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

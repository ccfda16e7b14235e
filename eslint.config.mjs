// Lint rules. The workflows/ block is the important one: workflow code is replayed by
// Temporal and must be deterministic, so Node built-ins, I/O libraries and sources of
// nondeterminism are rejected there at lint time rather than discovered at replay time.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
const importBoundaries = {
  meta: { type: 'problem', schema: [], docs: { description: 'emulator package boundaries' } },
  create(context) {
    const file = context.filename;
    const inPackage = inside(EMULATOR_DIR, file);
    const top = path.relative(ROOT, file).split(path.sep)[0];
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const spec = node.value;
      const relative = spec.startsWith('./') || spec.startsWith('../');
      const target = relative ? path.resolve(path.dirname(file), spec) : undefined;
      if (inPackage) {
        if (target && !inside(EMULATOR_DIR, target)) {
          context.report({ node, message: `${EMULATOR_PACKAGE} imports nothing outside packages/azure-emulator/ ('${spec}' leaves it).` });
        }
        return;
      }
      if (target && inside(path.join(ROOT, 'packages'), target)) {
        context.report({ node, message: `Import the emulator by its package name ('${EMULATOR_PACKAGE}'), not by a path into packages/.` });
      } else if ((spec === EMULATOR_PACKAGE || spec.startsWith(`${EMULATOR_PACKAGE}/`)) && !MAY_IMPORT_EMULATOR.includes(top)) {
        context.report({ node, message: `Only ${MAY_IMPORT_EMULATOR.map((d) => `${d}/`).join(', ')} import ${EMULATOR_PACKAGE}; the product reaches it through devstack/.` });
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
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    plugins: { asrflow: { rules: { 'import-boundaries': importBoundaries } } },
    rules: { 'asrflow/import-boundaries': 'error' },
  },
  {
    files: ['**/*.mjs', '**/*.js', 'bin/**'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', __dirname: 'readonly', module: 'writable' },
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
              group: ['@azure/*', '@temporalio/activity', '@temporalio/worker', '@temporalio/client', 'pino', 'node-forge', 'jose'],
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
        ...['process', 'Buffer', '__dirname', '__filename', 'require', 'crypto', 'performance', 'setImmediate', 'setInterval', 'WeakRef', 'FinalizationRegistry', 'fetch'].map(
          (name) => ({ name, message: `${name} is not deterministic or not available in the workflow sandbox.` }),
        ),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use uuid4() or a seeded value from @temporalio/workflow.' },
      ],
    },
  },
);

// Lint rules. The workflows/ block is the important one: workflow code is replayed by
// Temporal and must be deterministic, so Node built-ins, I/O libraries and sources of
// nondeterminism are rejected there at lint time rather than discovered at replay time.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.asrflow/**', 'coverage/**'] },
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

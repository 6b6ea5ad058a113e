'use strict';
// Lint: typescript-eslint's type-aware recommended rules for the TypeScript sources, ESLint's
// recommended rules for the JavaScript around them (tests, scripts, benches). Formatting is
// Prettier's job (.prettierrc.json); `npm run lint` runs both, and `npm test` runs lint.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.node-red-dev/**', '.test-runs/**', 'examples/**', 'resources/**', 'coverage/**'] },
  {
    files: ['lib/**/*.ts', 'nodes/**/*.ts', 'bin/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      // Node-RED's API is untyped at its edges (RED, msg, config): `any` is declared there on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['nodes/**/*.ts'],
    rules: {
      // Node-RED require()s a node file and calls module.exports: `export =` a function, with a namespace merged in for the exported types.
      '@typescript-eslint/no-namespace': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', ecmaVersion: 2023, globals: { ...globals.node } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Scripts evaluated inside the browser page by the editor tests.
    files: ['test/harness/browser.js', 'test/editor/**/*.js'],
    languageOptions: { globals: { ...globals.node, ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
);

// ESLint (flat config) with typescript-eslint's recommended rules for the whole code base; formatting is
// Prettier's job (`npm run format:check`), so no stylistic rules here.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'bench/.out/', 'test-artifacts/', 'node_modules/', 'demo/dist/', 'examples/next/.next/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/react/**/*.{ts,tsx}', 'demo/react/**/*.{ts,tsx}', 'test/unit/react/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    // The two classic rules; the React Compiler's rules (refs during render, immutability) don't fit the
    // latest-handler ref that the hooks use on purpose.
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: globals.node } },
  {
    // CommonJS on purpose (the consumer fixture proves require() works): require is its import.
    files: ['**/*.cjs'],
    languageOptions: { globals: globals.node, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The browser client is written for its readers, not its byte count (issue 15): no comma operators,
    // no assignments inside expressions (the build's minifier does that where it pays).
    files: ['src/client/**/*.ts'],
    rules: {
      'no-sequences': ['error', { allowInParentheses: false }],
      'no-cond-assign': ['error', 'always'],
      'no-return-assign': ['error', 'always'],
    },
  },
  {
    rules: {
      // An unused argument named with a leading underscore is a deliberate placeholder in a signature.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);

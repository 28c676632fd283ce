// typescript-eslint's type-aware recommended rules over src/ and test/; generated and built files excluded.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'collection/**', 'node_modules/**', 'src/*/generated/validate.js', '.cache/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // V8 builds a \p{…} class from ICU tables when it parses the literal: ~1 ms of every module run
          // (callgrind). Build such a pattern with new RegExp(…) where it is needed, as connection.ts does.
          selector: 'Literal[regex.pattern=/\\\\[pP]\\{/]',
          message: 'No \\p{…} regex literal in src/: V8 parses it on every run; use new RegExp(String.raw`…`, "u") where it is needed.',
        },
      ],
    },
  },
  {
    // Build scripts are plain JavaScript outside tsconfig: linted without type information.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' },
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // chai's expect(x).to.be.true is an expression by design.
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);

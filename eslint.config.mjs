// ESLint flat config: typescript-eslint's recommended rules, trimmed to those that catch real
// problems in this code base, plus the architecture rule that the core, the CLI and the dev
// stack never import `vscode` (docs: README "Project layout").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'test/harness/hostRunner/dist/**', 'media/**', 'node_modules/**', 'test/.results/**', '.cache/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      // The compiler already reports unused locals and parameters (noUnusedLocals/Parameters).
      '@typescript-eslint/no-unused-vars': 'off',
      // Non-null assertions are used where an index was just checked (noUncheckedIndexedAccess).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `catch {}` with a comment saying why is how this code ignores an expected failure.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // `let x; … use x in a closure …; x = …` is how a test hands a value to a callback made before it.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // TypeScript checks names; this rule does not know type-only globals.
      'no-undef': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Wrapping a caught error into a clearer one is common here, and the message already says
    // why; asking for `{ cause }` everywhere would churn files other work is changing.
    files: ['**/*.ts'],
    rules: { 'preserve-caught-error': 'off' },
  },
  {
    // Tests may use `any` on fixtures they parse, and spell out spaces in expected output.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-regex-spaces': 'off' },
  },
  {
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts', 'src/dev/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core, src/cli and src/dev never import vscode: put editor code in src/vscode and pass plain data.' }],
          patterns: [{ group: ['**/vscode/**', '../vscode', '../../vscode'], message: 'src/core, src/cli and src/dev never import from src/vscode.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    // Node scripts (scripts/, the harness): Node's globals.
    languageOptions: {
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'URL',
          'URLSearchParams',
          '__dirname',
          'require',
          'module',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'Buffer',
          'fetch',
          'AbortController',
          'TextEncoder',
          'TextDecoder',
          'performance',
          'structuredClone',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);

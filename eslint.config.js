// Lint: typescript-eslint's type-checked rules over the library, the bench
// and the tests; formatting is Prettier's (eslint-config-prettier turns off
// the rules that would argue with it).
import js from '@eslint/js'
import globals from 'globals'
import prettier from 'eslint-config-prettier'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'docs/api/', 'node_modules/', '**/build/', 'prebuilds/', 'bench/native/prebuilds/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // An async API function is async so that its argument errors reject rather than throw, await or not.
      '@typescript-eslint/require-await': 'off',
      // Addon functions and prototype getters taken off their objects on purpose (the codec reads a view's
      // own slots, not getters a subclass may override); none of them uses \`this\` as the rule fears.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Tests read what child processes print (JSON.parse: any) and check it with expect().
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // `held = undefined` drops the last reference so that the collector can take a view: the point of the test.
      'no-useless-assignment': 'off',
    },
  },
  // A CommonJS consumer's `import x = require('mman')`, which the package's types must serve.
  { files: ['test/package/types/*.cts'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  prettier,
)

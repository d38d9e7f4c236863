import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['dist/', 'out/', 'node_modules/', 'test-results/', 'renderer/dist/', '.tmp/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Layers: the engine never imports Electron or UI code.
  {
    files: ['app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'electron/*'], message: 'app/ runs without Electron.' },
            { group: ['**/renderer/**', '**/main/**', '**/cli/**'], message: 'app/ is the bottom layer.' },
          ],
        },
      ],
    },
  },
);

import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import svelte from 'eslint-plugin-svelte';
import svelteConfig from './svelte.config.js';

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
  // Layers: the CLI is a front end like the UI: it runs commands through engine.call, never the
  // engine's parts (connections, servers, session files, workspace) directly.
  {
    files: ['cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/app/connections/*',
                '**/app/server/*',
                '**/app/workspace/*',
                '**/app/sessions/*',
                // Formatting of the replay report (pure functions) is shared with the engine.
                '!**/app/sessions/replay.js',
              ],
              message:
                'cli/ reaches the engine through engine.call (add a command to the contract if one is missing).',
            },
          ],
        },
      ],
    },
  },
  // Layers: main/ is the Electron shell over app/; it never reaches into the UI or the CLI.
  {
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/renderer/**', '**/cli/**'], message: 'main/ may import only app/ and electron.' },
          ],
        },
      ],
    },
  },
  // The sandboxed preload bundles what it imports: only electron and the runtime-free contract names.
  {
    files: ['main/preload.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!electron$|\\.\\./app/api\\.js$|\\.\\./app/contract\\.js$)',
              message:
                'The preload may import only electron and ../app/api.js (types from ../app/contract.js).',
            },
            {
              regex: '^\\.\\./app/contract\\.js$',
              allowTypeImports: true,
              message: 'Import only types from app/contract.ts; zod must not ship in the preload.',
            },
          ],
        },
      ],
    },
  },
  // The workbench UI (Svelte 5).
  ...svelte.configs.recommended,
  {
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig },
    },
    rules: {
      // Large collections are plain Maps/Sets held in $state.raw and replaced, never mutated
      // (STYLE.md); SvelteMap would make every entry reactive, which a million-row log cannot afford.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.svelte', 'renderer/test-support/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // Layers: the renderer talks to the engine only through WorkbenchApi (bridge.ts).
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(node:|ws$|zod$|electron($|/))',
              message: 'renderer/ runs in a browser sandbox: no Node, ws, zod or electron imports.',
            },
            {
              regex:
                '(^|/)app/(?!(api|errors|websocket-rules|vocabulary|contract|bridge-codec|payload/codecs|payload/hex-dump|log/log-filter|log/seq-runs|shortcuts|variables/variable-names)\\.js$)',
              message:
                'renderer/ may import only the runtime-free part of app/ (api, errors, websocket-rules, vocabulary, bridge-codec, payload codecs and hex-dump, the log filter and seq runs, shortcuts, variable names; types from contract).',
            },
            {
              regex: '(^|/)app/contract\\.js$',
              allowTypeImports: true,
              message: 'Import only types from app/contract.ts; its schemas (zod) stay in the engine.',
            },
          ],
        },
      ],
    },
  },
);

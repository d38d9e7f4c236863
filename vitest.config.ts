import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          // Builds dist/ once: the CLI tests spawn `node dist/cli/main.js`.
          globalSetup: ['test/cli/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Svelte components in jsdom, against the fake contract (renderer/test-support/fake-api.ts).
        plugins: [svelte({ configFile: './svelte.config.js' }), svelteTesting()],
        test: {
          name: 'renderer',
          include: ['renderer/**/*.svelte.test.ts'],
          environment: 'jsdom',
          setupFiles: ['./renderer/vitest-setup.ts'],
        },
      },
      {
        // The built UI in Debian's Chromium through browser mode (`duplex ui`); needs build:node + build:renderer.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 90_000,
          hookTimeout: 60_000,
        },
      },
      {
        // main/ wiring (IPC, preload, window rules) against a mocked electron module and a real engine.
        test: { name: 'main', include: ['test/main/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
      },
      {
        // The packaged-layout app in a real Electron through Playwright; skipped, with the reason, without the binary.
        test: {
          name: 'e2e-electron',
          include: ['test/e2e-electron/**/*.test.ts'],
          environment: 'node',
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});

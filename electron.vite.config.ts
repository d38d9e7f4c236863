/**
 * electron-vite builds the Electron main process and the preload only; the
 * renderer is built by renderer/vite.config.ts (`npm run build:renderer`) into
 * out/renderer, which both the window and browser mode serve.
 *
 * package.json says "type": "module", so main is ESM (out/main/index.js), but a
 * sandboxed preload cannot be ESM: it is built as CommonJS, out/preload/preload.cjs.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      emptyOutDir: true,
      sourcemap: true,
      lib: { entry: resolve('main/index.ts'), formats: ['es'], fileName: () => 'index.js' },
      rollupOptions: { input: { index: resolve('main/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      emptyOutDir: true,
      sourcemap: true,
      // Everything (the contract names, buildApi) is bundled in: a sandboxed preload can only require('electron').
      externalizeDeps: false,
      rollupOptions: {
        input: { preload: resolve('main/preload.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
});

import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** Svelte options shared by the renderer build, svelte-check and the component tests. */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
};

/** The workbench instance, provided by App.svelte and read by components. */
import { createContext } from 'svelte';
import type { Workbench } from './workbench.svelte.js';

export const [getWorkbench, setWorkbench] = createContext<Workbench>();

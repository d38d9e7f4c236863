/**
 * Entry of the workbench UI. The API comes from bridge.ts (window.duplex in
 * Electron, the WebSocket bridge in browser mode); `?demo` runs on the
 * in-memory fake instead, for trying the UI without an engine.
 */
import { mount } from 'svelte';
import type { WorkbenchApi } from '../../app/api.js';
import App from './App.svelte';
import './app.css';

async function start(): Promise<void> {
  const target = document.getElementById('app')!;
  let api: WorkbenchApi;
  try {
    api = new URLSearchParams(location.search).has('demo')
      ? (await import('./lib/fake-api.js')).createFakeApi({ latencyMs: 2 })
      : await (await import('./lib/bridge.js')).connectApi();
  } catch (err) {
    target.textContent = `Duplex cannot reach its engine: ${(err as Error).message}`;
    target.className = 'fatal';
    return;
  }
  mount(App, { target, props: { api } });
}

void start();

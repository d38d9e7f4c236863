/**
 * Entry of the workbench UI. The API comes from bridge.ts: window.duplex in
 * Electron, the WebSocket bridge in browser mode. The in-memory fake of the
 * contract is test support (renderer/test-support/) and never part of this bundle.
 */
import { mount } from 'svelte';
import type { WorkbenchApi } from '../../app/api.js';
import App from './App.svelte';
import { connectApi } from './lib/bridge.js';
import './app.css';

async function start(): Promise<void> {
  const target = document.getElementById('app')!;
  let api: WorkbenchApi;
  try {
    api = await connectApi();
  } catch (err) {
    target.textContent = `Duplex cannot reach its engine: ${(err as Error).message}`;
    target.className = 'fatal';
    return;
  }
  mount(App, { target, props: { api } });
}

void start();

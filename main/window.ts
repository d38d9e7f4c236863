/**
 * The one application window: sandboxed, context-isolated, no Node in the
 * page, no navigation away from app://duplex, no new windows (http(s) links
 * open in the user's browser after a check), every permission request denied.
 */
import { BrowserWindow, shell, type WebContents } from 'electron';
import { APP_ORIGIN, APP_URL } from './csp.js';
import { DEFAULT_BOUNDS, loadWindowState, trackWindowState } from './window-state.js';

export interface MainWindowOptions {
  /** Absolute path of the built preload (CJS). */
  preload: string;
  /** Where the window's bounds are remembered. */
  stateFile: string;
  /** Page to load (default app://duplex/index.html). */
  url?: string;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const state = loadWindowState(options.stateFile);
  const window = new BrowserWindow({
    ...DEFAULT_BOUNDS,
    ...state.bounds,
    minWidth: 640,
    minHeight: 400,
    show: false,
    title: 'Duplex',
    backgroundColor: '#1e1e22',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    },
  });
  if (state.maximized) window.maximize();
  trackWindowState(window, options.stateFile);
  // Navigation, new-window and permission rules: guardWebContents, applied in main/index.ts's
  // 'web-contents-created' handler to this window's contents and to any other.
  window.once('ready-to-show', () => window.show());
  void window.loadURL(options.url ?? APP_URL);
  return window;
}

/** Navigation, new-window and permission rules for a window's contents. */
export function guardWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalLink(url);
    if (external) void shell.openExternal(external);
    return { action: 'deny' };
  });
  contents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
}

export function isAppUrl(url: string): boolean {
  return url === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`);
}

/** The link as a normalized http(s) URL without credentials, or undefined when it must not be opened. */
export function externalLink(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  if (parsed.username || parsed.password || url.length > 2048) return undefined;
  return parsed.href;
}

/**
 * Electron main process: app lifecycle only. The engine (app/) does all
 * WebSocket work; this file wires it to the window through main/ipc.ts.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, safeStorage, session } from 'electron';
import { SafeStorageSecretSource } from './safe-storage-secrets.js';
import type { MenuAction } from '../app/contract.js';
import { Engine } from '../app/engine.js';
import { toErrorInfo } from '../app/errors.js';
import { installContentSecurityPolicy, registerAppScheme, serveRenderer } from './csp.js';
import { bindIpc, sendEvents } from './ipc.js';
import { installMenu } from './menu.js';
import { createMainWindow, guardWebContents } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Built layout: out/main/index.js, out/preload/preload.cjs, out/renderer/index.html. */
const preloadPath = join(here, '../preload/preload.cjs');
const rendererDir = join(here, '../renderer');

app.setName('Duplex');
app.enableSandbox();
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let engine: Engine | undefined;
  let mainWindow: BrowserWindow | undefined;
  const openWindow = (): void => {
    mainWindow = createMainWindow({
      preload: preloadPath,
      stateFile: join(app.getPath('userData'), 'window-state.json'),
    });
    mainWindow.on('closed', () => (mainWindow = undefined));
  };
  const sendMenuAction = (action: MenuAction): void => {
    const target = BrowserWindow.getFocusedWindow() ?? mainWindow;
    if (target) sendEvents(target.webContents, [{ name: 'ui.menu', payload: { action } }]);
  };

  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });

  // Every web contents, the window's and any other, gets the navigation and permission rules.
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));

  void app.whenReady().then(() => {
    serveRenderer(session.defaultSession, rendererDir);
    installContentSecurityPolicy(session.defaultSession);
    engine = new Engine({
      workspaceDir: join(app.getPath('userData'), 'workspace'),
      // Secret values never go into the workspace: encrypted by the OS, kept beside it.
      secrets: new SafeStorageSecretSource(join(app.getPath('userData'), 'secrets.json'), safeStorage),
    });
    bindIpc(engine, {
      windows: () => BrowserWindow.getAllWindows().map((w) => w.webContents),
    });
    installMenu({ send: sendMenuAction, development: !app.isPackaged });
    openWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  let disposed = false;
  app.on('before-quit', (event) => {
    if (disposed || !engine) return;
    event.preventDefault();
    disposed = true;
    void engine
      .dispose()
      .catch((err: unknown) => console.error(`Duplex: shutting down failed: ${toErrorInfo(err).message}`))
      .finally(() => app.quit());
  });
}

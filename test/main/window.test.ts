/**
 * The window's security settings, navigation/permission rules, the app://
 * protocol, the CSP header, the menu and the remembered bounds — against a
 * fake `electron` module that records what main/ asks of it.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => void;
  class FakeEmitter {
    readonly listeners = new Map<string, Listener[]>();
    on(name: string, l: Listener) {
      this.listeners.set(name, [...(this.listeners.get(name) ?? []), l]);
      return this;
    }
    once(name: string, l: Listener) {
      return this.on(name, l);
    }
    emit(name: string, ...args: unknown[]) {
      for (const l of this.listeners.get(name) ?? []) l(...args);
    }
  }
  const opened: string[] = [];
  const windows: FakeWindow[] = [];
  class FakeSession {
    permissionHandler: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    checkHandler: (() => boolean) | undefined;
    setPermissionRequestHandler(h: FakeSession['permissionHandler']) {
      this.permissionHandler = h;
    }
    setPermissionCheckHandler(h: () => boolean) {
      this.checkHandler = h;
    }
  }
  class FakeContents extends FakeEmitter {
    session = new FakeSession();
    openHandler: ((d: { url: string }) => { action: string }) | undefined;
    setWindowOpenHandler(h: FakeContents['openHandler']) {
      this.openHandler = h;
    }
  }
  class FakeWindow extends FakeEmitter {
    readonly webContents = new FakeContents();
    loaded: string | undefined;
    bounds = { x: 10, y: 20, width: 900, height: 700 };
    maximized = false;
    constructor(readonly options: Record<string, unknown>) {
      super();
      windows.push(this);
    }
    loadURL(url: string) {
      this.loaded = url;
      return Promise.resolve();
    }
    maximize() {
      this.maximized = true;
    }
    isMaximized() {
      return this.maximized;
    }
    isDestroyed() {
      return false;
    }
    getNormalBounds() {
      return this.bounds;
    }
    show() {}
  }
  return {
    opened,
    windows,
    FakeContents,
    electron: {
      BrowserWindow: FakeWindow,
      shell: { openExternal: (url: string) => (opened.push(url), Promise.resolve()) },
      screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
      protocol: { registerSchemesAsPrivileged: () => undefined },
      Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: () => undefined },
      ipcMain: { handle: () => undefined, removeHandler: () => undefined },
    },
  };
});
vi.mock('electron', () => fake.electron);

import type { MenuItemConstructorOptions, Session, WebContents } from 'electron';
import { contentSecurityPolicy } from '../../app/bridge/csp.js';
import {
  APP_URL,
  electronContentSecurityPolicy,
  installContentSecurityPolicy,
  serveRenderer,
} from '../../main/csp.js';
import { buildMenuTemplate } from '../../main/menu.js';
import { menuAccelerator, shortcuts } from '../../app/shortcuts.js';
import { createMainWindow, externalLink, guardWebContents, isAppUrl } from '../../main/window.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'duplex-main-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the window', () => {
  it('is created with the secure settings inline, loads app://duplex and starts hidden', () => {
    const win = createMainWindow({
      preload: '/app/preload.cjs',
      stateFile: join(dir, 'none.json'),
    }) as unknown as {
      options: { webPreferences: Record<string, unknown> } & Record<string, unknown>;
      loaded: string;
    };
    expect(win.options.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(win.options['show']).toBe(false);
    expect(win.loaded).toBe(APP_URL);
  });

  it('remembers size, position and maximized state, and ignores bounds that are off every display', async () => {
    const stateFile = join(dir, 'window-state.json');
    const first = createMainWindow({ preload: '/p.cjs', stateFile }) as unknown as {
      bounds: object;
      maximized: boolean;
      emit: (n: string) => void;
    };
    first.bounds = { x: 100, y: 50, width: 1000, height: 720 };
    first.maximized = true;
    first.emit('close');
    await vi.waitFor(async () => expect(JSON.parse(await readFile(stateFile, 'utf8'))).toBeTruthy());
    const second = createMainWindow({ preload: '/p.cjs', stateFile }) as unknown as {
      options: Record<string, unknown>;
      maximized: boolean;
    };
    expect(second.options).toMatchObject({ x: 100, y: 50, width: 1000, height: 720 });
    expect(second.maximized).toBe(true);

    await writeFile(stateFile, JSON.stringify({ bounds: { x: 5000, y: 5000, width: 800, height: 600 } }));
    const third = createMainWindow({ preload: '/p.cjs', stateFile }) as unknown as {
      options: Record<string, unknown>;
    };
    expect(third.options['x']).toBeUndefined();
    expect(third.options).toMatchObject({ width: 1280, height: 820 });
  });
});

describe('navigation, new windows, permissions', () => {
  const guarded = (): InstanceType<typeof fake.FakeContents> => {
    const contents = new fake.FakeContents();
    guardWebContents(contents as unknown as WebContents);
    return contents;
  };
  const navigate = (
    contents: InstanceType<typeof fake.FakeContents>,
    event: string,
    url: string,
  ): boolean => {
    let prevented = false;
    contents.emit(event, { preventDefault: () => (prevented = true) }, url);
    return prevented;
  };

  it('blocks navigation and redirects away from app://duplex, and every <webview>', () => {
    const contents = guarded();
    expect(navigate(contents, 'will-navigate', 'app://duplex/index.html')).toBe(false);
    for (const url of [
      'https://example.com/',
      'file:///etc/passwd',
      'app://duplex.evil/',
      'javascript:alert(1)',
    ]) {
      expect(navigate(contents, 'will-navigate', url), url).toBe(true);
      expect(navigate(contents, 'will-redirect', url), url).toBe(true);
    }
    let prevented = false;
    contents.emit('will-attach-webview', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
  });

  it('denies every new window; opens only checked http(s) links in the browser', () => {
    const contents = guarded();
    fake.opened.length = 0;
    for (const url of [
      'https://developer.mozilla.org/docs/Web/API/WebSocket',
      'http://example.com/a?b=c',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'https://user:pass@example.com/',
      'app://duplex/index.html',
      'not a url',
    ]) {
      expect(contents.openHandler!({ url })).toEqual({ action: 'deny' });
    }
    expect(fake.opened).toEqual([
      'https://developer.mozilla.org/docs/Web/API/WebSocket',
      'http://example.com/a?b=c',
    ]);
    expect(externalLink('https://x/' + 'a'.repeat(3000))).toBeUndefined();
  });

  it('denies every permission request and check', () => {
    const contents = guarded();
    const answers: boolean[] = [];
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      contents.session.permissionHandler!(contents, p, (ok) => answers.push(ok));
    }
    expect(answers).toEqual([false, false, false, false, false]);
    expect(contents.session.checkHandler!()).toBe(false);
  });

  it('knows its own origin exactly', () => {
    expect(isAppUrl('app://duplex/index.html')).toBe(true);
    expect(isAppUrl('app://duplex')).toBe(true);
    expect(isAppUrl('app://duplexx/index.html')).toBe(false);
    expect(isAppUrl('app://duplex.evil/')).toBe(false);
  });
});

describe('content security policy and the app:// protocol', () => {
  it('the header literal is the Electron policy: browser mode’s with app://duplex for self and no connections', () => {
    let listener:
      ((d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | undefined;
    installContentSecurityPolicy({
      webRequest: { onHeadersReceived: (l: typeof listener) => (listener = l) },
    } as never);
    let headers: Record<string, string[]> = {};
    listener!({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']).toEqual([electronContentSecurityPolicy]);
    expect(headers['X-Other']).toEqual(['1']);
    expect(electronContentSecurityPolicy).toBe(
      contentSecurityPolicy
        .replace(/'self'/g, 'app://duplex')
        .replace('connect-src app://duplex', "connect-src 'none'"),
    );
    expect(electronContentSecurityPolicy).not.toMatch(/unsafe|\*|http:/);
  });

  it('serves only files of the renderer folder, with content type and CSP', async () => {
    const site = join(dir, 'renderer');
    await mkdir(join(site, 'assets'), { recursive: true });
    await writeFile(join(site, 'index.html'), '<!doctype html><title>D</title>');
    await writeFile(join(site, 'assets', 'a.js'), 'export {}');
    await writeFile(join(dir, 'secret.txt'), 'secret');
    let handler: ((r: Request) => Promise<Response>) | undefined;
    serveRenderer(
      { protocol: { handle: (_s: string, h: typeof handler) => (handler = h) } } as unknown as Session,
      site,
    );
    const get = (url: string): Promise<Response> => handler!(new Request(url));

    const page = await get('app://duplex/index.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(electronContentSecurityPolicy);
    expect(await page.text()).toContain('<title>D</title>');
    expect((await get('app://duplex/assets/a.js')).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    for (const url of [
      'app://duplex/../secret.txt',
      'app://duplex/%2e%2e/secret.txt',
      'app://duplex/assets/..%2f..%2fsecret.txt',
      'app://other/index.html',
      'app://duplex/missing.js',
    ]) {
      const res = await get(url);
      expect(res.status, url).toBe(404);
      expect(await res.text()).not.toContain('secret');
    }
  });
});

describe('the app menu', () => {
  const flatten = (items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] =>
    items.flatMap((i) => [i, ...flatten(Array.isArray(i.submenu) ? i.submenu : [])]);

  it('has an item per shortcut of the one table, with its key, that sends its ui.menu action', () => {
    const actions: string[] = [];
    const items = flatten(
      buildMenuTemplate({ send: (a) => actions.push(a), development: false, platform: 'linux' }),
    );
    const byLabel = (label: string) => items.find((i) => i.label === label)!;
    expect(byLabel('New connection').accelerator).toBe('CmdOrCtrl+N');
    expect(byLabel('New mock server').accelerator).toBe('CmdOrCtrl+Shift+S');
    // "?" would swallow the character in every text field: the menu registers F1 instead.
    expect(byLabel('Keyboard shortcuts').accelerator).toBe('F1');
    for (const s of shortcuts) {
      expect(byLabel(s.label).accelerator).toBe(menuAccelerator(s));
      (byLabel(s.label).click as () => void)();
    }
    expect(actions).toEqual(shortcuts.map((s) => s.action));
    expect(items.map((i) => i.role).filter(Boolean)).toEqual(
      expect.arrayContaining(['editMenu', 'windowMenu', 'quit', 'zoomIn']),
    );
  });

  it('offers developer tools only in development', () => {
    const roles = (development: boolean, platform: NodeJS.Platform = 'linux') =>
      flatten(buildMenuTemplate({ send: () => undefined, development, platform })).map((i) => i.role);
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).not.toContain('reload');
    expect(roles(true)).toContain('toggleDevTools');
    expect(roles(false, 'darwin')).toContain('appMenu');
  });
});

/**
 * The application menu: the usual roles (edit, view, window, help) plus
 * Duplex's own items, whose actions reach the renderer as `ui.menu` events.
 * Developer tools appear only in development builds.
 */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { MenuAction } from '../app/contract.js';

export interface MenuOptions {
  /** Sends a menu action to the focused window's UI. */
  send: (action: MenuAction) => void;
  /** Development build: adds reload and developer tools. */
  development: boolean;
  platform?: NodeJS.Platform;
}

export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const mac = (options.platform ?? process.platform) === 'darwin';
  const action = (label: string, accelerator: string, act: MenuAction): MenuItemConstructorOptions => ({
    label,
    accelerator,
    click: () => options.send(act),
  });
  const template: MenuItemConstructorOptions[] = [];
  if (mac) template.push({ role: 'appMenu' });
  template.push(
    {
      label: 'File',
      submenu: [
        action('New Connection', 'CmdOrCtrl+N', 'connection.new'),
        action('Start Server', 'CmdOrCtrl+Shift+S', 'server.start'),
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        action('Toggle Theme', 'CmdOrCtrl+Shift+T', 'theme.toggle'),
        { type: 'separator' },
        ...(options.development
          ? ([
              { role: 'reload' },
              { role: 'forceReload' },
              { role: 'toggleDevTools' },
              { type: 'separator' },
            ] as const)
          : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'About Duplex', role: 'about' }] },
  );
  return template;
}

export function installMenu(options: MenuOptions): Menu {
  const menu = Menu.buildFromTemplate(buildMenuTemplate(options));
  Menu.setApplicationMenu(menu);
  return menu;
}

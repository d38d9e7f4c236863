/**
 * The application menu: the usual roles (edit, view, window, help) plus
 * Duplex's own items from the shortcut table (app/shortcuts.ts), whose
 * actions reach the renderer as `ui.menu` events.
 * Developer tools appear only in development builds.
 */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { MenuAction } from '../app/contract.js';
import { menuAccelerator, shortcuts, type Shortcut } from '../app/shortcuts.js';

export interface MenuOptions {
  /** Sends a menu action to the focused window's UI. */
  send: (action: MenuAction) => void;
  /** Development build: adds reload and developer tools. */
  development: boolean;
  platform?: NodeJS.Platform;
}

export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const mac = (options.platform ?? process.platform) === 'darwin';
  const item = (s: Shortcut): MenuItemConstructorOptions => {
    const accelerator = menuAccelerator(s);
    return { label: s.label, ...(accelerator ? { accelerator } : {}), click: () => options.send(s.action) };
  };
  const items = (menu: Shortcut['menu']): MenuItemConstructorOptions[] =>
    shortcuts.filter((s) => s.menu === menu).map(item);
  const template: MenuItemConstructorOptions[] = [];
  if (mac) template.push({ role: 'appMenu' });
  template.push(
    {
      label: 'File',
      submenu: [...items('File'), { type: 'separator' }, mac ? { role: 'close' } : { role: 'quit' }],
    },
    { role: 'editMenu' },
    { label: 'Connection', submenu: items('Connection') },
    {
      label: 'View',
      submenu: [
        ...items('View'),
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
    { role: 'help', submenu: [...items('Help'), { label: 'About Duplex', role: 'about' }] },
  );
  return template;
}

export function installMenu(options: MenuOptions): Menu {
  const menu = Menu.buildFromTemplate(buildMenuTemplate(options));
  Menu.setApplicationMenu(menu);
  return menu;
}

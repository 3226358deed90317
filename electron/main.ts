// Electron main process: one sandboxed window on sv://app/, the contract served over IPC by the same AppService that
// serve mode uses, and the engine in a utilityProcess that is restarted if it dies.
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { EngineHost } from '../engine/service/engine-host/engine-host.ts';
import { AppService } from '../engine/service/service.ts';
import { copyConsoleTo, openLogFiles } from '../engine/service/log-files.ts';
import { APP_ORIGIN, handleAppScheme, registerAppScheme } from './app-protocol.ts';
import { spawnUtilityEngine } from './engine-utility.ts';
import { IPC_CALL, IPC_EVENT } from './ipc-channels.ts';

registerAppScheme();
// Same override as serve mode (tests, portable installs): keep all app data in one chosen folder.
if (process.env.SPARSEVILA_DATA) app.setPath('userData', path.resolve(process.env.SPARSEVILA_DATA));

const rendererDir = path.join(__dirname, '..', 'renderer');
let service: AppService | null = null;
let mainWindow: BrowserWindow | null = null;

function resourcesDir(name: string): string | null {
  const packaged = path.join(process.resourcesPath, name);
  if (app.isPackaged && existsSync(packaged)) return packaged;
  return null;
}

function embeddedModelsDir(): string | null {
  const dev = path.join(app.getAppPath(), 'assets', 'models');
  return resourcesDir('models') ?? (existsSync(dev) ? dev : null);
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'SparseVILA Desktop',
    backgroundColor: '#14161a',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // The window only ever shows the app; links to the web open in the user's browser.
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://') || url.startsWith('http://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

async function start(): Promise<void> {
  const logs = openLogFiles(app.getPath('userData'), 'app');
  copyConsoleTo(logs.main);
  logs.main.info({ version: app.getVersion(), platform: process.platform, packaged: app.isPackaged }, 'app started');
  app.on('child-process-gone', (_event, details) => logs.main.error({ ...details }, `child process gone: ${details.type} ${details.name ?? ''} (${details.reason}, exit code ${details.exitCode})`));
  app.on('render-process-gone', (_event, _wc, details) => logs.main.error({ ...details }, `renderer gone (${details.reason}, exit code ${details.exitCode})`));
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  // Packaged: the native addon ships as an extra resource (electron-builder: resources/kernels; Forge:
  // resources/Release); tell the engine where.
  const addonDir = resourcesDir('kernels') ?? resourcesDir('Release');
  const addon = addonDir ? path.join(addonDir, 'sparsevila_kernels.node') : null;
  const engine = new EngineHost({
    spawn: () => spawnUtilityEngine(addon && existsSync(addon) ? { SPARSEVILA_ADDON: addon } : {}),
    log: logs.engine,
  });
  service = await AppService.create({
    dataDir: app.getPath('userData'),
    version: app.getVersion(),
    serveMode: false,
    engine,
    embeddedModelsDir: embeddedModelsDir(),
    openFolder: async (dir) => {
      const failure = await shell.openPath(dir);
      if (failure) throw new Error(failure);
    },
    pickVideo: async () => {
      const r = await dialog.showOpenDialog(mainWindow ?? BrowserWindow.getFocusedWindow()!, {
        title: 'Open a video',
        properties: ['openFile'],
        filters: [
          { name: 'Videos', extensions: ['mp4', 'mkv', 'webm', 'mov', 'm4v', 'avi'] },
          { name: 'All files', extensions: ['*'] },
        ],
      });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  });
  handleAppScheme(service, rendererDir);
  const svc = service;
  ipcMain.handle(IPC_CALL, async (event, name: unknown, payload: unknown) => {
    // Only our own page may call in (not a frame or a page that somehow navigated elsewhere).
    if (!event.senderFrame || !event.senderFrame.url.startsWith(`${APP_ORIGIN}/`)) {
      return { ok: false, error: { code: 'unauthorized', message: 'calls are only accepted from the app window' } };
    }
    return svc.call(typeof name === 'string' ? name : String(name), payload);
  });
  svc.on((name, payload) => {
    for (const w of BrowserWindow.getAllWindows()) if (!w.isDestroyed()) w.webContents.send(IPC_EVENT, name, payload);
  });
  engine.start().catch((err: Error) => console.error(`[engine] ${err.message}`));
  mainWindow = createWindow();
}

app.whenReady().then(start, (err: Error) => {
  dialog.showErrorBox('SparseVILA Desktop could not start', err.stack ?? err.message);
  app.exit(1);
});

app.on('activate', () => {
  if (service && BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !service) return;
  quitting = true;
  event.preventDefault();
  void service.close().finally(() => app.quit());
});

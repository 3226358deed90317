// Where things live. The data dir is the one Electron uses for this app (app.getPath('userData')), so the desktop app
// and serve mode share the library, conversations and models.
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PRODUCT_NAME = 'SparseVILA Desktop';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SPARSEVILA_DATA) return path.resolve(env.SPARSEVILA_DATA);
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', PRODUCT_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), PRODUCT_NAME);
}

/** The repository / package root (this file is engine/service/paths.ts). */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

export function defaultRendererDir(): string {
  return path.join(packageRoot(), 'dist', 'renderer');
}

export function embeddedModelsDir(root = packageRoot()): string | null {
  const dir = path.join(root, 'assets', 'models');
  return existsSync(dir) ? dir : null;
}
